package dev.decap.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic random data for memory-bank and projector tests. */
public final class TestVectors {
    private TestVectors() {
    }

    /** {@code count} Gaussian vectors of {@code dimension} floats, deliberately not unit length. */
    public static List<float[]> gaussian(int count, int dimension, long seed) {
        Random random = new Random(seed);
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] v = new float[dimension];
            double scale = 0.5 + 3 * random.nextDouble();
            for (int j = 0; j < dimension; j++) {
                v[j] = (float) (random.nextGaussian() * scale);
            }
            out.add(v);
        }
        return out;
    }

    /**
     * The {@link #gaussian} vectors normalised to unit length: queries as a captioner hands them to a projector
     * (the {@code Projector} contract takes unit vectors).
     */
    public static List<float[]> unitGaussian(int count, int dimension, long seed) {
        List<float[]> out = new java.util.ArrayList<>(count);
        for (float[] v : gaussian(count, dimension, seed)) {
            double[] u = unit(v);
            float[] f = new float[u.length];
            for (int i = 0; i < u.length; i++) {
                f[i] = (float) u[i];
            }
            out.add(f);
        }
        return out;
    }

    /** Captions "caption 0", "caption 1", ... */
    public static List<String> captions(int count) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add("caption " + i);
        }
        return out;
    }

    /** {@code v / |v|} in double precision. */
    public static double[] unit(float[] v) {
        double n = 0;
        for (float x : v) {
            n += (double) x * x;
        }
        n = Math.sqrt(n);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / n;
        }
        return out;
    }

    /** Dot product in double precision. */
    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Dot product of a float vector (widened) and a double vector. */
    public static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
