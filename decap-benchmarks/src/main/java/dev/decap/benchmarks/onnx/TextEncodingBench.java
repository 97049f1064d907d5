package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.tokenization.ClipTokenizer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Memory-encoding throughput of the CLIP text tower: the 77-token path against texts fed at their real token
 * length (length buckets, {@link OnnxTextEncoder#dynamicLength()}), on the same COCO captions, in one run.
 * <pre>
 * java -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.TextEncodingBench \
 *   --dynamic tools/out/text/text_encoder.onnx --fixed tools/out/text/text_encoder_fixed77.onnx \
 *   --shared ../shared/data [--captions 2000] [--threads 2] [--repeats 3] [--batch 32] [--call 256] \
 *   [--out FILE.json] [--dump FILE.f32] [--skip-dynamic-graph-77 true]
 * </pre>
 * Modes, each timed over all captions in {@code encodeAll} calls of {@code --call} captions (as a memory-bank
 * build does), after a warm-up, repeats interleaved so that load changes hit every mode alike:
 * <ul>
 *   <li>{@code java_77_fixed}: the fixed {@code [batch, 77]} export (today's path);</li>
 *   <li>{@code java_77_dynamic_graph}: the dynamic-axis export with {@code dynamicLength(false)} (77 tokens;
 *       skipped with {@code --skip-dynamic-graph-77 true});</li>
 *   <li>{@code java_bucketed}: the dynamic-axis export, length buckets (the default).</li>
 * </ul>
 * Reports captions/s (median and best of the repeats), the token positions fed, and max |diff| / min cosine of
 * the bucketed embeddings against the 77-token ones. {@code --dump} writes the bucketed embeddings (float32 LE,
 * captions in order) for {@code tools/bench_text_encoding.py} to compare with PyTorch.
 */
public final class TextEncodingBench {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TextEncodingBench() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        if (!opt.containsKey("--dynamic") || !opt.containsKey("--fixed")) {
            System.err.println("usage: TextEncodingBench --dynamic DYNAMIC.onnx --fixed FIXED77.onnx [--shared DIR] "
                    + "[--captions 2000] [--threads 2] [--repeats 3] [--batch 32] [--call 256] [--out FILE] "
                    + "[--dump FILE] [--skip-dynamic-graph-77 true]");
            System.exit(2);
        }
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        int count = Integer.parseInt(opt.getOrDefault("--captions", "2000"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        int repeats = Integer.parseInt(opt.getOrDefault("--repeats", "3"));
        int batch = Integer.parseInt(opt.getOrDefault("--batch", "32"));
        int call = Integer.parseInt(opt.getOrDefault("--call", "256"));
        OnnxOptions onnx = OnnxOptions.builder().intraOpThreads(threads).interOpThreads(1).build();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        List<String> captions = cocoCaptions(shared, count);

        ObjectNode result = JSON.createObjectNode();
        result.put("captions", captions.size());
        result.put("source", "first " + captions.size() + " annotations of coco/captions_val2017.json, file order");
        result.put("threads", threads);
        result.put("max_batch_size", batch);
        result.put("captions_per_encodeAll_call", call);
        result.put("repeats", repeats);
        result.put("java", System.getProperty("java.version"));
        result.put("load_average_before", loadAverage());
        long tokens = 0;
        for (String c : captions) {
            tokens += tokenCount(tokenizer.encodeContext(c, 77));
        }
        result.put("mean_tokens_per_caption_sot_eot_included", (double) tokens / captions.size());

        Map<String, OnnxTextEncoder> modes = new LinkedHashMap<>();
        try {
            modes.put("java_77_fixed", OnnxTextEncoder.builder().model(Path.of(opt.get("--fixed")))
                    .tokenizer(tokenizer).onnxOptions(onnx).maxBatchSize(batch).build());
            if (!"true".equals(opt.get("--skip-dynamic-graph-77"))) {
                modes.put("java_77_dynamic_graph", OnnxTextEncoder.builder().model(Path.of(opt.get("--dynamic")))
                        .tokenizer(tokenizer).onnxOptions(onnx).maxBatchSize(batch).dynamicLength(false).build());
            }
            modes.put("java_bucketed", OnnxTextEncoder.builder().model(Path.of(opt.get("--dynamic")))
                    .tokenizer(tokenizer).onnxOptions(onnx).maxBatchSize(batch).build());
            if (!modes.get("java_bucketed").dynamicLength()) {
                throw new IllegalStateException(opt.get("--dynamic") + " has no usable dynamic sequence axis");
            }
            List<String> warm = captions.subList(0, Math.min(captions.size(), 2 * batch));
            for (OnnxTextEncoder e : modes.values()) {
                e.encodeAll(warm);
            }
            Map<String, double[]> seconds = new LinkedHashMap<>();
            Map<String, List<float[]>> embeddings = new HashMap<>();
            for (String m : modes.keySet()) {
                seconds.put(m, new double[repeats]);
            }
            for (int r = 0; r < repeats; r++) {
                for (Map.Entry<String, OnnxTextEncoder> e : modes.entrySet()) {
                    long t0 = System.nanoTime();
                    List<float[]> out = encodeInCalls(e.getValue(), captions, call);
                    seconds.get(e.getKey())[r] = (System.nanoTime() - t0) / 1e9;
                    embeddings.put(e.getKey(), out);
                    log(String.format("repeat %d %-22s %.1f s, %.1f captions/s", r, e.getKey(),
                            seconds.get(e.getKey())[r], captions.size() / seconds.get(e.getKey())[r]));
                }
            }
            ObjectNode rates = result.putObject("captions_per_s");
            for (Map.Entry<String, double[]> e : seconds.entrySet()) {
                double[] s = e.getValue().clone();
                Arrays.sort(s);
                ObjectNode o = rates.putObject(e.getKey());
                o.put("median", captions.size() / median(s));
                o.put("best", captions.size() / s[0]);
                ArrayNode all = o.putArray("seconds");
                for (double v : e.getValue()) {
                    all.add(v);
                }
            }
            double base = rates.get("java_77_fixed").get("median").asDouble();
            result.put("speedup_bucketed_vs_77_fixed_median",
                    rates.get("java_bucketed").get("median").asDouble() / base);
            result.set("bucketed_vs_77_fixed", compare(embeddings.get("java_bucketed"),
                    embeddings.get("java_77_fixed")));
            if (embeddings.containsKey("java_77_dynamic_graph")) {
                result.set("77_dynamic_graph_vs_77_fixed", compare(embeddings.get("java_77_dynamic_graph"),
                        embeddings.get("java_77_fixed")));
            }
            result.put("positions_fed_77", 77L * captions.size());
            result.put("positions_fed_bucketed", bucketedPositions(tokenizer, captions, batch, call));
            result.put("load_average_after", loadAverage());
            if (opt.containsKey("--dump")) {
                dump(embeddings.get("java_bucketed"), Path.of(opt.get("--dump")));
                result.put("dump", opt.get("--dump"));
            }
        } finally {
            for (OnnxTextEncoder e : modes.values()) {
                e.close();
            }
        }
        String text = JSON.writeValueAsString(result);
        if (opt.containsKey("--out")) {
            Files.writeString(Path.of(opt.get("--out")), text + "\n");
        }
        System.out.println(text);
    }

    private static List<float[]> encodeInCalls(OnnxTextEncoder encoder, List<String> captions, int call) {
        List<float[]> out = new ArrayList<>(captions.size());
        for (int from = 0; from < captions.size(); from += call) {
            out.addAll(encoder.encodeAll(captions.subList(from, Math.min(captions.size(), from + call))));
        }
        return out;
    }

    /** Token positions the bucketed path feeds: per call, sorted runs of {@code batch} at their longest text. */
    private static long bucketedPositions(ClipTokenizer tokenizer, List<String> captions, int batch, int call) {
        long total = 0;
        for (int from = 0; from < captions.size(); from += call) {
            List<String> part = captions.subList(from, Math.min(captions.size(), from + call));
            int[] lengths = new int[part.size()];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = tokenCount(tokenizer.encodeContext(part.get(i), 77));
            }
            Arrays.sort(lengths);
            for (int b = 0; b < lengths.length; b += batch) {
                int to = Math.min(lengths.length, b + batch);
                total += (long) (to - b) * lengths[to - 1];
            }
        }
        return total;
    }

    private static ObjectNode compare(List<float[]> got, List<float[]> want) {
        double maxAbs = 0;
        double minCos = 1;
        for (int i = 0; i < want.size(); i++) {
            float[] a = got.get(i);
            float[] b = want.get(i);
            double dot = 0;
            double na = 0;
            double nb = 0;
            for (int k = 0; k < a.length; k++) {
                maxAbs = Math.max(maxAbs, Math.abs((double) a[k] - b[k]));
                dot += (double) a[k] * b[k];
                na += (double) a[k] * a[k];
                nb += (double) b[k] * b[k];
            }
            minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("max_abs_diff", maxAbs);
        o.put("min_cosine", minCos);
        return o;
    }

    private static int tokenCount(int[] ids) {
        int last = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != 0) {
                last = i + 1;
            }
        }
        return Math.max(1, last);
    }

    private static void dump(List<float[]> rows, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            for (float[] row : rows) {
                ByteBuffer b = ByteBuffer.allocate(row.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(row);
                out.write(b.array());
            }
        }
    }

    private static List<String> cocoCaptions(Path shared, int n) throws IOException {
        JsonNode ann = new ObjectMapper().readTree(shared.resolve("coco/captions_val2017.json").toFile())
                .get("annotations");
        List<String> out = new ArrayList<>();
        for (JsonNode a : ann) {
            out.add(a.get("caption").asText());
            if (out.size() == n) {
                break;
            }
        }
        return out;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void log(String line) {
        System.err.println(line);
    }
}
