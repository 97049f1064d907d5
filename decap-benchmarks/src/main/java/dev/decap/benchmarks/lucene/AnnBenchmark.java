package dev.decap.benchmarks.lucene;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.Vectors;
import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.tokenization.ClipTokenizer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Approximate (HNSW on Lucene) against exact projection decoding: build time and size of the Lucene bank, PD
 * latency for dense exact, exact top-k (scan) and ANN top-k (Lucene search), the cosine between each top-k
 * projection and the exact dense one, and the recall of the ANN top-k against the exact top-k. Single-threaded
 * queries; run on demand, never in CI. Results go to {@code docs/performance-ann.md}.
 *
 * <pre>
 * ./mvnw -B -q -o -pl decap-benchmarks -am package -DskipTests
 * java -Xmx6g -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.lucene.AnnBenchmark \
 *     --data random|clustered|coco --n 100000 --d 512 [--queries 30] [--ks 64,256,1024] [--ef 400]
 *     [--dir /tmp/bank] [--buffer-mb 1024] [--merge-threads 1] [--shared ../shared/data]
 *     [--bundle decap-onnx/src/test/resources/fixtures/tiny]
 * </pre>
 *
 * <p>Run from the repository root (the default paths are relative to it).
 *
 * <p>{@code random}: Gaussian directions, uniform on the sphere. {@code clustered}: 1000 Gaussian clusters
 * (centre + noise of norm about 0.5), queries drawn the same way. {@code coco}: the COCO val2017 captions encoded by
 * the tiny fixture text tower (d = 64, {@code --n} and {@code --d} ignored); the first 50 images' captions are
 * held out as queries. With {@code --dir}, an existing bank there is reopened instead of rebuilt.
 */
public final class AnnBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AnnBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        String data = opt.getOrDefault("--data", "random");
        int n = Integer.parseInt(opt.getOrDefault("--n", "100000"));
        int d = Integer.parseInt(opt.getOrDefault("--d", "512"));
        int queryCount = Integer.parseInt(opt.getOrDefault("--queries", "30"));
        int[] ks = Arrays.stream(opt.getOrDefault("--ks", "64,256,1024").split(",")).mapToInt(Integer::parseInt)
                .toArray();
        int ef = Integer.parseInt(opt.getOrDefault("--ef", Integer.toString(LuceneMemoryBank.DEFAULT_EF_SEARCH)));
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        Path dir = opt.containsKey("--dir") ? Path.of(opt.get("--dir")) : null;
        Path bundle = Path.of(opt.getOrDefault("--bundle", "decap-onnx/src/test/resources/fixtures/tiny"));

        System.out.printf(Locale.ROOT, "# AnnBenchmark data=%s, java %s, %d cpus, max heap %d MiB, load %s%n",
                data, System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, loadAverage());

        long t0 = System.nanoTime();
        InMemoryMemoryBank exact;
        List<float[]> queries;
        if (data.equals("coco")) {
            List<Object> built = coco(shared, bundle, queryCount);
            exact = (InMemoryMemoryBank) built.get(0);
            @SuppressWarnings("unchecked")
            List<float[]> q = (List<float[]>) built.get(1);
            queries = q;
        } else {
            Supplier<float[]> gen = data.equals("clustered") ? clustered(d, 1000, 7) : random(d, 7);
            InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(d).expectedSize(n);
            for (int i = 0; i < n; i++) {
                b.add("entry " + i, gen.get());
            }
            exact = b.build();
            queries = new ArrayList<>();
            for (int i = 0; i < queryCount; i++) {
                queries.add(dev.decap.Vectors.normalized(gen.get(), "query")); // projectors receive unit vectors
            }
        }
        // Projectors take unit image embeddings (the captioner normalises them); so does the benchmark.
        queries = queries.stream().map(q -> Vectors.normalized(q, "query")).toList();
        n = exact.size();
        d = exact.dimension();
        System.out.printf(Locale.ROOT, "data: %d x %d in %.1f s; in-memory bank %.0f MiB of floats%n", n, d,
                secs(t0), n * (double) d * 4 / (1 << 20));

        long heapBefore = usedHeapAfterGc();
        long buildStart = System.nanoTime();
        long buildCpuStart = processCpuNanos();
        LuceneMemoryBank ann;
        boolean reused = false;
        if (dir != null && Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                reused = entries.findAny().isPresent();
            }
        }
        if (reused) {
            ann = LuceneMemoryBank.opener(dir).efSearch(ef).open();
            System.out.printf(Locale.ROOT, "reopened the Lucene bank in %s in %.3f s%n", dir, secs(buildStart));
        } else {
            LuceneMemoryBank.Builder b = LuceneMemoryBank.builder().efSearch(ef)
                    .indexingBufferMb(Integer.parseInt(opt.getOrDefault("--buffer-mb", "1024")))
                    .mergeThreads(Integer.parseInt(opt.getOrDefault("--merge-threads", "1")));
            if (dir != null) {
                b.directory(dir);
            }
            long[] last = {System.nanoTime()};
            b.progress((done, total) -> {
                if (System.nanoTime() - last[0] > 30e9) {
                    last[0] = System.nanoTime();
                    System.err.printf(Locale.ROOT, "  indexed %d / %d after %.0f s%n", done, total, secs(buildStart));
                }
            });
            ann = b.build(exact);
            System.out.printf(Locale.ROOT, "built the Lucene bank (maxConn %d, beamWidth %d, %s) in %.1f s wall, "
                            + "%.1f s CPU%n", ann.maxConn(), ann.beamWidth(), dir == null ? "in memory" : "on disk " + dir,
                    secs(buildStart), (processCpuNanos() - buildCpuStart) / 1e9);
        }
        long heapAfter = usedHeapAfterGc();
        System.out.printf(Locale.ROOT, "Lucene index %.0f MiB (%s); heap held by the open Lucene bank %.1f MiB;"
                        + " process RSS %s%n", ann.sizeInBytes() / (double) (1 << 20),
                dir == null ? "on the heap" : "memory-mapped", Math.max(0, heapAfter - heapBefore) / (double) (1 << 20),
                rss());

        try (ann) {
            run(exact, ann, queries, ks, ef);
        }
        System.out.printf(Locale.ROOT, "load at the end %s%n", loadAverage());
    }

    private static void run(MemoryBank exact, LuceneMemoryBank ann, List<float[]> queries, int[] ks, int ef) {
        ProjectionDecoding dense = ProjectionDecoding.create();
        int warm = Math.min(3, queries.size());
        Timed denseExact = time(queries, warm, q -> dense.project(q, exact));
        System.out.printf(Locale.ROOT, "%nPD latency per query, one thread: median wall ms (median thread-CPU ms); cos ="
                + " mean cosine to the exact dense projection (min); recall = |ANN top-k ∩ exact top-k| / k%n");
        System.out.printf(Locale.ROOT, "| method | k | latency ms | cos to dense | recall@k |%n|---|---|---|---|---|%n");
        System.out.printf(Locale.ROOT, "| dense exact (in-memory scan) | all | %s | 1 | - |%n", stat(denseExact));
        List<float[]> few = queries.subList(0, Math.min(5, queries.size()));
        Timed luceneDense = time(few, 1, q -> dense.project(q, ann));
        System.out.printf(Locale.ROOT, "| dense exact (Lucene scan, %d queries) | all | %s | %s | - |%n",
                few.size(), stat(luceneDense), cosines(luceneDense.out, denseExact.out));
        for (int k : ks) {
            ProjectionDecoding top = ProjectionDecoding.builder().topK(k).build();
            Timed exactTop = time(queries, warm, q -> top.project(q, exact));
            Timed annTop = time(queries, warm, q -> top.project(q, ann));
            double recall = 0;
            for (float[] q : queries) {
                recall += recall(exact.search(q, k), ann.search(q, k));
            }
            recall /= queries.size();
            System.out.printf(Locale.ROOT, "| exact top-k (scan) | %d | %s | %s | 1 |%n", k, stat(exactTop),
                    cosines(exactTop.out, denseExact.out));
            System.out.printf(Locale.ROOT, "| ANN top-k (HNSW, %d candidates) | %d | %s | %s | %.3f |%n",
                    Math.max(k, ef), k, stat(annTop), cosines(annTop.out, denseExact.out), recall);
        }
    }

    /** Wall-clock and thread-CPU milliseconds per query, and the projections. */
    private record Timed(double[] ms, double[] cpuMs, List<Projection> out) {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * Runs {@code task} on {@code warm} queries untimed, then on every query timed, in wall-clock time and in the
     * calling thread's CPU time (the latter is what a query costs when the shared machine's other load is ignored).
     */
    private static Timed time(List<float[]> queries, int warm, Function<float[], Projection> task) {
        for (int i = 0; i < warm; i++) {
            task.apply(queries.get(i));
        }
        double[] ms = new double[queries.size()];
        double[] cpu = new double[queries.size()];
        List<Projection> out = new ArrayList<>();
        for (int i = 0; i < queries.size(); i++) {
            long c = THREADS.getCurrentThreadCpuTime();
            long t = System.nanoTime();
            out.add(task.apply(queries.get(i)));
            ms[i] = (System.nanoTime() - t) / 1e6;
            cpu[i] = (THREADS.getCurrentThreadCpuTime() - c) / 1e6;
        }
        return new Timed(ms, cpu, out);
    }

    /** "median wall (median CPU)" in ms. */
    private static String stat(Timed t) {
        return String.format(Locale.ROOT, "%.2f (%.2f)", median(t.ms), median(t.cpuMs));
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String cosines(List<Projection> approx, List<Projection> reference) {
        double sum = 0;
        double min = 1;
        for (int i = 0; i < approx.size(); i++) {
            float[] a = approx.get(i).vector();
            float[] b = reference.get(i).vector();
            double c = 0;
            for (int j = 0; j < a.length; j++) {
                c += (double) a[j] * b[j];
            }
            sum += c;
            min = Math.min(min, c);
        }
        return String.format(Locale.ROOT, "%.5f (%.5f)", sum / approx.size(), min);
    }

    private static double recall(List<MemoryHit> exact, List<MemoryHit> ann) {
        Set<Integer> truth = new HashSet<>();
        exact.forEach(h -> truth.add(h.index()));
        long found = ann.stream().filter(h -> truth.contains(h.index())).count();
        return found / (double) exact.size();
    }

    private static Supplier<float[]> random(int d, long seed) {
        Random r = new Random(seed);
        return () -> {
            float[] v = new float[d];
            for (int j = 0; j < d; j++) {
                v[j] = (float) r.nextGaussian();
            }
            return v;
        };
    }

    /** Points around {@code clusters} random unit centres, with isotropic noise of total norm about 0.5. */
    private static Supplier<float[]> clustered(int d, int clusters, long seed) {
        Random r = new Random(seed);
        float[][] centres = new float[clusters][];
        Supplier<float[]> dir = random(d, seed + 1);
        for (int c = 0; c < clusters; c++) {
            centres[c] = unit(dir.get());
        }
        double sigma = 0.5 / Math.sqrt(d);
        return () -> {
            float[] c = centres[r.nextInt(clusters)];
            float[] v = new float[d];
            for (int j = 0; j < d; j++) {
                v[j] = (float) (c[j] + sigma * r.nextGaussian());
            }
            return v;
        };
    }

    private static float[] unit(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        float inv = (float) (1 / Math.sqrt(s));
        for (int j = 0; j < v.length; j++) {
            v[j] *= inv;
        }
        return v;
    }

    /**
     * The COCO val2017 captions through the tiny fixture tower. The first {@code queryCount} images are held out:
     * one caption of each is a query, and none of their captions is in the memory.
     */
    private static List<Object> coco(Path shared, Path tiny, int queryCount) throws IOException {
        JsonNode ann = JSON.readTree(shared.resolve("coco/captions_val2017.json").toFile()).get("annotations");
        Set<Long> heldOut = new LinkedHashSet<>();
        for (JsonNode a : ann) {
            if (heldOut.size() < queryCount) {
                heldOut.add(a.get("image_id").asLong());
            }
        }
        Map<Long, String> queryOf = new LinkedHashMap<>();
        List<String> memory = new ArrayList<>();
        for (JsonNode a : ann) {
            long image = a.get("image_id").asLong();
            if (!heldOut.contains(image)) {
                memory.add(a.get("caption").asText());
            } else {
                queryOf.putIfAbsent(image, a.get("caption").asText());
            }
        }
        List<String> held = new ArrayList<>(queryOf.values());
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        long t = System.nanoTime();
        try (OnnxTextEncoder encoder = OnnxTextEncoder.builder().model(tiny.resolve("text_encoder.onnx"))
                .tokenizer(tokenizer).build()) {
            InMemoryMemoryBank bank = InMemoryMemoryBank.encode(encoder, memory, (done, total) -> { });
            List<float[]> queries = new ArrayList<>();
            for (float[] q : encoder.encodeAll(held)) {
                queries.add(dev.decap.Vectors.normalized(q, "query")); // projectors receive unit vectors
            }
            System.out.printf(Locale.ROOT, "encoded %d COCO captions (+%d held-out queries) with the tiny tower in "
                    + "%.1f s%n", memory.size(), held.size(), secs(t));
            return List.of(bank, queries);
        }
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static String rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return line.substring(6).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "n/a";
    }

    /** CPU time of the whole process (every thread, the garbage collector's included). */
    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    private static String loadAverage() {
        return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static double secs(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
