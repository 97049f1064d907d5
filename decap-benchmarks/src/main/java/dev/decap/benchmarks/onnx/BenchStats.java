package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;

/**
 * Medians, extremes, cosines and the {@code {"median_ms", "min_ms", "max_ms", "runs"}} objects of the benchmark
 * mains.
 */
public final class BenchStats {
    private BenchStats() {
    }

    /** The median of {@code x} (the mean of the middle two for an even length). */
    public static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Median, min and max of {@code ms} (rounded to microseconds) and the number of runs. */
    static ObjectNode stats(double[] ms) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("median_ms", round(median(ms)));
        o.put("min_ms", round(Arrays.stream(ms).min().orElse(0)));
        o.put("max_ms", round(Arrays.stream(ms).max().orElse(0)));
        o.put("runs", ms.length);
        return o;
    }

    /** The least of {@code x}, NaN when empty. */
    public static double min(double[] x) {
        return Arrays.stream(x).min().orElse(Double.NaN);
    }

    /** The greatest of {@code x}, NaN when empty. */
    public static double max(double[] x) {
        return Arrays.stream(x).max().orElse(Double.NaN);
    }

    /** The cosine of two vectors, accumulated in double. */
    public static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
