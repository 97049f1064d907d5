package dev.decap;

import dev.decap.spi.Arguments;

import java.util.List;

/**
 * Small, allocation-conscious vector helpers shared by every component. All methods are stateless and thread-safe.
 * Vectors are plain {@code float[]}; accumulation is done in {@code double} where it affects results.
 */
public final class Vectors {
    private Vectors() {
    }

    /** Dot product of two equally long vectors. */
    public static float dot(float[] a, float[] b) {
        Arguments.requireNonNull(a, "a");
        Arguments.requireNonNull(b, "b");
        if (a.length != b.length) {
            throw new InvalidInputException("vectors differ in length: expected " + a.length + ", found " + b.length);
        }
        return dot(a, 0, b, 0, a.length);
    }

    /** Dot product of {@code length} elements of {@code a} from {@code aOffset} and {@code b} from {@code bOffset}. */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        Arguments.requireNonNull(a, "a");
        Arguments.requireNonNull(b, "b");
        // Four accumulators let the JIT pipeline the loop; the order is fixed, so results are deterministic.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < length; i += 4) {
            s0 += a[aOffset + i] * b[bOffset + i];
            s1 += a[aOffset + i + 1] * b[bOffset + i + 1];
            s2 += a[aOffset + i + 2] * b[bOffset + i + 2];
            s3 += a[aOffset + i + 3] * b[bOffset + i + 3];
        }
        for (; i < length; i++) {
            s0 += a[aOffset + i] * b[bOffset + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Euclidean norm, accumulated in double. */
    public static double norm(float[] v) {
        Arguments.requireNonNull(v, "v");
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /**
     * Returns a new unit-length copy of {@code v}.
     *
     * @param what names the vector in error messages, e.g. "image embedding"
     * @throws InvalidInputException if {@code v} is null, empty, holds NaN or infinity, or has zero length
     */
    public static float[] normalized(float[] v, String what) {
        Arguments.requireNonNull(what, "what");
        requireFinite(v, what);
        double n = norm(v);
        if (n == 0 || !Double.isFinite(n)) {
            throw new InvalidInputException(what + " has zero length and cannot be normalised; "
                    + "check that the encoder produced a real embedding");
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / n);
        }
        return out;
    }

    /**
     * Checks that {@code v} is non-null, non-empty and holds only finite values.
     *
     * @throws InvalidInputException naming {@code what} otherwise
     */
    public static float[] requireFinite(float[] v, String what) {
        Arguments.requireNonNull(what, "what");
        if (v == null) {
            throw new InvalidInputException(what + " is null; pass a float[] embedding");
        }
        if (v.length == 0) {
            throw new InvalidInputException(what + " is empty; pass a float[] embedding");
        }
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new InvalidInputException(what + " holds " + v[i] + " at index " + i
                        + "; embeddings must be finite");
            }
        }
        return v;
    }

    /** How far from 1 the length of a vector that must be unit may be ({@link #requireUnit}). */
    public static final double UNIT_TOLERANCE = 1e-3;

    /** Whether {@code v} is finite and of length 1 within {@code tolerance}. */
    public static boolean isUnit(float[] v, double tolerance) {
        if (v == null || v.length == 0) {
            return false;
        }
        double n = norm(v);
        return Double.isFinite(n) && Math.abs(n - 1) <= tolerance;
    }

    /**
     * Checks that {@code v} is finite, of {@code expected} elements and of unit length within
     * {@link #UNIT_TOLERANCE}; for contracts that receive unit vectors (a {@code Projector}), so that nothing is
     * normalised twice. Returns {@code v} itself, not a copy.
     *
     * @throws InvalidInputException naming {@code what} and saying to normalise with {@link #normalized}
     */
    public static float[] requireUnit(float[] v, int expected, String what) {
        Arguments.requireNonNull(what, "what");
        requireDimension(v, expected, what);
        double n = norm(v);
        if (!(Math.abs(n - 1) <= UNIT_TOLERANCE)) {
            throw new InvalidInputException(what + " has length " + (float) n + ", expected a unit vector (length 1 "
                    + "within " + UNIT_TOLERANCE + "); normalise it with Vectors.normalized(v, what) first (DeCap's "
                    + "captioner does this for you)");
        }
        return v;
    }

    /** Checks that {@code v} has {@code expected} elements: "expected 512, found 768". */
    public static float[] requireDimension(float[] v, int expected, String what) {
        Arguments.requireNonNull(what, "what");
        requireFinite(v, what);
        if (v.length != expected) {
            throw new InvalidInputException(what + " has the wrong dimension: expected " + expected
                    + ", found " + v.length);
        }
        return v;
    }

    /**
     * The mean of several vectors, re-normalised to unit length (how DeCap pools video frames).
     *
     * @throws InvalidInputException if the list is empty, or vectors differ in length or are not finite
     */
    public static float[] normalizedMean(List<float[]> vectors, String what) {
        Arguments.requireNonNull(what, "what");
        if (vectors == null || vectors.isEmpty()) {
            throw new InvalidInputException(what + ": no vectors to average; pass at least one");
        }
        int d = vectors.get(0).length;
        double[] sum = new double[d];
        for (int k = 0; k < vectors.size(); k++) {
            float[] v = requireDimension(vectors.get(k), d, what + " " + k);
            for (int i = 0; i < d; i++) {
                sum[i] += v[i];
            }
        }
        float[] mean = new float[d];
        for (int i = 0; i < d; i++) {
            mean[i] = (float) (sum[i] / vectors.size());
        }
        return normalized(mean, what + " (mean)");
    }
}
