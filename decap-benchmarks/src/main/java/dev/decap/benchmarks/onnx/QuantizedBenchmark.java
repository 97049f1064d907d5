package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.LanguageModel;
import dev.decap.image.ImageLoader;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.encoding.ClipLayout;
import dev.decap.onnx.encoding.OnnxImageEncoder;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.decap.benchmarks.onnx.BenchStats.cosine;
import static dev.decap.benchmarks.onnx.BenchStats.median;

/**
 * Quantized bundles against their float32 original: decoder step time at steps 1 to 30, greedy-token agreement and
 * logits cosine over random unit prefixes, image-embedding cosine and encode time (docs/performance.md, "Quantized
 * bundles"). Step times: median, 10th percentile and minimum over {@code --reps} sessions of 30 steps (the
 * minimum and p10 approximate the unloaded machine when other work shares the cores). Each bundle is a directory, optionally with {@code @precision} to load one of its variants
 * ({@code OnnxOptions.precision}); the first is the reference.
 *
 * <pre>
 * java -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.QuantizedBenchmark \
 *     tools/out/full tools/out/full-int8 tools/out/full-int4 [--shared ../shared/data] [--threads 2]
 *     [--prefixes 24] [--reps 5] [--out quantized.json]
 * </pre>
 */
public final class QuantizedBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] STEPS = {1, 2, 10, 20, 30};

    private QuantizedBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<String> bundles = new ArrayList<>();
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--")) {
                opt.put(args[i], args[++i]);
            } else {
                bundles.add(args[i]);
            }
        }
        if (bundles.isEmpty()) {
            System.err.println("usage: QuantizedBenchmark REFERENCE_BUNDLE[@precision] BUNDLE[@precision]... "
                    + "[--shared DIR] [--threads 2] [--prefixes 24] [--reps 5] [--out FILE]");
            System.exit(2);
        }
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        int prefixCount = Integer.parseInt(opt.getOrDefault("--prefixes", "24"));
        int reps = Integer.parseInt(opt.getOrDefault("--reps", "5"));
        List<BufferedImage> photos = photos(shared);

        ObjectNode result = JSON.createObjectNode();
        result.put("threads", threads);
        result.put("prefixes", prefixCount);
        result.put("photos", photos.size());
        result.put("load_average_before", load());
        ArrayNode rows = result.putArray("bundles");
        List<int[]> refTokens = null;
        List<float[]> refLogits = null;
        List<float[]> refEmbeddings = null;
        for (String spec : bundles) {
            String[] parts = spec.split("@", 2);
            Path dir = Path.of(parts[0]);
            OnnxOptions.Builder ob = OnnxOptions.builder().intraOpThreads(threads).interOpThreads(1);
            if (parts.length == 2) {
                ob.precision(OnnxOptions.Precision.fromId(parts[1]).orElseThrow(() ->
                        new IllegalArgumentException("unknown precision " + parts[1])));
            }
            OnnxOptions onnx = ob.build();
            OnnxOptions.Precision requested = onnx.precision().orElse(null);
            ModelBundle bundle = ModelBundle.open(dir, false);
            ObjectNode row = rows.addObject();
            row.put("bundle", spec);
            ObjectNode step = row.putObject("decoder_step_ms");
            List<int[]> tokens = new ArrayList<>();
            List<float[]> firstLogits = new ArrayList<>();
            if (bundle.decoderFile().isPresent()) {
                Path file = bundle.file(ModelBundle.DECODER, requested).orElseThrow();
                row.put("decoder_precision", bundle.precision(ModelBundle.DECODER, requested).orElseThrow().id());
                row.put("decoder_file_bytes", Files.size(file));
                try (OnnxCaptionDecoder decoder = OnnxDeCap.fromBundle(dir).verifyChecksums(false).onnxOptions(onnx)
                        .buildDecoder()) {
                    Random rnd = new Random(7);
                    List<float[]> prefixes = new ArrayList<>();
                    for (int i = 0; i < prefixCount; i++) {
                        prefixes.add(BenchData.unit(rnd, bundle.embeddingDimension()));
                    }
                    stepTimes(decoder.languageModel(), prefixes.get(0), reps, step);
                    for (float[] p : prefixes) {
                        DecodedCaption c = decoder.decode(p, DecodingOptions.greedy(bundle.maxTokens()));
                        tokens.add(c.modelIds());
                        try (LanguageModel.Session s = decoder.languageModel().start(new float[][] {p})) {
                            firstLogits.add(s.logits()[0]);
                        }
                    }
                }
                if (refTokens == null) {
                    refTokens = tokens;
                    refLogits = firstLogits;
                } else {
                    int same = 0;
                    int firstSame = 0;
                    double leading = 0;
                    double minCos = 1;
                    double sumCos = 0;
                    for (int i = 0; i < tokens.size(); i++) {
                        int[] a = tokens.get(i);
                        int[] b = refTokens.get(i);
                        same += Arrays.equals(a, b) ? 1 : 0;
                        firstSame += a.length > 0 && b.length > 0 && a[0] == b[0] ? 1 : 0;
                        int k = 0;
                        while (k < Math.min(a.length, b.length) && a[k] == b[k]) {
                            k++;
                        }
                        leading += (double) k / b.length;
                        double c = cosine(firstLogits.get(i), refLogits.get(i));
                        minCos = Math.min(minCos, c);
                        sumCos += c;
                    }
                    row.put("greedy_identical_to_reference", (double) same / tokens.size());
                    row.put("first_token_identical", (double) firstSame / tokens.size());
                    row.put("share_of_tokens_before_first_difference", leading / tokens.size());
                    row.put("step1_logits_cosine_mean", sumCos / tokens.size());
                    row.put("step1_logits_cosine_min", minCos);
                }
            }
            if (bundle.imageEncoderFile().isPresent()) {
                Path file = bundle.file(ModelBundle.IMAGE_ENCODER, requested).orElseThrow();
                row.put("image_precision", bundle.precision(ModelBundle.IMAGE_ENCODER, requested).orElseThrow().id());
                row.put("image_file_bytes", Files.size(file));
                ClipLayout layout = bundle.manifest().clip() == null || bundle.manifest().clip().layout() == null
                        ? null : ClipLayout.fromId(bundle.manifest().clip().layout());
                try (OnnxImageEncoder image = OnnxImageEncoder.builder().model(file).onnxOptions(onnx).layout(layout)
                        .preprocessor(bundle.imagePreprocessor()).dimension(bundle.embeddingDimension()).build()) {
                    List<float[]> embeddings = image.encodeAll(photos);
                    double[] ms = new double[Math.min(reps, 10)];
                    image.encode(photos.get(0));
                    for (int r = 0; r < ms.length; r++) {
                        long t = System.nanoTime();
                        image.encode(photos.get(r % photos.size()));
                        ms[r] = (System.nanoTime() - t) / 1e6;
                    }
                    row.put("image_encode_batch1_ms_median", median(ms));
                    if (refEmbeddings == null) {
                        refEmbeddings = embeddings;
                    } else {
                        double minCos = 1;
                        double sumCos = 0;
                        for (int i = 0; i < embeddings.size(); i++) {
                            double c = cosine(embeddings.get(i), refEmbeddings.get(i));
                            minCos = Math.min(minCos, c);
                            sumCos += c;
                        }
                        row.put("image_embedding_cosine_mean", sumCos / embeddings.size());
                        row.put("image_embedding_cosine_min", minCos);
                    }
                }
            }
            System.err.println(row);
        }
        result.put("load_average_after", load());
        String text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result);
        if (opt.containsKey("--out")) {
            Files.writeString(Path.of(opt.get("--out")), text + "\n");
        }
        System.out.println(text);
    }

    /** Median per step over {@code reps} 30-step sessions (after one warm-up), batch 1, fixed tokens. */
    private static void stepTimes(LanguageModel lm, float[] prefix, int reps, ObjectNode out) {
        double[][] times = new double[reps + 1][31];
        for (int rep = 0; rep <= reps; rep++) {
            long t = System.nanoTime();
            try (LanguageModel.Session s = lm.start(new float[][] {prefix})) {
                s.logits();
                times[rep][1] = (System.nanoTime() - t) / 1e6;
                for (int step = 2; step <= 30; step++) {
                    t = System.nanoTime();
                    s.advance(new int[] {100 + step}, new int[] {0});
                    s.logits();
                    times[rep][step] = (System.nanoTime() - t) / 1e6;
                }
            }
        }
        for (int step : STEPS) {
            double[] col = new double[reps];
            for (int rep = 1; rep <= reps; rep++) {
                col[rep - 1] = times[rep][step];
            }
            out.put("step_" + step, Math.round(median(col) * 1000) / 1000.0);
            double[] sorted = col.clone();
            Arrays.sort(sorted);
            out.put("step_" + step + "_min", Math.round(sorted[0] * 1000) / 1000.0);
            out.put("step_" + step + "_p10", Math.round(sorted[(sorted.length - 1) / 10] * 1000) / 1000.0);
        }
    }

    private static List<BufferedImage> photos(Path shared) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        Path dir = shared.resolve("images");
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList()) {
                    out.add(ImageLoader.defaults().load(f));
                }
            }
        }
        Random rnd = new Random(3);
        while (out.size() < 8) {   // synthetic images: smooth random colour fields
            BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
            int r0 = rnd.nextInt(256);
            int g0 = rnd.nextInt(256);
            int b0 = rnd.nextInt(256);
            for (int y = 0; y < 240; y++) {
                for (int x = 0; x < 320; x++) {
                    img.setRGB(x, y, ((r0 + x) & 255) << 16 | ((g0 + y) & 255) << 8 | ((b0 + x * y / 64) & 255));
                }
            }
            out.add(img);
        }
        return out;
    }

    private static double load() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
