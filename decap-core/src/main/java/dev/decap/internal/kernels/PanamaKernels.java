package dev.decap.internal.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link VectorKernels} on the incubating Vector API, with 256-bit vectors of eight floats: one vector accumulator
 * is exactly one (query, row) dot product in {@link DotKernels}'s canonical eight-lane order, so these kernels give
 * the scalar kernels' bits. Loaded reflectively by {@link VectorKernels} only when the JVM resolved
 * {@code jdk.incubator.vector}; nothing else may refer to this class. Not public API.
 *
 * <p>Only operations present in the API from Java 17 to 25 are used: {@code fromArray}, {@code intoArray},
 * lanewise {@code mul}, {@code add}, {@code sub} and bit operations, and {@code reinterpretAsFloats}.
 */
final class PanamaKernels implements VectorKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    /**
     * Element-wise work (the weighted sums) gives the same bits at any width, so it uses the CPU's widest vectors
     * (512 bits with AVX-512); dot products keep 256 bits, their lanes being the canonical order.
     */
    private static final VectorSpecies<Float> W = FloatVector.SPECIES_PREFERRED;
    private static final int L = 8;
    /** {@code 2^23 + 128}, see {@link RowBlock}. */
    private static final float INT8_BIAS = 8388736f;

    /**
     * @throws UnsupportedOperationException where the CPU's vectors are narrower than 256 bits (the API would
     *         emulate the 256-bit species, slower than the scalar kernels)
     */
    PanamaKernels() {
        if (F.length() != DotKernels.LANES || I.length() != L) {
            throw new IllegalStateException("expected " + DotKernels.LANES + " lanes, found " + F.length());
        }
        if (FloatVector.SPECIES_PREFERRED.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("this CPU's vectors are " + FloatVector.SPECIES_PREFERRED
                    .vectorBitSize() + " bits wide; the vector kernels need 256");
        }
    }

    private static float finish(FloatVector acc, float[] lanes, float[] q, int qOffset, float[] m, int mOffset,
                                int from, int d) {
        acc.intoArray(lanes, 0);
        return DotKernels.finish(lanes, q, qOffset, m, mOffset, from, d);
    }

    @Override
    public void dots(float[] q, int qOffset, float[] data, int offset, int rows, int d, float[] out, int outOffset) {
        int d8 = d & ~(L - 1);
        float[] lanes = new float[L];
        int r = 0;
        for (; r + 3 < rows; r += 4) {
            int o0 = offset + r * d;
            int o1 = o0 + d;
            int o2 = o1 + d;
            int o3 = o2 + d;
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int i = 0; i < d8; i += L) {
                FloatVector x = FloatVector.fromArray(F, q, qOffset + i);
                a0 = a0.add(x.mul(FloatVector.fromArray(F, data, o0 + i)));
                a1 = a1.add(x.mul(FloatVector.fromArray(F, data, o1 + i)));
                a2 = a2.add(x.mul(FloatVector.fromArray(F, data, o2 + i)));
                a3 = a3.add(x.mul(FloatVector.fromArray(F, data, o3 + i)));
            }
            out[outOffset + r] = finish(a0, lanes, q, qOffset, data, o0, d8, d);
            out[outOffset + r + 1] = finish(a1, lanes, q, qOffset, data, o1, d8, d);
            out[outOffset + r + 2] = finish(a2, lanes, q, qOffset, data, o2, d8, d);
            out[outOffset + r + 3] = finish(a3, lanes, q, qOffset, data, o3, d8, d);
        }
        for (; r < rows; r++) {
            int o = offset + r * d;
            FloatVector a = FloatVector.zero(F);
            for (int i = 0; i < d8; i += L) {
                a = a.add(FloatVector.fromArray(F, q, qOffset + i).mul(FloatVector.fromArray(F, data, o + i)));
            }
            out[outOffset + r] = finish(a, lanes, q, qOffset, data, o, d8, d);
        }
    }

    @Override
    public void dotsBatch(float[] queries, int count, float[] data, int offset, int rows, int d, float[] out,
                          int outStride) {
        int d8 = d & ~(L - 1);
        float[] lanes = new float[L];
        int b = 0;
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
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                FloatVector c0 = a0;
                FloatVector c1 = a0;
                FloatVector c2 = a0;
                FloatVector c3 = a0;
                for (int i = 0; i < d8; i += L) {
                    FloatVector x = FloatVector.fromArray(F, data, o0 + i);
                    FloatVector y = FloatVector.fromArray(F, data, o1 + i);
                    FloatVector u = FloatVector.fromArray(F, queries, q0 + i);
                    a0 = a0.add(u.mul(x));
                    c0 = c0.add(u.mul(y));
                    u = FloatVector.fromArray(F, queries, q1 + i);
                    a1 = a1.add(u.mul(x));
                    c1 = c1.add(u.mul(y));
                    u = FloatVector.fromArray(F, queries, q2 + i);
                    a2 = a2.add(u.mul(x));
                    c2 = c2.add(u.mul(y));
                    u = FloatVector.fromArray(F, queries, q3 + i);
                    a3 = a3.add(u.mul(x));
                    c3 = c3.add(u.mul(y));
                }
                out[p0 + r] = finish(a0, lanes, queries, q0, data, o0, d8, d);
                out[p1 + r] = finish(a1, lanes, queries, q1, data, o0, d8, d);
                out[p2 + r] = finish(a2, lanes, queries, q2, data, o0, d8, d);
                out[p3 + r] = finish(a3, lanes, queries, q3, data, o0, d8, d);
                out[p0 + r + 1] = finish(c0, lanes, queries, q0, data, o1, d8, d);
                out[p1 + r + 1] = finish(c1, lanes, queries, q1, data, o1, d8, d);
                out[p2 + r + 1] = finish(c2, lanes, queries, q2, data, o1, d8, d);
                out[p3 + r + 1] = finish(c3, lanes, queries, q3, data, o1, d8, d);
            }
            if (r < rows) {
                int o = offset + r * d;
                dots(queries, q0, data, o, 1, d, out, p0 + r);
                dots(queries, q1, data, o, 1, d, out, p1 + r);
                dots(queries, q2, data, o, 1, d, out, p2 + r);
                dots(queries, q3, data, o, 1, d, out, p3 + r);
            }
        }
        for (; b < count; b++) {
            dots(queries, b * d, data, offset, rows, d, out, b * outStride);
        }
    }

    @Override
    public void mix4(float[] a, float[] data, int o0, int o1, int o2, int o3, float w0, float w1, float w2,
                     float w3, int d) {
        int dv = d - d % W.length();
        int i = 0;
        for (; i < dv; i += W.length()) {
            FloatVector s = FloatVector.fromArray(W, data, o0 + i).mul(w0)
                    .add(FloatVector.fromArray(W, data, o1 + i).mul(w1))
                    .add(FloatVector.fromArray(W, data, o2 + i).mul(w2))
                    .add(FloatVector.fromArray(W, data, o3 + i).mul(w3));
            FloatVector.fromArray(W, a, i).add(s).intoArray(a, i);
        }
        for (; i < d; i++) {
            a[i] += w0 * data[o0 + i] + w1 * data[o1 + i] + w2 * data[o2 + i] + w3 * data[o3 + i];
        }
    }

    @Override
    public void mix1(float[] a, float[] data, int o, float w, int d) {
        int dv = d - d % W.length();
        int i = 0;
        for (; i < dv; i += W.length()) {
            FloatVector.fromArray(W, a, i).add(FloatVector.fromArray(W, data, o + i).mul(w)).intoArray(a, i);
        }
        for (; i < d; i++) {
            a[i] += w * data[o + i];
        }
    }

    @Override
    public boolean halfPairs(int[] halves, int rows, int h, float[] out, int o) {
        int hv = h & ~(L - 1);
        int seen = 0;
        for (int r = 0; r < rows; r++) {
            int src = r * h;
            int lo = o + r * 2 * h;
            int hi = lo + h;
            seen |= halfPairsRow(halves, src, hv, out, lo, hi);
            for (int j = hv; j < h; j++) {
                int x = halves[src + j];
                seen |= x;
                out[lo + j] = Float.intBitsToFloat(((x << 13) & 0x0fffe000) | ((x << 16) & 0x80000000));
                out[hi + j] = Float.intBitsToFloat(((x >>> 3) & 0x0fffe000) | (x & 0x80000000));
            }
        }
        return (seen & 0x40004000) == 0;
    }

    /**
     * The vector part of one row; returns the OR of its ints. (Vectors live within this one loop, so that C2 keeps
     * them in registers: one carried across the rows' loop too was boxed, three times slower.)
     */
    private static int halfPairsRow(int[] halves, int src, int hv, float[] out, int lo, int hi) {
        IntVector seen = IntVector.zero(I);
        for (int j = 0; j < hv; j += L) {
            IntVector x = IntVector.fromArray(I, halves, src + j);
            seen = seen.or(x);
            IntVector even = x.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)
                    .or(x.lanewise(VectorOperators.LSHL, 16).and(0x80000000));
            IntVector odd = x.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000).or(x.and(0x80000000));
            even.reinterpretAsFloats().intoArray(out, lo + j);
            odd.reinterpretAsFloats().intoArray(out, hi + j);
        }
        return seen.reduceLanes(VectorOperators.OR);
    }

    @Override
    public void int8Quads(int[] codes, int rows, int q, float[] out, int o) {
        int step = I.length();
        int qv = q - q % step;
        for (int r = 0; r < rows; r++) {
            int src = r * q;
            int dst = o + r * 4 * q;
            int j = 0;
            for (; j < qv; j += step) {
                IntVector x = IntVector.fromArray(I, codes, src + j);
                for (int k = 0; k < 4; k++) {
                    x.lanewise(VectorOperators.LSHR, 8 * k).and(0xff).lanewise(VectorOperators.XOR, 0x80)
                            .or(0x4B000000).reinterpretAsFloats().sub(INT8_BIAS)
                            .intoArray(out, dst + k * q + j);
                }
            }
            for (; j < q; j++) {
                int x = codes[src + j];
                for (int k = 0; k < 4; k++) {
                    out[dst + k * q + j] = Float.intBitsToFloat(0x4B000000 | (((x >>> (8 * k)) & 0xff) ^ 0x80))
                            - INT8_BIAS;
                }
            }
        }
    }
}
