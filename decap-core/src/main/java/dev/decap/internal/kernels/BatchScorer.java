package dev.decap.internal.kernels;

import java.util.Arrays;

/**
 * Scores a batch of queries against blocks of memory rows, with the same results, bit for bit, as
 * {@link DotKernels#dots} (the canonical eight-lane order). Not public API; one instance per thread.
 *
 * <p>With the vector kernels ({@link VectorKernels}) it is {@link DotKernels#dotsBatch}, vectorised along the
 * components, at every batch size. Without them, small batches use the scalar {@link DotKernels#dotsBatch}, and
 * from {@link #TRANSPOSE_FROM} queries on the block is transposed once into {@code dimension} arrays of
 * {@code rows} floats and {@code s[r] += q[i] * mT[i][r]} is accumulated over the rows, four queries per pass, one
 * accumulator array per query and lane: loops over small arrays indexed from 0, which HotSpot C2 (JDK 17)
 * vectorises along the rows without reassociating anything. The transposition does not pay below 16 queries.
 */
public final class BatchScorer {
    /** Without the vector kernels, batches at least this large use the transposed kernel. */
    public static final int TRANSPOSE_FROM = 16;

    private static final boolean VECTOR = VectorKernels.enabled();
    private static final int L = DotKernels.LANES;

    private final int dimension;
    private final int maxRows;
    private float[][] transposed;
    /** Accumulators of four queries: lane {@code l} of query {@code k} in {@code acc[l * 4 + k]}. */
    private float[][] acc;

    /** A scorer for rows of {@code dimension} floats, in blocks of at most {@code maxRows} rows. */
    public BatchScorer(int dimension, int maxRows) {
        this.dimension = dimension;
        this.maxRows = maxRows;
    }

    private static void accumulate4(float[] a0, float[] a1, float[] a2, float[] a3, float[] x, float u0, float u1,
                                    float u2, float u3, int rows) {
        for (int r = 0; r < rows; r++) {
            float v = x[r];
            a0[r] += u0 * v;
            a1[r] += u1 * v;
            a2[r] += u2 * v;
            a3[r] += u3 * v;
        }
    }

    /**
     * {@code out[q * outStride + r] = dot(query q, row r)} for {@code q < count}, {@code r < rows}; query
     * {@code q} starts at {@code queries[q * dimension]}, row {@code r} at {@code data[offset + r * dimension]}.
     */
    public void score(float[] queries, int count, float[] data, int offset, int rows, float[] out, int outStride) {
        score(queries, count, data, offset, rows, out, outStride, VECTOR);
    }

    /** {@link #score}, choosing the vector kernels or not (tests compare both). */
    void score(float[] queries, int count, float[] data, int offset, int rows, float[] out, int outStride,
               boolean vector) {
        if (vector) {
            DotKernels.dotsBatch(queries, count, data, offset, rows, dimension, out, outStride);
            return;
        }
        if (count < TRANSPOSE_FROM || rows > maxRows) {
            DotKernels.scalarDotsBatch(queries, count, data, offset, rows, dimension, out, outStride);
            return;
        }
        int d = dimension;
        if (transposed == null) {
            transposed = new float[d][maxRows];
            acc = new float[4 * L][maxRows];
        }
        float[][] t = transposed;
        for (int r = 0; r < rows; r++) {
            int o = offset + r * d;
            for (int i = 0; i < d; i++) {
                t[i][r] = data[o + i];
            }
        }
        int b = 0;
        for (; b + 3 < count; b += 4) {
            int q0 = b * d;
            for (float[] a : acc) {
                Arrays.fill(a, 0, rows, 0f);
            }
            for (int i = 0; i < d; i++) {
                int p = (i & (L - 1)) * 4;
                accumulate4(acc[p], acc[p + 1], acc[p + 2], acc[p + 3], t[i], queries[q0 + i],
                        queries[q0 + d + i], queries[q0 + 2 * d + i], queries[q0 + 3 * d + i], rows);
            }
            for (int k = 0; k < 4; k++) {
                reduceInto(acc, k, 4, out, (b + k) * outStride, rows);
            }
        }
        for (; b < count; b++) {
            int q0 = b * d;
            for (int l = 0; l < L; l++) {
                Arrays.fill(acc[l], 0, rows, 0f);
            }
            for (int i = 0; i < d; i++) {
                float u = queries[q0 + i];
                float[] a = acc[i & (L - 1)];
                float[] x = t[i];
                for (int r = 0; r < rows; r++) {
                    a[r] += u * x[r];
                }
            }
            reduceInto(acc, 0, 1, out, b * outStride, rows);
        }
    }

    /** {@code out[at + r]} = the canonical reduction of lanes {@code acc[l * step + k][r]}, l = 0..7. */
    private static void reduceInto(float[][] acc, int k, int step, float[] out, int at, int rows) {
        float[] l0 = acc[k];
        float[] l1 = acc[step + k];
        float[] l2 = acc[2 * step + k];
        float[] l3 = acc[3 * step + k];
        float[] l4 = acc[4 * step + k];
        float[] l5 = acc[5 * step + k];
        float[] l6 = acc[6 * step + k];
        float[] l7 = acc[7 * step + k];
        for (int r = 0; r < rows; r++) {
            out[at + r] = DotKernels.reduce(l0[r], l1[r], l2[r], l3[r], l4[r], l5[r], l6[r], l7[r]);
        }
    }
}
