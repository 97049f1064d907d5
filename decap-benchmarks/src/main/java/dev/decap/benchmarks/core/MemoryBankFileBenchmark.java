package dev.decap.benchmarks.core;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.file.BankInfo;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.VectorType;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Memory bank file figures: write throughput, open time, full-verify time and dense projection-decoding scan
 * throughput of fp32 against fp16 banks of N random unit vectors (N = 1,000,000 and d = 512 by default; the fp16
 * bank is 1 GiB, the fp32 bank 2 GiB). Banks are written once into DIR and reused by later runs (delete them to
 * time the writer again). {@code -Dbench.ram=true} (with {@code -Xmx4g}) adds an in-RAM bank as the baseline.
 *
 * <pre>
 * ./mvnw -B -q -o -pl decap-benchmarks -am package -DskipTests
 * java -Xmx4g -Dbench.ram=true -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.core.MemoryBankFileBenchmark \
 *     /tmp/bank-bench 1000000 512
 * </pre>
 */
public final class MemoryBankFileBenchmark {
    private static final EncoderIdentity ENCODER = new EncoderIdentity("benchmark-random", "00".repeat(32));

    private MemoryBankFileBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "/tmp/bank-bench");
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        Files.createDirectories(dir);
        System.out.printf("memory bank files: N = %d, d = %d, %d cores, %s%n", n, d,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        for (VectorType type : List.of(VectorType.FP16, VectorType.FP32)) {
            Path file = dir.resolve("random-" + n + "x" + d + "-" + type.id() + ".dmb");
            if (!Files.exists(file)) {
                long t0 = System.nanoTime();
                BankInfo info = write(file, n, d, type);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%s write: %.1f s, %.0f entries/s, %.0f MB/s (%d bytes)%n", type.id(), s, n / s,
                        info.fileSize() / s / 1e6, info.fileSize());
            }
            double[] opens = new double[21];
            for (int i = 0; i < opens.length; i++) {
                long t0 = System.nanoTime();
                try (MemoryBankFile bank = MemoryBankFile.open(file)) {
                    opens[i] = (System.nanoTime() - t0) / 1e6;
                    if (bank.size() != n) {
                        throw new IllegalStateException("wrong size");
                    }
                }
            }
            Arrays.sort(opens);
            System.out.printf("%s open: median %.2f ms, max %.2f ms (first %.2f ms is a cold JVM)%n", type.id(),
                    opens[opens.length / 2], opens[opens.length - 1], opens[0]);
            try (MemoryBankFile bank = MemoryBankFile.open(file)) {
                long t0 = System.nanoTime();
                bank.verify();
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("%s verify (CRC32C of every section + content SHA-256): %.2f s, %.0f MB/s%n",
                        type.id(), s, Files.size(file) / s / 1e6);
                float[] query = randomUnit(new Random(99), d);
                ProjectionDecoding pd = ProjectionDecoding.create();
                Projection p = null;
                for (int i = 0; i < 2; i++) {
                    p = pd.project(query, bank); // warm-up, pages the bank in
                }
                int reps = 5;
                long t1 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    p = pd.project(query, bank);
                }
                double per = (System.nanoTime() - t1) / 1e9 / reps;
                long bytes = (long) n * d * type.bytesPerComponent();
                System.out.printf("%s dense PD, 1 thread: %.1f ms per projection, %.1f M rows/s, %.2f GB/s of "
                        + "stored vectors (top caption %s)%n", type.id(), per * 1e3, n / per / 1e6,
                        bytes / per / 1e9, p.contributions().get(0).caption());
                List<float[]> queries = new java.util.ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    queries.add(randomUnit(new Random(100 + i), d));
                }
                bank.search(query, 10);
                long t2 = System.nanoTime();
                for (float[] q : queries) {
                    bank.search(q, 10);
                }
                double perSearch = (System.nanoTime() - t2) / 1e9 / queries.size();
                System.out.printf("%s exact top-10 search (one scan, dots only): %.1f ms, %.1f M rows/s, %.2f GB/s "
                        + "of stored vectors%n", type.id(), perSearch * 1e3, n / perSearch / 1e6,
                        bytes / perSearch / 1e9);
                if (type == VectorType.FP32 && Boolean.getBoolean("bench.ram")) {
                    InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().expectedSize(n);
                    for (int i = 0; i < n; i++) {
                        b.add(bank.caption(i), bank.embedding(i));
                    }
                    InMemoryMemoryBank ram = b.build();
                    pd.project(query, ram);
                    long t3 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        pd.project(query, ram);
                    }
                    System.out.printf("in-RAM (InMemoryMemoryBank) dense PD, 1 thread: %.1f ms per projection%n",
                            (System.nanoTime() - t3) / 1e6 / reps);
                    ram.search(query, 10);
                    long t4 = System.nanoTime();
                    for (float[] q : queries) {
                        ram.search(q, 10);
                    }
                    System.out.printf("in-RAM exact top-10 search: %.1f ms%n",
                            (System.nanoTime() - t4) / 1e6 / queries.size());
                }
            }
        }
    }

    private static float[] randomUnit(Random r, int d) {
        float[] v = new float[d];
        double norm = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) r.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    /** Writes n entries; their vectors cycle through a pool of 4096 random ones, so the RNG is not timed. */
    private static BankInfo write(Path file, int n, int d, VectorType type) {
        Random r = new Random(1);
        float[][] pool = new float[4096][d];
        for (float[] v : pool) {
            for (int j = 0; j < d; j++) {
                v[j] = (float) r.nextGaussian();
            }
        }
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(d).encoder(ENCODER)
                .vectorType(type).dedupe(false).build()) {
            for (int i = 0; i < n; i++) {
                w.add("random caption " + i, pool[(int) ((i * 2654435761L) & 4095)]);
            }
            return w.commit();
        }
    }
}
