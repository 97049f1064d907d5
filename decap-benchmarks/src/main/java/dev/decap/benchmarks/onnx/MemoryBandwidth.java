package dev.decap.benchmarks.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A STREAM-like read-bandwidth probe: sums a 1 GiB int array (far larger than any cache) with eight independent
 * accumulators, on one thread and split across all cores, and prints the best of ten passes in GB/s. Gives the
 * ceiling that a bank scan, which reads every byte of the bank once, can reach on this machine.
 *
 * <pre>java -Xmx3g -cp "$(cat decap-onnx/target/bench.classpath)" dev.decap.benchmarks.onnx.MemoryBandwidth</pre>
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {
    }

    public static void main(String[] args) throws Exception {
        int[] data = data(256 * 1024 * 1024);
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf("1 thread:  %.1f GB/s%n", best(data, 1));
        System.out.printf("%d threads: %.1f GB/s%n", threads, best(data, threads));
    }

    /**
     * The read bandwidth, in GB/s, of each of {@code passes} passes summing all of {@code data} split across
     * {@code threads} threads (for callers that report medians and ranges beside their own figures).
     */
    public static double[] passes(int[] data, int threads, int passes) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double[] out = new double[passes];
            long check = 0;
            for (int pass = 0; pass < passes; pass++) {
                long start = System.nanoTime();
                List<Future<Long>> parts = new ArrayList<>();
                int chunk = data.length / threads;
                for (int t = 0; t < threads; t++) {
                    int from = t * chunk;
                    int to = t == threads - 1 ? data.length : from + chunk;
                    parts.add(pool.submit(() -> sum(data, from, to)));
                }
                for (Future<Long> f : parts) {
                    check += f.get();
                }
                out[pass] = 4.0 * data.length / ((System.nanoTime() - start) / 1e9) / 1e9;
            }
            if (check == 42) {
                System.out.println();
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** An array of {@code n} ints (4n bytes) for {@link #passes}, every page touched. */
    public static int[] data(int n) {
        int[] data = new int[n];
        for (int i = 0; i < n; i++) {
            data[i] = i;
        }
        return data;
    }

    private static double best(int[] data, int threads) throws Exception {
        return Arrays.stream(passes(data, threads, 10)).max().orElseThrow();
    }

    private static long sum(int[] a, int from, int to) {
        int s0 = 0;
        int s1 = 0;
        int s2 = 0;
        int s3 = 0;
        int s4 = 0;
        int s5 = 0;
        int s6 = 0;
        int s7 = 0;
        int i = from;
        for (; i + 7 < to; i += 8) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
            s4 += a[i + 4];
            s5 += a[i + 5];
            s6 += a[i + 6];
            s7 += a[i + 7];
        }
        for (; i < to; i++) {
            s0 += a[i];
        }
        return (long) s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
    }
}
