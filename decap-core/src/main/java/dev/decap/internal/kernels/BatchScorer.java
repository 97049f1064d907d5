package dev.decap.internal.kernels;

import java.util.Arrays;

/**
 * Scores a batch of queries against blocks of memory rows, with the same results, bit for bit, as
 * {@link DotKernels#dots} (each dot product summed as even and odd components apart, each in index order). Not public API; one
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
    /** Accumulators of four queries: even components in 0..3, odd components in 4..7. */
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
        if (count < TRANSPOSE_FROM || rows > maxRows) {
            DotKernels.dotsBatch(queries, count, data, offset, rows, dimension, out, outStride);
            return;
        }
        int d = dimension;
        if (transposed == null) {
            transposed = new float[d][maxRows];
            acc = new float[8][maxRows];
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
            for (int k = 0; k < 8; k++) {
                Arrays.fill(acc[k], 0, rows, 0f);
            }
            for (int i = 0; i < d; i++) {
                int p = (i & 1) * 4;
                accumulate4(acc[p], acc[p + 1], acc[p + 2], acc[p + 3], t[i], queries[q0 + i],
                        queries[q0 + d + i], queries[q0 + 2 * d + i], queries[q0 + 3 * d + i], rows);
            }
            for (int k = 0; k < 4; k++) {
                float[] e = acc[k];
                float[] o = acc[k + 4];
                int at = (b + k) * outStride;
                for (int r = 0; r < rows; r++) {
                    out[at + r] = e[r] + o[r];
                }
            }
        }
        for (; b < count; b++) {
            int q0 = b * d;
            float[] e = acc[0];
            float[] o = acc[4];
            Arrays.fill(e, 0, rows, 0f);
            Arrays.fill(o, 0, rows, 0f);
            for (int i = 0; i < d; i++) {
                float u = queries[q0 + i];
                float[] a = (i & 1) == 0 ? e : o;
                float[] x = t[i];
                for (int r = 0; r < rows; r++) {
                    a[r] += u * x[r];
                }
            }
            int at = b * outStride;
            for (int r = 0; r < rows; r++) {
                out[at + r] = e[r] + o[r];
            }
        }
    }
}
