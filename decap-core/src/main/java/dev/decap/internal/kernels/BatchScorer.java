package dev.decap.internal.kernels;

import java.util.Arrays;

/**
 * Scores a batch of queries against blocks of memory rows, with the same results, bit for bit, as
 * {@link DotKernels#dots} (each dot product summed with one accumulator in index order). Not public API; one
 * instance per thread.
 *
 * <p>For small batches it uses {@link DotKernels#dotsBatch} (scalar register tiles, about 13 GFLOP/s on one core of
 * the build machine). From {@link #TRANSPOSE_FROM} queries on, it transposes the block once into
 * {@code dimension} arrays of {@code rows} floats and accumulates {@code s[r] += q[i] * mT[i][r]} over the rows,
 * four queries per pass: loops over small arrays indexed from 0, which HotSpot C2 (JDK 17) vectorises. That
 * reached 20.5 against 13.7 GFLOP/s for 32 queries; the transposition does not pay below 16 queries.
 */
public final class BatchScorer {
    /** Batches at least this large use the transposed, vectorised kernel. */
    public static final int TRANSPOSE_FROM = 16;

    private final int dimension;
    private final int maxRows;
    private float[][] transposed;
    private float[][] acc;

    /** A scorer for rows of {@code dimension} floats, in blocks of at most {@code maxRows} rows. */
    public BatchScorer(int dimension, int maxRows) {
        this.dimension = dimension;
        this.maxRows = maxRows;
    }

    /**
     * {@code out[q * outStride + r] = dot(query q, row r)} for {@code q < count}, {@code r < rows}; query
     * {@code q} starts at {@code queries[q * dimension]}, row {@code r} at {@code data[offset + r * dimension]}.
     */
    public void score(float[] queries, int count, float[] data, int offset, int rows, float[] out, int outStride) {
        if (count < TRANSPOSE_FROM || rows > maxRows) {
            DotKernels.dotsBatch(queries, count, data, offset, rows, dimension, out, outStride);
            return;
        }
        int d = dimension;
        if (transposed == null) {
            transposed = new float[d][maxRows];
            acc = new float[4][maxRows];
        }
        float[][] t = transposed;
        for (int r = 0; r < rows; r++) {
            int o = offset + r * d;
            for (int i = 0; i < d; i++) {
                t[i][r] = data[o + i];
            }
        }
        float[] a0 = acc[0];
        float[] a1 = acc[1];
        float[] a2 = acc[2];
        float[] a3 = acc[3];
        int b = 0;
        for (; b + 3 < count; b += 4) {
            int q0 = b * d;
            int q1 = q0 + d;
            int q2 = q1 + d;
            int q3 = q2 + d;
            Arrays.fill(a0, 0, rows, 0f);
            Arrays.fill(a1, 0, rows, 0f);
            Arrays.fill(a2, 0, rows, 0f);
            Arrays.fill(a3, 0, rows, 0f);
            for (int i = 0; i < d; i++) {
                float u0 = queries[q0 + i];
                float u1 = queries[q1 + i];
                float u2 = queries[q2 + i];
                float u3 = queries[q3 + i];
                float[] x = t[i];
                for (int r = 0; r < rows; r++) {
                    float v = x[r];
                    a0[r] += u0 * v;
                    a1[r] += u1 * v;
                    a2[r] += u2 * v;
                    a3[r] += u3 * v;
                }
            }
            System.arraycopy(a0, 0, out, b * outStride, rows);
            System.arraycopy(a1, 0, out, (b + 1) * outStride, rows);
            System.arraycopy(a2, 0, out, (b + 2) * outStride, rows);
            System.arraycopy(a3, 0, out, (b + 3) * outStride, rows);
        }
        for (; b < count; b++) {
            int q0 = b * d;
            Arrays.fill(a0, 0, rows, 0f);
            for (int i = 0; i < d; i++) {
                float u0 = queries[q0 + i];
                float[] x = t[i];
                for (int r = 0; r < rows; r++) {
                    a0[r] += u0 * x[r];
                }
            }
            System.arraycopy(a0, 0, out, b * outStride, rows);
        }
    }
}
