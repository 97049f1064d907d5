package dev.decap.internal.kernels;

/**
 * Dense dot-product and axpy kernels for memory scans, written so that HotSpot's C2 keeps every accumulator in a
 * register. Not public API.
 *
 * <p><b>Accumulation order is part of the contract.</b> Every kernel computes each (query, row) dot product with
 * two float accumulators, one summing the products of the even components {@code q[0]*m[0] + q[2]*m[2] + ...}
 * and one those of the odd components, each in index order, and returns {@code even + odd}. Speed comes from
 * working on several rows (and queries) at once, so that each loaded value feeds several independent
 * accumulators, never from reassociating further. Hence the single-query and the batched kernels give
 * bit-identical results, and a projection does not change when it is computed as part of a batch.
 *
 * <p>Why two accumulators: Java never fuses a multiply and an add, so each accumulator is a chain of dependent
 * float additions, one per component (3 to 4 cycles each). With one accumulator per row the four-row kernel
 * waited on those chains (about 180 ns per row of 512 on the build machine); eight chains, four rows by two
 * parities, keep the adder busy.
 */
public final class DotKernels {
    private DotKernels() {
    }

    /**
     * {@code out[outOffset + r] = dot(q[qOffset ..], data[offset + r*d ..])} for {@code r < rows}.
     */
    public static void dots(float[] q, int qOffset, float[] data, int offset, int rows, int d,
                            float[] out, int outOffset) {
        int r = 0;
        int even = d & ~1;
        for (; r + 3 < rows; r += 4) {
            int o0 = offset + r * d;
            int o1 = o0 + d;
            int o2 = o1 + d;
            int o3 = o2 + d;
            float a0 = 0;
            float a1 = 0;
            float a2 = 0;
            float a3 = 0;
            float b0 = 0;
            float b1 = 0;
            float b2 = 0;
            float b3 = 0;
            int i = 0;
            for (; i < even; i += 2) {
                float x = q[qOffset + i];
                float y = q[qOffset + i + 1];
                a0 += x * data[o0 + i];
                a1 += x * data[o1 + i];
                a2 += x * data[o2 + i];
                a3 += x * data[o3 + i];
                b0 += y * data[o0 + i + 1];
                b1 += y * data[o1 + i + 1];
                b2 += y * data[o2 + i + 1];
                b3 += y * data[o3 + i + 1];
            }
            if (i < d) {
                float x = q[qOffset + i];
                a0 += x * data[o0 + i];
                a1 += x * data[o1 + i];
                a2 += x * data[o2 + i];
                a3 += x * data[o3 + i];
            }
            out[outOffset + r] = a0 + b0;
            out[outOffset + r + 1] = a1 + b1;
            out[outOffset + r + 2] = a2 + b2;
            out[outOffset + r + 3] = a3 + b3;
        }
        for (; r < rows; r++) {
            out[outOffset + r] = dot(q, qOffset, data, offset + r * d, d);
        }
    }

    /** One dot product in the canonical order (even and odd components apart, each in index order). */
    public static float dot(float[] a, int aOffset, float[] b, int bOffset, int d) {
        float even = 0;
        float odd = 0;
        int i = 0;
        for (; i + 1 < d; i += 2) {
            even += a[aOffset + i] * b[bOffset + i];
            odd += a[aOffset + i + 1] * b[bOffset + i + 1];
        }
        if (i < d) {
            even += a[aOffset + i] * b[bOffset + i];
        }
        return even + odd;
    }

    /**
     * Scores a batch of queries against a block of rows: {@code out[b * outStride + r] = dot(query b, row r)},
     * where query {@code b} starts at {@code queries[b * d]}. Works on tiles of four queries by two rows (sixteen
     * accumulators with the two parities), so each loaded value feeds four or two products.
     */
    public static void dotsBatch(float[] queries, int count, float[] data, int offset, int rows, int d,
                                 float[] out, int outStride) {
        int b = 0;
        int even = d & ~1;
        for (; b + 3 < count; b += 4) {
            int q0 = b * d;
            int q1 = q0 + d;
            int q2 = q1 + d;
            int q3 = q2 + d;
            int p0 = b * outStride;
            int p1 = p0 + outStride;
            int p2 = p1 + outStride;
            int p3 = p2 + outStride;
            int r = 0;
            for (; r + 1 < rows; r += 2) {
                int o0 = offset + r * d;
                int o1 = o0 + d;
                float a0 = 0;
                float a1 = 0;
                float a2 = 0;
                float a3 = 0;
                float c0 = 0;
                float c1 = 0;
                float c2 = 0;
                float c3 = 0;
                float e0 = 0;
                float e1 = 0;
                float e2 = 0;
                float e3 = 0;
                float f0 = 0;
                float f1 = 0;
                float f2 = 0;
                float f3 = 0;
                int i = 0;
                for (; i < even; i += 2) {
                    float x = data[o0 + i];
                    float y = data[o1 + i];
                    float u0 = queries[q0 + i];
                    float u1 = queries[q1 + i];
                    float u2 = queries[q2 + i];
                    float u3 = queries[q3 + i];
                    a0 += u0 * x;
                    a1 += u1 * x;
                    a2 += u2 * x;
                    a3 += u3 * x;
                    c0 += u0 * y;
                    c1 += u1 * y;
                    c2 += u2 * y;
                    c3 += u3 * y;
                    x = data[o0 + i + 1];
                    y = data[o1 + i + 1];
                    u0 = queries[q0 + i + 1];
                    u1 = queries[q1 + i + 1];
                    u2 = queries[q2 + i + 1];
                    u3 = queries[q3 + i + 1];
                    e0 += u0 * x;
                    e1 += u1 * x;
                    e2 += u2 * x;
                    e3 += u3 * x;
                    f0 += u0 * y;
                    f1 += u1 * y;
                    f2 += u2 * y;
                    f3 += u3 * y;
                }
                if (i < d) {
                    float x = data[o0 + i];
                    float y = data[o1 + i];
                    a0 += queries[q0 + i] * x;
                    a1 += queries[q1 + i] * x;
                    a2 += queries[q2 + i] * x;
                    a3 += queries[q3 + i] * x;
                    c0 += queries[q0 + i] * y;
                    c1 += queries[q1 + i] * y;
                    c2 += queries[q2 + i] * y;
                    c3 += queries[q3 + i] * y;
                }
                out[p0 + r] = a0 + e0;
                out[p1 + r] = a1 + e1;
                out[p2 + r] = a2 + e2;
                out[p3 + r] = a3 + e3;
                out[p0 + r + 1] = c0 + f0;
                out[p1 + r + 1] = c1 + f1;
                out[p2 + r + 1] = c2 + f2;
                out[p3 + r + 1] = c3 + f3;
            }
            if (r < rows) {
                int o = offset + r * d;
                out[p0 + r] = dot(queries, q0, data, o, d);
                out[p1 + r] = dot(queries, q1, data, o, d);
                out[p2 + r] = dot(queries, q2, data, o, d);
                out[p3 + r] = dot(queries, q3, data, o, d);
            }
        }
        for (; b < count; b++) {
            dots(queries, b * d, data, offset, rows, d, out, b * outStride);
        }
    }

    /** {@code acc[accOffset + i] += w * data[offset + i]} for {@code i < d}; C2 vectorises this loop. */
    public static void axpy(float w, float[] data, int offset, float[] acc, int accOffset, int d) {
        for (int i = 0; i < d; i++) {
            acc[accOffset + i] += w * data[offset + i];
        }
    }
}
