package dev.decap.benchmarks.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.benchmarks.onnx.MemoryBandwidth;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.VectorType;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.decap.benchmarks.onnx.BenchStats.cosine;
import static dev.decap.benchmarks.onnx.BenchStats.max;
import static dev.decap.benchmarks.onnx.BenchStats.median;
import static dev.decap.benchmarks.onnx.BenchStats.min;

/**
 * Dense projection decoding against the machine's read bandwidth, in one run: the read bandwidth (STREAM-like
 * sum of a 1 GiB array, {@link MemoryBandwidth}) on one thread and on {@code THREADS}, then PD over an N x d
 * bank stored as fp32 in RAM and as fp32, fp16 and int8 bank files, for batches of 1, 8 and 32 queries. Every
 * measurement is repeated {@code REPEATS} times with the configurations interleaved (so load bursts of a shared
 * machine hit all of them alike); the table gives the median and the range in ms, the process CPU time per call
 * divided by the thread count (what the call would take if the cores were not shared: the figure that load from
 * other jobs distorts least), the bytes one PD reads (the stored vectors, plus int8's row scales), the bound
 * {@code bytes / bandwidth} with the best bandwidth pass of the same thread count (the machine's capability; a
 * loaded machine's median understates it), and the ratios of the median and of the CPU figure to the bound.
 *
 * <p>Then the compute cost: PD on one thread over a 4096-row bank of each storage (8 MiB at fp32, so it stays in
 * the last-level cache and no memory bandwidth is involved), as thread CPU time per row, the least of 30 calls:
 * what the kernels cost when memory is not the limit, and little disturbed by other jobs.
 *
 * <p>Then the accuracy of the reduced-precision banks against the fp32 bank: the cosine between projections and
 * the agreement of the top contribution, for random queries and for queries near a bank row (a row plus noise, as
 * a captioner's image embedding is near its best caption).
 *
 * <pre>
 * ./mvnw -B -q -o -pl decap-benchmarks -am package -DskipTests
 * java -Xmx6g -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.core.ProjectionBandwidthBenchmark \
 *     /tmp/pd-bench 500000 512 2 7 [OUT.json]     # DIR N DIMENSION THREADS REPEATS [JSON]
 * </pre>
 * With a sixth argument the figures are also written as JSON (the bandwidth, every storage and batch with its
 * median, range, CPU figure, bytes and bound, the compute cost per row, and the kernels in use), which
 * {@code tools/benchmark.sh} reads into its summary.
 * Bank files are written into DIR once and reused (delete them to rebuild).
 */
public final class ProjectionBandwidthBenchmark {
    private static final EncoderIdentity ENCODER = new EncoderIdentity("benchmark-random", "00".repeat(32));
    private static final int[] BATCHES = {1, 8, 32};
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProjectionBandwidthBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/pd-bench");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 500_000;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int repeats = args.length > 4 ? Integer.parseInt(args[4]) : 7;
        Path jsonOut = args.length > 5 ? Path.of(args[5]) : null;
        ObjectNode json = JSON.createObjectNode();
        json.put("rows", n);
        json.put("dimension", d);
        json.put("threads", threads);
        json.put("kernels", ProjectionDecoding.kernels());
        Files.createDirectories(dir);
        System.out.printf("PD at the bandwidth limit: N = %d, d = %d, %d threads, %d repeats, %d cores, %s%n", n, d,
                threads, repeats, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));

        int[] probe = MemoryBandwidth.data(256 * 1024 * 1024);
        double[] bw1 = MemoryBandwidth.passes(probe, 1, 10);
        double[] bwT = MemoryBandwidth.passes(probe, threads, 10);
        probe = null;
        System.out.printf("read bandwidth, 1 thread: median %.1f GB/s (%.1f - %.1f)%n", median(bw1), min(bw1),
                max(bw1));
        System.out.printf("read bandwidth, %d threads: median %.1f GB/s (%.1f - %.1f)%n", threads, median(bwT),
                min(bwT), max(bwT));

        Map<String, MemoryBank> banks = new LinkedHashMap<>();
        Map<String, Long> bytes = new LinkedHashMap<>();
        List<MemoryBankFile> files = new ArrayList<>();
        for (VectorType type : VectorType.values()) {
            Path file = dir.resolve("random-" + n + "x" + d + "-" + type.id() + ".dmb");
            if (!Files.exists(file)) {
                long t0 = System.nanoTime();
                write(file, n, d, type);
                System.out.printf("wrote %s in %.1f s%n", file, (System.nanoTime() - t0) / 1e9);
            }
            MemoryBankFile bank = MemoryBankFile.open(file);
            files.add(bank);
            banks.put(type.id() + " file", bank);
            bytes.put(type.id() + " file", (long) n * type.rowBytes(d));
        }
        MemoryBankFile fp32 = files.get(0);
        InMemoryMemoryBank.Builder ram = InMemoryMemoryBank.builder().dimension(d).expectedSize(n);
        for (int i = 0; i < n; i++) {
            ram.add(fp32.caption(i), fp32.embedding(i));
        }
        banks.put("fp32 RAM", ram.build());
        bytes.put("fp32 RAM", (long) n * d * 4);

        ProjectionDecoding pd = ProjectionDecoding.builder().parallelism(threads).build();
        List<float[]> queries = randomQueries(32, d, 7);
        List<String> keys = new ArrayList<>();
        Map<String, double[]> times = new LinkedHashMap<>();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (String bank : banks.keySet()) {
            for (int b : BATCHES) {
                String key = bank + "|" + b;
                keys.add(key);
                times.put(key, new double[repeats]);
                cpu.put(key, new double[repeats]);
                for (int w = 0; w < 3; w++) {
                    pd.projectAll(queries.subList(0, b), banks.get(bank)); // warm-up, pages the bank in
                }
            }
        }
        for (int r = 0; r < repeats; r++) {
            for (String key : keys) {
                String bank = key.substring(0, key.indexOf('|'));
                int b = Integer.parseInt(key.substring(key.indexOf('|') + 1));
                long c0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                pd.projectAll(queries.subList(0, b), banks.get(bank));
                times.get(key)[r] = (System.nanoTime() - t0) / 1e6;
                cpu.get(key)[r] = (os.getProcessCpuTime() - c0) / 1e6 / threads;
            }
        }
        double bandwidth = max(bwT);
        json.put("bandwidth_gbs", bandwidth);
        json.put("bandwidth_median_gbs", median(bwT));
        json.put("bandwidth_1_thread_gbs", max(bw1));
        ObjectNode runs = json.putObject("projection");
        System.out.printf("%n| storage | batch | ms, median (min - max) | CPU ms / %d, median | bytes read "
                + "| bound at %.1f GB/s (ms) | median / bound | CPU / bound |%n|---|---:|---:|---:|---:|---:|---:|---:|%n",
                threads, bandwidth);
        for (String key : keys) {
            String bank = key.substring(0, key.indexOf('|'));
            int b = Integer.parseInt(key.substring(key.indexOf('|') + 1));
            double[] t = times.get(key);
            double bound = bytes.get(bank) / (bandwidth * 1e9) * 1e3;
            double c = median(cpu.get(key));
            System.out.printf("| %s | %d | %.1f (%.1f - %.1f) | %.1f | %.0f MB | %.1f | %.2fx | %.2fx |%n", bank, b,
                    median(t), min(t), max(t), c, bytes.get(bank) / 1e6, bound, median(t) / bound, c / bound);
            ObjectNode o = runs.putObject(bank.replace(' ', '_') + "_batch_" + b);
            o.put("median_ms", median(t));
            o.put("min_ms", min(t));
            o.put("max_ms", max(t));
            o.put("cpu_ms_per_thread", c);
            o.put("bytes", bytes.get(bank));
            o.put("bound_ms", bound);
            o.put("median_over_bound", median(t) / bound);
        }

        computeCost(dir, d, queries, json.putObject("compute_ns_per_row_1_thread"));
        if (jsonOut != null) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(jsonOut.toFile(), json);
        }

        System.out.printf("%n| storage | queries | projection cosine to fp32, min (median) | top-1 agreement |%n"
                + "|---|---|---:|---:|%n");
        List<float[]> near = nearQueries(fp32, 200, 11);
        List<float[]> random = randomQueries(200, d, 12);
        for (Map.Entry<String, List<float[]>> set : Map.of("random", random, "near a row", near).entrySet()) {
            List<Projection> reference = pd.projectAll(set.getValue(), fp32);
            for (MemoryBankFile f : files.subList(1, files.size())) {
                List<Projection> got = pd.projectAll(set.getValue(), f);
                double[] cos = new double[got.size()];
                int agree = 0;
                for (int i = 0; i < got.size(); i++) {
                    cos[i] = cosine(reference.get(i).vector(), got.get(i).vector());
                    if (reference.get(i).contributions().get(0).index() == got.get(i).contributions().get(0).index()) {
                        agree++;
                    }
                }
                System.out.printf("| %s | %d %s | %.7f (%.7f) | %d / %d |%n", f.vectorType().id(), got.size(),
                        set.getKey(), min(cos), median(cos), agree, got.size());
            }
        }
        files.forEach(MemoryBankFile::close);
    }

    /** Thread CPU ns per row of single-threaded PD over small (cache-resident) banks of every storage. */
    private static void computeCost(Path dir, int d, List<float[]> queries, ObjectNode json) {
        int n = 4096;
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Map<String, MemoryBank> small = new LinkedHashMap<>();
        List<MemoryBankFile> files = new ArrayList<>();
        for (VectorType type : VectorType.values()) {
            Path file = dir.resolve("random-" + n + "x" + d + "-" + type.id() + ".dmb");
            if (!Files.exists(file)) {
                write(file, n, d, type);
            }
            MemoryBankFile bank = MemoryBankFile.open(file);
            files.add(bank);
            small.put(type.id() + " file", bank);
        }
        InMemoryMemoryBank.Builder ram = InMemoryMemoryBank.builder().dimension(d).expectedSize(n);
        for (int i = 0; i < n; i++) {
            ram.add(files.get(0).caption(i), files.get(0).embedding(i));
        }
        small.put("fp32 RAM", ram.build());
        ProjectionDecoding one = ProjectionDecoding.create();
        System.out.printf("%n| storage (%d rows, 1 thread) | batch 1: CPU ns per row | batch 8: per row and query "
                + "| batch 32: per row and query |%n|---|---:|---:|---:|%n", n);
        for (Map.Entry<String, MemoryBank> e : small.entrySet()) {
            StringBuilder line = new StringBuilder("| " + e.getKey());
            for (int b : BATCHES) {
                double best = Double.MAX_VALUE;
                for (int i = 0; i < 30; i++) {
                    long t0 = mx.getCurrentThreadCpuTime();
                    one.projectAll(queries.subList(0, b), e.getValue());
                    best = Math.min(best, (mx.getCurrentThreadCpuTime() - t0) / (double) n / b);
                }
                line.append(String.format(" | %.0f", best));
                json.put(e.getKey().replace(' ', '_') + "_batch_" + b, Math.round(best));
            }
            System.out.println(line.append(" |"));
        }
        files.forEach(MemoryBankFile::close);
    }

    private static void write(Path file, int n, int d, VectorType type) {
        SplittableRandom r = new SplittableRandom(1);
        float[] v = new float[d];
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(d).encoder(ENCODER)
                .vectorType(type).dedupe(false).build()) {
            for (int i = 0; i < n; i++) {
                gaussian(r, v);
                w.add("random caption " + i, v);
            }
            w.commit();
        }
    }

    private static void gaussian(SplittableRandom r, float[] v) {
        for (int j = 0; j < v.length; j += 2) {
            // Box-Muller, two normals per pair of uniforms
            double u = r.nextDouble();
            double a = 2 * Math.PI * r.nextDouble();
            double m = Math.sqrt(-2 * Math.log(1 - u));
            v[j] = (float) (m * Math.cos(a));
            if (j + 1 < v.length) {
                v[j + 1] = (float) (m * Math.sin(a));
            }
        }
    }

    private static List<float[]> randomQueries(int count, int d, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            float[] v = new float[d];
            gaussian(r, v);
            out.add(dev.decap.Vectors.normalized(v, "query"));
        }
        return out;
    }

    /** A bank row plus Gaussian noise of the same norm as the row, so the row is the clear top match. */
    private static List<float[]> nearQueries(MemoryBank bank, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>();
        float[] noise = new float[bank.dimension()];
        for (int i = 0; i < count; i++) {
            float[] v = bank.embedding(r.nextInt(bank.size()));
            gaussian(r, noise);
            float scale = (float) (1 / Math.sqrt(bank.dimension()));
            for (int j = 0; j < v.length; j++) {
                v[j] += noise[j] * scale;
            }
            out.add(dev.decap.Vectors.normalized(v, "query"));
        }
        return out;
    }
}
