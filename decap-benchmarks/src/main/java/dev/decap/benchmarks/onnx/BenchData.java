package dev.decap.benchmarks.onnx;

import dev.decap.memory.InMemoryMemoryBank;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Random unit-vector banks and queries for the benchmarks (uniform in the cube, normalised by the bank). */
final class BenchData {
    private BenchData() {
    }

    static InMemoryMemoryBank bank(int size, int dimension, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        InMemoryMemoryBank.Builder builder = InMemoryMemoryBank.builder().dimension(dimension).expectedSize(size);
        float[] v = new float[dimension];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < dimension; j++) {
                v[j] = (float) (random.nextDouble() * 2 - 1);
            }
            builder.add("caption " + i, v);
        }
        return builder.build();
    }

    /** A random unit vector of {@code d} Gaussian components. */
    static float[] unit(java.util.Random rnd, int d) {
        float[] v = new float[d];
        double s = 0;
        for (int i = 0; i < d; i++) {
            v[i] = (float) rnd.nextGaussian();
            s += v[i] * v[i];
        }
        for (int i = 0; i < d; i++) {
            v[i] /= (float) Math.sqrt(s);
        }
        return v;
    }

    static List<float[]> queries(int count, int dimension, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] v = new float[dimension];
            for (int j = 0; j < dimension; j++) {
                v[j] = (float) (random.nextDouble() * 2 - 1);
            }
            // Projectors receive unit vectors (the captioner normalises once).
            out.add(dev.decap.Vectors.normalized(v, "query"));
        }
        return out;
    }
}
