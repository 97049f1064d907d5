package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.LanguageModel;
import dev.decap.image.ImageLoader;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.decoding.OnnxLanguageModel;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.tokenization.ClipTokenizer;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static dev.decap.benchmarks.onnx.BenchStats.median;
import static dev.decap.benchmarks.onnx.BenchStats.stats;

/**
 * Full-size benchmark of the Java pipeline on ONNX Runtime (run on demand by {@code tools/benchmark.sh}, never in
 * CI). Times the image tower (batch 1 and 8), the text tower (batch 64), the decoder per token at steps 1, 10 and 30
 * (batch 1, greedy; and the beam-5 cache reordering of both strategies), projection over an N-row memory and the
 * full caption; then replays {@code parity.json} (PyTorch reference tokens) on the full-size decoder.
 *
 * <pre>
 * java -cp ... dev.decap.benchmarks.onnx.DecoderBenchmark BUNDLE_DIR --shared ../shared/data [--memory 500000]
 *     [--threads 2] [--spinning WITHIN_RUN|ALWAYS|NEVER] [--nd4j true|false] [--out result.json]
 * </pre>
 */
public final class DecoderBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private DecoderBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path bundleDir = Path.of(args[0]);
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        int memorySize = Integer.parseInt(opt.getOrDefault("--memory", "500000"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        Path out = Path.of(opt.getOrDefault("--out", bundleDir.resolve("java.json").toString()));
        OnnxOptions.Spinning spinning = OnnxOptions.Spinning.valueOf(
                opt.getOrDefault("--spinning", OnnxOptions.DEFAULT.spinning().name()));
        OnnxOptions onnx = OnnxOptions.builder().intraOpThreads(threads).interOpThreads(1).spinning(spinning).build();

        ObjectNode result = JSON.createObjectNode();
        result.put("threads", threads);
        result.put("spinning", spinning.name());
        result.put("java", System.getProperty("java.version"));
        result.put("cpu_cores_visible", Runtime.getRuntime().availableProcessors());
        result.put("load_average_before", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
        long t0 = System.nanoTime();
        ModelBundle bundle = ModelBundle.open(bundleDir);
        result.put("bundle_open_with_sha256_ms", ms(t0));
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));

        try (OnnxImageEncoder image = OnnxImageEncoder.builder().model(bundle.imageEncoderFile().orElseThrow())
                .onnxOptions(onnx).maxBatchSize(8).build();
             OnnxTextEncoder text = OnnxTextEncoder.builder().model(bundle.textEncoderFile().orElseThrow())
                     .tokenizer(tokenizer).onnxOptions(onnx).maxBatchSize(64).build();
             OnnxCaptionDecoder decoder = OnnxDeCap.fromBundle(bundleDir).tokenizer(tokenizer)
                     .onnxOptions(onnx).buildDecoder()) {
            // image tower
            int pixels = 3 * 224 * 224;
            Random rnd = new Random(0);
            List<float[]> batch8 = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                float[] x = new float[pixels];
                for (int j = 0; j < pixels; j++) {
                    x[j] = (float) rnd.nextGaussian();
                }
                batch8.add(x);
            }
            ObjectNode img = result.putObject("image_encode_ms");
            img.set("batch_1", stats(time(10, 2, () -> image.encodePixels(batch8.get(0)))));
            img.set("batch_8", stats(time(5, 1, () -> image.encodePixelsAll(batch8))));
            BufferedImage photo = ImageLoader.defaults().load(firstPhoto(shared));
            img.set("batch_1_with_java_preprocessing", stats(time(10, 2, () -> image.encode(photo))));
            log("image: " + img);

            // text tower
            List<String> captions = cocoCaptions(shared, 64);
            double[] textMs = time(3, 1, () -> text.encodeAll(captions));
            ObjectNode txt = result.putObject("text_encode");
            txt.put("batch", 64);
            txt.set("ms", stats(textMs));
            txt.put("captions_per_s", 64 / (median(textMs) / 1000.0));
            log("text: " + txt);

            // decoder per token
            OnnxLanguageModel lm = decoder.languageModel();
            float[] prefix = BenchData.unit(rnd, bundle.embeddingDimension());
            result.set("decoder_step_ms", stepTimes(lm, prefix, 1, 5));
            result.set("decoder_step_ms_beam5_onnx_gather", stepTimes(lm, prefix, 5, 3));
            // The comparison-only reorder is not API; the decoder reads it from a system property at build.
            String before = System.setProperty(OnnxLanguageModel.CACHE_REORDER_PROPERTY, "java-copy");
            try (OnnxLanguageModel copy = OnnxLanguageModel.builder().model(bundle.decoderFile().orElseThrow())
                    .onnxOptions(onnx).build()) {
                result.set("decoder_step_ms_beam5_java_copy", stepTimes(copy, prefix, 5, 3));
            } finally {
                if (before == null) {
                    System.clearProperty(OnnxLanguageModel.CACHE_REORDER_PROPERTY);
                } else {
                    System.setProperty(OnnxLanguageModel.CACHE_REORDER_PROPERTY, before);
                }
            }
            log("decoder: " + result.get("decoder_step_ms"));
            DecodingOptions twenty = DecodingOptions.builder().minTokens(20).maxTokens(20).build();
            result.set("decode_20_tokens_ms", stats(time(5, 1, () -> decoder.decode(prefix, twenty))));
            List<float[]> eight = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                eight.add(BenchData.unit(rnd, bundle.embeddingDimension()));
            }
            result.set("decode_20_tokens_batch8_ms", stats(time(3, 1, () -> decoder.decodeAll(eight, twenty))));
            result.set("decode_20_tokens_beam5_ms", stats(time(3, 1, () -> decoder.decode(prefix,
                    DecodingOptions.builder().beam(5).minTokens(20).maxTokens(20).build()))));

            // parity with the PyTorch reference on the full-size decoder
            result.set("parity", parity(decoder, bundleDir.resolve("parity.json")));
            log("parity: " + result.get("parity"));

            // projection
            MemoryBank bank = randomBank(memorySize, bundle.embeddingDimension(), rnd);
            ProjectionDecoding single = ProjectionDecoding.create();
            ProjectionDecoding pd = ProjectionDecoding.builder().parallelism(threads).build();
            float[] v = BenchData.unit(rnd, bundle.embeddingDimension());
            ObjectNode proj = result.putObject("projection_ms");
            proj.put("memory", memorySize);
            proj.put("parallelism", pd.parallelism());
            proj.set("ms", stats(time(5, 1, () -> pd.project(v, bank))));
            proj.set("single_thread_ms", stats(time(5, 1, () -> single.project(v, bank))));
            List<float[]> eightImages = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                eightImages.add(BenchData.unit(rnd, bundle.embeddingDimension()));
            }
            proj.set("batch8_ms", stats(time(3, 1, () -> pd.projectAll(eightImages, bank))));
            var nd4j = dev.decap.nd4j.Nd4jProjectionDecoding.builder().build();
            boolean measureNd4j = Boolean.parseBoolean(opt.getOrDefault("--nd4j", "true"));
            boolean nd4jFaster = false;
            if (measureNd4j) {
                nd4j.project(v, bank); // first call caches the bank as a matrix
                proj.set("nd4j_ms", stats(time(5, 1, () -> nd4j.project(v, bank))));
                proj.set("nd4j_batch8_ms", stats(time(3, 1, () -> nd4j.projectAll(eightImages, bank))));
                nd4jFaster = median(time(3, 0, () -> nd4j.projectAll(eightImages, bank)))
                        < median(time(3, 0, () -> pd.projectAll(eightImages, bank)));
            }
            proj.put("full_caption_projector", nd4jFaster ? "nd4j" : "java");
            log("projection: " + proj);

            // full caption: decoded image -> Java preprocessing -> image tower -> projection -> greedy
            try (nd4j; DeCap decap = DeCap.builder().imageEncoder(image).memoryBank(bank)
                    .projector(nd4jFaster ? nd4j : pd).decoder(decoder).build()) {
                ObjectNode full = result.putObject("full_caption_ms");
                full.set("greedy_natural_length", stats(time(5, 1, () -> decap.caption(photo))));
                full.set("greedy_20_tokens", stats(time(5, 1, () -> decap.caption(photo, twenty))));
                List<BufferedImage> photos = new ArrayList<>();
                try (var files = Files.list(shared.resolve("images"))) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList()) {
                        photos.add(ImageLoader.defaults().load(f));
                    }
                }
                while (photos.size() < 8) {
                    photos.add(photos.get(photos.size() % 5));
                }
                List<BufferedImage> batch = photos.subList(0, 8);
                full.set("greedy_20_tokens_batch8", stats(time(3, 1, () -> decap.captionAll(batch, twenty))));
                Caption c = decap.caption(photo);
                full.put("natural_length_tokens", c.tokenIds().length);
                log("full caption: " + full);
            }

        }
        result.put("load_average_after", java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
        log("wrote " + out);
    }

    /** Median time of each step (1 = the prefix call) over {@code reps} sessions of 30 steps of {@code rows} rows. */
    private static ObjectNode stepTimes(LanguageModel lm, float[] prefix, int rows, int reps) {
        double[][] times = new double[reps + 1][31];
        float[][] prefixes = new float[rows][];
        Arrays.fill(prefixes, prefix);
        int[] parents = new int[rows];
        for (int r = 0; r < rows; r++) {
            parents[r] = rows == 1 ? 0 : (r + 1) % rows; // beam: every step reorders the rows
        }
        for (int rep = 0; rep <= reps; rep++) {
            long t = System.nanoTime();
            LanguageModel.Session s = lm.start(prefixes);
            s.logits();
            times[rep][1] = ms(t);
            try (s) {
                for (int step = 2; step <= 30; step++) {
                    int[] tokens = new int[rows];
                    Arrays.fill(tokens, 100 + step);
                    t = System.nanoTime();
                    s.advance(tokens, parents);
                    s.logits();
                    times[rep][step] = ms(t);
                }
            }
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("rows", rows);
        for (int step : new int[] {1, 2, 10, 20, 30}) {
            double[] col = new double[reps];
            for (int rep = 1; rep <= reps; rep++) { // rep 0 is warm-up
                col[rep - 1] = times[rep][step];
            }
            o.set("step_" + step, stats(col));
        }
        return o;
    }

    private static ObjectNode parity(OnnxCaptionDecoder decoder, Path file) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        if (!Files.exists(file)) {
            o.put("skipped", "no " + file);
            return o;
        }
        JsonNode g = JSON.readTree(file.toFile());
        Map<String, float[]> prefixes = new HashMap<>();
        for (JsonNode p : g.get("prefixes")) {
            JsonNode a = p.get("prefix");
            float[] f = new float[a.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = Float.parseFloat(a.get(i).asText());
            }
            prefixes.put(p.get("id").asText(), f);
        }
        int same = 0;
        int total = 0;
        double worst = 0;
        List<String> mismatches = new ArrayList<>();
        for (JsonNode c : g.get("cases")) {
            DecodingOptions opts = c.get("search").asText().equals("beam")
                    ? DecodingOptions.builder().beam(c.get("beam_width").asInt())
                    .lengthPenalty(c.get("length_penalty").asDouble()).build()
                    : DecodingOptions.DEFAULT;
            DecodedCaption s = decoder.decodeAll(List.of(prefixes.get(c.get("prefix_id").asText())), opts)
                    .get(0);
            int[] expected = new int[c.get("result").get("decoder_ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("result").get("decoder_ids").get(i).asInt();
            }
            total++;
            if (Arrays.equals(expected, s.modelIds())) {
                same++;
                float[] lp = s.sequenceLogProbs();
                for (int i = 0; i < lp.length; i++) {
                    worst = Math.max(worst, Math.abs(lp[i]
                            - Float.parseFloat(c.get("result").get("logprobs").get(i).asText())));
                }
            } else {
                mismatches.add(c.get("prefix_id").asText() + "/" + c.get("search").asText());
            }
        }
        o.put("cases", total);
        o.put("identical_tokens", same);
        o.put("logprob_max_abs_diff", worst);
        o.put("mismatches", String.join(", ", mismatches));
        return o;
    }

    private static MemoryBank randomBank(int n, int d, Random rnd) {
        InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(d).expectedSize(n);
        for (int i = 0; i < n; i++) {
            b.add("caption " + i, BenchData.unit(rnd, d));
        }
        return b.build();
    }

    private static Path firstPhoto(Path shared) throws IOException {
        try (var files = Files.list(shared.resolve("images"))) {
            return files.filter(p -> p.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
        }
    }

    private static List<String> cocoCaptions(Path shared, int n) throws IOException {
        JsonNode ann = JSON.readTree(shared.resolve("coco/captions_val2017.json").toFile()).get("annotations");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ann.get(i).get("caption").asText());
        }
        return out;
    }

    private static double[] time(int reps, int warmup, Supplier<?> task) {
        for (int i = 0; i < warmup; i++) {
            task.get();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t = System.nanoTime();
            task.get();
            ms[i] = ms(t);
        }
        return ms;
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }


    private static void log(String s) {
        System.err.println(s);
    }
}
