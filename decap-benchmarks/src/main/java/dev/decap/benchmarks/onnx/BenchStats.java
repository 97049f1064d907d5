package dev.decap.benchmarks.onnx;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;

/** Medians and the {@code {"median_ms", "min_ms", "max_ms", "runs"}} objects of the benchmark mains. */
final class BenchStats {
    private BenchStats() {
    }

    static double median(double[] x) {
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

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
