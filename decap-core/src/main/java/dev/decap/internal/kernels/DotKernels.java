package dev.decap.internal.kernels;

/**
 * Dense dot-product and axpy kernels for memory scans. Not public API.
 *
 * <p><b>Accumulation order is part of the contract.</b> Every kernel computes each (query, row) dot product in
 * {@value #LANES} lanes: lane {@code l} sums the products {@code q[i] * m[i]} of the components
 * {@code i ≡ l (mod 8)} in index order (a multiply, then an add: Java never fuses them), and the lanes are added as
 * {@code ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7))}. That is exactly what one 256-bit vector accumulator
 * computes, so the scalar kernels here and the vector kernels of {@link VectorKernels} (used when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}) give the same bits, and so do single-query and batched kernels: a
 * projection does not depend on the batch it is part of, nor on whether the vector module is present. Speed comes
 * from working on several rows or queries at once, never from reassociating further.
 *
 * <p>Scalar speed: eight independent chains of float additions per row keep the adder busy (Java's float
 * additions are 3 to 4 cycles each, so one accumulator per row waits on its chain).
 */
public final class DotKernels {
    /** Lanes of the canonical accumulation order (one 256-bit vector of floats). */
    public static final int LANES = 8;

    private DotKernels() {
    }

    /** The lanes reduced in the canonical order. */
    static float reduce(float l0, float l1, float l2, float l3, float l4, float l5, float l6, float l7) {
        return ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7));
    }

    /** {@link #reduce} of {@code lanes[0..7]} after adding the products of the tail {@code from .. d}. */
    static float finish(float[] lanes, float[] q, int qOffset, float[] m, int mOffset, int from, int d) {
        for (int i = from; i < d; i++) {
            lanes[i - from] += q[qOffset + i] * m[mOffset + i];
        }
        return reduce(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
    }

    /**
     * {@code out[outOffset + r] = dot(q[qOffset ..], data[offset + r*d ..])} for {@code r < rows}.
     */
    public static void dots(float[] q, int qOffset, float[] data, int offset, int rows, int d,
                            float[] out, int outOffset) {
        // Read from the holder on each call (a constant once compiled), not cached in a field of this class:
        // the holder's self-check runs the scalar kernels here, which must not wait for the holder.
        VectorKernels vector = VectorKernels.Holder.INSTANCE;
        if (vector != null) {
            vector.dots(q, qOffset, data, offset, rows, d, out, outOffset);
            return;
        }
        scalarDots(q, qOffset, data, offset, rows, d, out, outOffset);
    }

    /** {@link #dots} without the vector kernels (for tests and benchmarks). */
    public static void scalarDots(float[] q, int qOffset, float[] data, int offset, int rows, int d,
                                  float[] out, int outOffset) {
        for (int r = 0; r < rows; r++) {
            out[outOffset + r] = dot(q, qOffset, data, offset + r * d, d);
        }
    }

    /** One dot product in the canonical order (eight lanes, each in index order; scalar). */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int d) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int i = 0;
        for (; i + 7 < d; i += 8) {
            int x = aOffset + i;
            int y = bOffset + i;
            s0 += a[x] * b[y];
            s1 += a[x + 1] * b[y + 1];
            s2 += a[x + 2] * b[y + 2];
            s3 += a[x + 3] * b[y + 3];
            s4 += a[x + 4] * b[y + 4];
            s5 += a[x + 5] * b[y + 5];
            s6 += a[x + 6] * b[y + 6];
            s7 += a[x + 7] * b[y + 7];
        }
        int t = d - i;
        if (t > 0) {
            int x = aOffset + i;
            int y = bOffset + i;
            s0 += a[x] * b[y];
            if (t > 1) {
                s1 += a[x + 1] * b[y + 1];
            }
            if (t > 2) {
                s2 += a[x + 2] * b[y + 2];
            }
            if (t > 3) {
                s3 += a[x + 3] * b[y + 3];
            }
            if (t > 4) {
                s4 += a[x + 4] * b[y + 4];
            }
            if (t > 5) {
                s5 += a[x + 5] * b[y + 5];
            }
            if (t > 6) {
                s6 += a[x + 6] * b[y + 6];
            }
        }
        return reduce(s0, s1, s2, s3, s4, s5, s6, s7);
    }

    /**
     * Scores a batch of queries against a block of rows: {@code out[b * outStride + r] = dot(query b, row r)},
     * where query {@code b} starts at {@code queries[b * d]}.
     */
    public static void dotsBatch(float[] queries, int count, float[] data, int offset, int rows, int d,
                                 float[] out, int outStride) {
        VectorKernels vector = VectorKernels.Holder.INSTANCE;
        if (vector != null) {
            vector.dotsBatch(queries, count, data, offset, rows, d, out, outStride);
            return;
        }
        scalarDotsBatch(queries, count, data, offset, rows, d, out, outStride);
    }

    /**
     * {@link #dotsBatch} without the vector kernels: tiles of two queries by one row (sixteen accumulators), so
     * that each loaded component of a row feeds two products.
     */
    public static void scalarDotsBatch(float[] queries, int count, float[] data, int offset, int rows, int d,
                                       float[] out, int outStride) {
        int b = 0;
        int d8 = d & ~7;
        float[] lanes = new float[LANES];
        for (; b + 1 < count; b += 2) {
            int q0 = b * d;
            int q1 = q0 + d;
            int p0 = b * outStride;
            int p1 = p0 + outStride;
            for (int r = 0; r < rows; r++) {
                int o = offset + r * d;
                float a0 = 0;
                float a1 = 0;
                float a2 = 0;
                float a3 = 0;
                float a4 = 0;
                float a5 = 0;
                float a6 = 0;
                float a7 = 0;
                float c0 = 0;
                float c1 = 0;
                float c2 = 0;
                float c3 = 0;
                float c4 = 0;
                float c5 = 0;
                float c6 = 0;
                float c7 = 0;
                for (int i = 0; i < d8; i += 8) {
                    int m = o + i;
                    int u = q0 + i;
                    int v = q1 + i;
                    float x = data[m];
                    a0 += queries[u] * x;
                    c0 += queries[v] * x;
                    x = data[m + 1];
                    a1 += queries[u + 1] * x;
                    c1 += queries[v + 1] * x;
                    x = data[m + 2];
                    a2 += queries[u + 2] * x;
                    c2 += queries[v + 2] * x;
                    x = data[m + 3];
                    a3 += queries[u + 3] * x;
                    c3 += queries[v + 3] * x;
                    x = data[m + 4];
                    a4 += queries[u + 4] * x;
                    c4 += queries[v + 4] * x;
                    x = data[m + 5];
                    a5 += queries[u + 5] * x;
                    c5 += queries[v + 5] * x;
                    x = data[m + 6];
                    a6 += queries[u + 6] * x;
                    c6 += queries[v + 6] * x;
                    x = data[m + 7];
                    a7 += queries[u + 7] * x;
                    c7 += queries[v + 7] * x;
                }
                if (d8 == d) {
                    out[p0 + r] = reduce(a0, a1, a2, a3, a4, a5, a6, a7);
                    out[p1 + r] = reduce(c0, c1, c2, c3, c4, c5, c6, c7);
                } else {
                    set(lanes, a0, a1, a2, a3, a4, a5, a6, a7);
                    out[p0 + r] = finish(lanes, queries, q0, data, o, d8, d);
                    set(lanes, c0, c1, c2, c3, c4, c5, c6, c7);
                    out[p1 + r] = finish(lanes, queries, q1, data, o, d8, d);
                }
            }
        }
        for (; b < count; b++) {
            scalarDots(queries, b * d, data, offset, rows, d, out, b * outStride);
        }
    }

    private static void set(float[] lanes, float l0, float l1, float l2, float l3, float l4, float l5, float l6,
                            float l7) {
        lanes[0] = l0;
        lanes[1] = l1;
        lanes[2] = l2;
        lanes[3] = l3;
        lanes[4] = l4;
        lanes[5] = l5;
        lanes[6] = l6;
        lanes[7] = l7;
    }

    /** {@code acc[accOffset + i] += w * data[offset + i]} for {@code i < d}; C2 vectorises this loop. */
    public static void axpy(float w, float[] data, int offset, float[] acc, int accOffset, int d) {
        for (int i = 0; i < d; i++) {
            acc[accOffset + i] += w * data[offset + i];
        }
    }
}
