package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.StageListener;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.LanguageModel;
import dev.decap.image.ImageLoader;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.VectorType;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;
import dev.decap.tokenization.ClipTokenizer;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;

import static dev.decap.benchmarks.onnx.BenchStats.median;
import static dev.decap.benchmarks.onnx.BenchStats.round;
import static dev.decap.benchmarks.onnx.BenchStats.stats;

/**
 * The Java half of {@code tools/benchmark.sh}'s {@code summary.json} (run on demand, never in CI): the full caption
 * of one photo (decoded image → Java preprocessing → image tower → projection over the memory → 20 greedy tokens)
 * with the bundle's shipped default precision and with float32, interleaved so that both see the same load; the
 * pipelined batches of 8 and 32 ({@code DeCap.captionAll} with {@code withBatchSize}); the decoder step; and how
 * often the default precision picks the float32 tokens.
 *
 * <pre>
 * java -Xmx6g -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.SpeedSummary \
 *     FP32_BUNDLE DEFAULT_BUNDLE --shared ../shared/data [--memory 500000] [--threads 2] [--reps 7]
 *     [--out java-summary.json]
 * </pre>
 *
 * DEFAULT_BUNDLE may be FP32_BUNDLE itself (no quantized variant): the figures are then the same model twice.
 * Token agreement: the greedy tokens (natural length, at most 30) of both precisions on the prefixes of
 * {@code FP32_BUNDLE/parity.json} (decoder alone) and on the photos end to end (image tower, projection and
 * decoder of each precision); the share of token positions where the two agree (a position present in one caption
 * only counts as a disagreement).
 */
public final class SpeedSummary {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TOKENS = 20;

    private SpeedSummary() {
    }

    public static void main(String[] args) throws Exception {
        Path fp32Dir = Path.of(args[0]);
        Path defaultDir = Path.of(args[1]);
        Map<String, String> opt = new HashMap<>();
        for (int i = 2; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        int memorySize = Integer.parseInt(opt.getOrDefault("--memory", "500000"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        int reps = Integer.parseInt(opt.getOrDefault("--reps", "7"));
        Path out = Path.of(opt.getOrDefault("--out", "java-summary.json"));
        OnnxOptions onnx = OnnxOptions.builder().intraOpThreads(threads).interOpThreads(1).build();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));

        ObjectNode result = JSON.createObjectNode();
        result.put("threads", threads);
        result.put("memory", memorySize);
        result.put("tokens", TOKENS);
        result.put("fp32_bundle", fp32Dir.toString());
        result.put("default_bundle", defaultDir.toString());
        result.put("java", System.getProperty("java.version"));
        result.put("kernels", ProjectionDecoding.kernels());
        result.put("load_average_before", loadAverage());
        List<BufferedImage> photos = photos(shared);
        boolean same = fp32Dir.toAbsolutePath().normalize().equals(defaultDir.toAbsolutePath().normalize());
        try (DecapModel fp32 = OnnxDeCap.fromBundle(fp32Dir).tokenizer(tokenizer).onnxOptions(onnx).load();
             DecapModel dflt = same ? null : OnnxDeCap.fromBundle(defaultDir).tokenizer(tokenizer)
                     .onnxOptions(onnx).load()) {
            DecapModel shipped = same ? fp32 : dflt;
            result.set("default_precision", JSON.valueToTree(precisions(defaultDir)));
            // what one decoder step streams at most: its model file (weights dominate it)
            result.put("default_decoder_file_bytes", Files.size(shipped.bundle().file("decoder").orElseThrow()));
            MemoryBank bank = BenchData.bank(memorySize, fp32.bundle().embeddingDimension(), 0);
            DecodingOptions twenty = DecodingOptions.builder().minTokens(TOKENS).maxTokens(TOKENS).build();
            // one default projector for every captioner here (a batch projector may cache the bank as a matrix)
            Projector pd = Projectors.projectionDecoding();
            result.put("projector", pd.getClass().getSimpleName());
            try (AutoCloseable closesProjector = pd instanceof AutoCloseable c ? c : () -> { };
                 DeCap fast = shipped.captioner().memoryBank(bank).projector(pd).decodingOptions(twenty).build();
                 DeCap full = fp32.captioner().memoryBank(bank).projector(pd).decodingOptions(twenty).build()) {
                BufferedImage photo = photos.get(0);
                // warm-up: touches the memory, the weights of both and the JIT once
                for (int i = 0; i < 2; i++) {
                    fast.caption(photo);
                    full.caption(photo);
                }
                double[] fastMs = new double[reps];
                double[] fullMs = new double[reps];
                for (int r = 0; r < reps; r++) {
                    fastMs[r] = time(() -> fast.caption(photo));
                    fullMs[r] = time(() -> full.caption(photo));
                }
                result.set("full_caption_default_ms", stats(fastMs));
                result.set("full_caption_fp32_ms", stats(fullMs));
                log("full caption: default " + result.get("full_caption_default_ms") + ", fp32 "
                        + result.get("full_caption_fp32_ms"));
                result.set("full_caption_default_stages_ms", stages(fast, photo, reps));
                log("stages: " + result.get("full_caption_default_stages_ms"));

                // The same memory as an int8 bank file (a quarter of the bytes), default precision.
                Path int8File = Path.of(opt.getOrDefault("--int8-bank", "/tmp/decap-speed-summary-int8.dmb"));
                writeInt8(int8File, bank);
                try (MemoryBankFile int8 = MemoryBankFile.open(int8File);
                     DeCap fastInt8 = shipped.captioner().memoryBank(int8).projector(pd).decodingOptions(twenty)
                             .build()) {
                    for (int i = 0; i < 2; i++) {
                        fastInt8.caption(photo);
                    }
                    double[] int8Ms = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        int8Ms[r] = time(() -> fastInt8.caption(photo));
                    }
                    result.set("full_caption_default_int8_bank_ms", stats(int8Ms));
                    result.set("full_caption_default_int8_bank_stages_ms", stages(fastInt8, photo, reps));
                    log("full caption, int8 bank: " + result.get("full_caption_default_int8_bank_ms") + ", stages "
                            + result.get("full_caption_default_int8_bank_stages_ms"));
                }

                ObjectNode batches = result.putObject("batch_default");
                for (int b : new int[] {8, 32}) {
                    int n = 4 * b;
                    List<BufferedImage> images = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        images.add(photos.get(i % photos.size()));
                    }
                    try (DeCap batched = fast.withBatchSize(b)) {
                        batched.captionAll(images.subList(0, b)); // warm-up at this batch size
                        double[] perCaption = new double[3];
                        for (int r = 0; r < perCaption.length; r++) {
                            perCaption[r] = time(() -> batched.captionAll(images)) / n;
                        }
                        double[] oneBatch = new double[3];
                        for (int r = 0; r < oneBatch.length; r++) {
                            oneBatch[r] = time(() -> batched.captionAll(images.subList(0, b))) / b;
                        }
                        AtomicLongArray stageNanos = new AtomicLongArray(StageListener.Stage.values().length);
                        try (DeCap timed = batched.withStageListener(
                                (stage, items, ns) -> stageNanos.addAndGet(stage.ordinal(), ns))) {
                            timed.captionAll(images);
                        }
                        ObjectNode o = batches.putObject("batch_" + b);
                        o.put("images", n);
                        o.set("ms_per_caption", stats(perCaption));
                        o.put("captions_per_s", Math.round(1000 / median(perCaption) * 10) / 10.0);
                        o.set("one_call_of_one_batch_ms_per_caption", stats(oneBatch));
                        ObjectNode st = o.putObject("stages_ms_per_caption");
                        for (StageListener.Stage s : StageListener.Stage.values()) {
                            st.put(s.name().toLowerCase(java.util.Locale.ROOT),
                                    round(stageNanos.get(s.ordinal()) / 1e6 / n));
                        }
                        log("batch " + b + ": " + o);
                    }
                }
                OnnxCaptionDecoder decoder = shipped.decoder().orElseThrow();
                result.set("decoder_step_default_ms", stepTimes(decoder.languageModel(), reps));
                if (!same) {
                    result.set("decoder_step_fp32_ms", stepTimes(fp32.decoder().orElseThrow().languageModel(),
                            reps));
                }
                log("decoder step: " + result.get("decoder_step_default_ms"));
                result.set("token_agreement", agreement(fp32, shipped, bank, pd, photos,
                        fp32Dir.resolve("parity.json")));
                log("agreement: " + result.get("token_agreement"));
            }
        }
        result.put("load_average_after", loadAverage());
        JSON.writerWithDefaultPrettyPrinter().writeValue(out.toFile(), result);
        log("wrote " + out);
    }

    /** {@code bank}'s rows as an int8 bank file at {@code file} (rewritten each run). */
    private static void writeInt8(Path file, MemoryBank bank) {
        int d = bank.dimension();
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(d)
                .encoder(new EncoderIdentity("benchmark-random", "00".repeat(32))).vectorType(VectorType.INT8)
                .dedupe(false).build()) {
            for (int i = 0; i < bank.size(); i++) {
                w.add(bank.caption(i), bank.embedding(i));
            }
            w.commit();
        }
    }

    /** Median time per caption of each stage of {@code decap.caption(photo)}, through a {@link StageListener}. */
    private static ObjectNode stages(DeCap decap, BufferedImage photo, int reps) {
        AtomicLongArray nanos = new AtomicLongArray(StageListener.Stage.values().length);
        try (DeCap timed = decap.withStageListener((stage, n, ns) -> nanos.addAndGet(stage.ordinal(), ns))) {
            for (int r = 0; r < reps; r++) {
                timed.caption(photo);
            }
        }
        ObjectNode o = JSON.createObjectNode();
        for (StageListener.Stage s : StageListener.Stage.values()) {
            o.put(s.name().toLowerCase(java.util.Locale.ROOT), round(nanos.get(s.ordinal()) / 1e6 / reps));
        }
        return o;
    }

    /** Median time of one cached decoder step (steps 2..20 of a batch-1 session), over {@code reps} sessions. */
    private static ObjectNode stepTimes(LanguageModel lm, int reps) {
        float[] prefix = BenchData.queries(1, lm.prefixDimension(), 3).get(0);
        List<Double> steps = new ArrayList<>();
        for (int rep = 0; rep <= reps; rep++) {
            try (LanguageModel.Session s = lm.start(new float[][] {prefix})) {
                s.logits();
                for (int step = 2; step <= TOKENS; step++) {
                    int token = 100 + step;
                    long t = System.nanoTime();
                    s.advance(new int[] {token}, new int[] {0});
                    s.logits();
                    if (rep > 0) { // rep 0 is the warm-up
                        steps.add((System.nanoTime() - t) / 1e6);
                    }
                }
            }
        }
        return stats(steps.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static ObjectNode agreement(DecapModel fp32, DecapModel shipped, MemoryBank bank, Projector pd,
                                        List<BufferedImage> photos, Path parityFile) throws Exception {
        List<float[]> prefixes = new ArrayList<>();
        if (Files.exists(parityFile)) {
            for (JsonNode p : JSON.readTree(parityFile.toFile()).get("prefixes")) {
                JsonNode a = p.get("prefix");
                float[] f = new float[a.size()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) a.get(i).asDouble();
                }
                prefixes.add(f);
            }
        }
        int[] decoderCounts = new int[3]; // agreeing positions, positions, identical captions
        if (!prefixes.isEmpty()) {
            List<DecodedCaption> a = fp32.decoder().orElseThrow().decodeAll(prefixes, DecodingOptions.DEFAULT);
            List<DecodedCaption> b = shipped.decoder().orElseThrow().decodeAll(prefixes, DecodingOptions.DEFAULT);
            for (int i = 0; i < a.size(); i++) {
                count(a.get(i).tokenIds(), b.get(i).tokenIds(), decoderCounts);
            }
        }
        int[] endToEnd = new int[3];
        try (DeCap a = fp32.captioner().memoryBank(bank).projector(pd).decodingOptions(DecodingOptions.DEFAULT)
                .build();
             DeCap b = shipped.captioner().memoryBank(bank).projector(pd).decodingOptions(DecodingOptions.DEFAULT)
                     .build()) {
            List<Caption> ca = a.captionAll(photos);
            List<Caption> cb = b.captionAll(photos);
            for (int i = 0; i < ca.size(); i++) {
                count(ca.get(i).tokenIds(), cb.get(i).tokenIds(), endToEnd);
            }
        }
        ObjectNode o = JSON.createObjectNode();
        int agree = decoderCounts[0] + endToEnd[0];
        int total = decoderCounts[1] + endToEnd[1];
        o.put("token_agreement", total == 0 ? 1.0 : round6((double) agree / total));
        o.put("decoder_prefixes", prefixes.size());
        o.put("decoder_token_agreement", decoderCounts[1] == 0 ? 1.0
                : round6((double) decoderCounts[0] / decoderCounts[1]));
        o.put("decoder_identical_captions", decoderCounts[2]);
        o.put("photos", photos.size());
        o.put("end_to_end_token_agreement", endToEnd[1] == 0 ? 1.0 : round6((double) endToEnd[0] / endToEnd[1]));
        o.put("end_to_end_identical_captions", endToEnd[2]);
        return o;
    }

    private static void count(int[] a, int[] b, int[] counts) {
        int n = Math.max(a.length, b.length);
        int same = 0;
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        counts[0] += same;
        counts[1] += n;
        counts[2] += Arrays.equals(a, b) ? 1 : 0;
    }

    private static Map<String, String> precisions(Path bundleDir) throws Exception {
        Map<String, String> out = new java.util.TreeMap<>();
        JsonNode files = JSON.readTree(bundleDir.resolve("decap-bundle.json").toFile()).get("files");
        files.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().has("precision")
                ? e.getValue().get("precision").asText() : "fp32"));
        return out;
    }

    private static List<BufferedImage> photos(Path shared) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        try (var files = Files.list(shared.resolve("images"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList()) {
                out.add(ImageLoader.defaults().load(f));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no .jpg photos in " + shared.resolve("images"));
        }
        return out;
    }

    private static double time(Supplier<?> task) {
        long t = System.nanoTime();
        task.get();
        return (System.nanoTime() - t) / 1e6;
    }


    private static double round6(double x) {
        return Math.round(x * 1e6) / 1e6;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void log(String s) {
        System.err.println(s);
    }
}
