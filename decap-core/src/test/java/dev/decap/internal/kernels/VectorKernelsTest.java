package dev.decap.internal.kernels;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The vector kernels ({@code jdk.incubator.vector}) against the scalar ones, bit for bit. decap-core's default
 * test run has the module ({@code --add-modules jdk.incubator.vector}, see its pom); the second run of the kernel
 * tests, without it, leaves this class out and checks in {@link KernelsTest} that it got the scalar kernels.
 */
class VectorKernelsTest {
    private static final Random RANDOM = new Random(7);

    private static float[] gaussian(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (RANDOM.nextGaussian() * (0.5 + RANDOM.nextDouble()));
        }
        return v;
    }

    private static VectorKernels vector() {
        VectorKernels v = VectorKernels.instance();
        assumeTrue(v != null, "vector kernels not in use: " + VectorKernels.description());
        return v;
    }

    @Test
    void vector_dot_products_give_the_scalar_bits_for_every_dimension_tile_and_offset() {
        VectorKernels v = vector();
        for (int d : new int[] {1, 7, 8, 9, 16, 37, 64, 100, 512}) {
            for (int rows = 1; rows <= 9; rows++) {
                float[] data = gaussian((rows + 2) * d);
                for (int count = 1; count <= 9; count++) {
                    float[] queries = gaussian(count * d);
                    int stride = rows + 1;
                    float[] scalar = new float[count * stride];
                    float[] batch = new float[count * stride];
                    float[] single = new float[count * stride];
                    DotKernels.scalarDotsBatch(queries, count, data, d, rows, d, scalar, stride);
                    v.dotsBatch(queries, count, data, d, rows, d, batch, stride);
                    for (int q = 0; q < count; q++) {
                        v.dots(queries, q * d, data, d, rows, d, single, q * stride);
                    }
                    for (int q = 0; q < count; q++) {
                        for (int r = 0; r < rows; r++) {
                            int i = q * stride + r;
                            float canonical = DotKernels.dot(queries, q * d, data, d + r * d, d);
                            String where = "d=" + d + " rows=" + rows + " count=" + count + " q=" + q + " r=" + r;
                            assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(scalar[i]), where);
                            assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(batch[i]), where);
                            assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(single[i]), where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void the_transposed_scalar_scorer_and_the_vector_scorer_agree_bit_for_bit() {
        vector();
        int d = 40;
        for (int count : new int[] {16, 17, 21, 32}) {
            int rows = 50;
            float[] data = gaussian((rows + 1) * d);
            float[] queries = gaussian(count * d);
            float[] scalar = new float[count * 64];
            float[] vector = new float[count * 64];
            BatchScorer scorer = new BatchScorer(d, 64);
            scorer.score(queries, count, data, d, rows, scalar, 64, false);
            scorer.score(queries, count, data, d, rows, vector, 64, true);
            for (int i = 0; i < scalar.length; i++) {
                assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]), "count " + count);
            }
        }
    }

    @Test
    void vector_weighted_sums_give_the_scalar_bits() {
        VectorKernels v = vector();
        for (int d : new int[] {3, 8, 13, 37, 512}) {
            for (int rows = 1; rows <= 9; rows++) {
                float[] data = gaussian((rows + 1) * d);
                int count = 3;
                int stride = rows + 2;
                float[] weights = gaussian(count * stride);
                weights[0] = 0f;
                for (int r = 0; r < Math.min(4, rows); r++) {
                    weights[2 * stride + r] = 0f; // a query whose first group of rows weighs nothing
                }
                float[][] scalar = new float[count][d];
                float[][] vector = new float[count][d];
                scalar[1][0] = vector[1][0] = 0.5f;
                RowMixer mixer = new RowMixer(d);
                mixer.mix(null, weights, stride, count, rows, data, d, scalar);
                mixer.mix(v, weights, stride, count, rows, data, d, vector);
                for (int q = 0; q < count; q++) {
                    for (int i = 0; i < d; i++) {
                        assertEquals(Float.floatToIntBits(scalar[q][i]), Float.floatToIntBits(vector[q][i]),
                                "d=" + d + " rows=" + rows + " q=" + q + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void vector_conversions_give_the_scalar_bits_for_every_half_and_every_code() {
        VectorKernels v = vector();
        // every half of magnitude below 2 (bit 14 clear), in pairs, rows of h = 40 ints (vectors and a tail at 256
        // and at 512 bits)
        int h = 40;
        int[] halves = new int[0x4000 / 2 * 2];
        int n = 0;
        for (int sign = 0; sign < 2; sign++) {
            for (int x = 0; x < 0x4000; x += 2) {
                int lo = x | (sign << 15);
                int hi = (x + 1) | ((1 - sign) << 15);
                halves[n++] = lo | (hi << 16);
            }
        }
        int rows = n / h;
        float[] out = new float[rows * 2 * h];
        assertTrue(v.halfPairs(halves, rows, h, out, 0));
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < h; j++) {
                int x = halves[r * h + j];
                float even = Float.intBitsToFloat(((x << 13) & 0x0fffe000) | ((x << 16) & 0x80000000));
                float odd = Float.intBitsToFloat(((x >>> 3) & 0x0fffe000) | (x & 0x80000000));
                assertEquals(Float.floatToIntBits(even), Float.floatToIntBits(out[r * 2 * h + j]));
                assertEquals(Float.floatToIntBits(odd), Float.floatToIntBits(out[r * 2 * h + h + j]));
                assertEquals(dev.decap.internal.Half.toFloat((short) x) / RowBlock.HALF_ALPHA, even);
            }
        }
        // a half of magnitude 2 or more, in a vector or in the tail, makes the conversion refuse the chunk
        for (int at : new int[] {3, h - 1, 5 * h + 17}) {
            int[] big = halves.clone();
            big[at] = 0x4000 | (big[at] & 0xffff0000);
            assertFalse(v.halfPairs(big, rows, h, out, 0), "magnitude 2 at " + at);
            big[at] = (0x4000 << 16) | (big[at] & 0xffff);
            assertFalse(v.halfPairs(big, rows, h, out, 0), "magnitude 2 (odd) at " + at);
        }
        // every code in every byte position, rows of q = 37 ints
        int q = 37;
        int[] codes = new int[256 * 37];
        for (int i = 0; i < codes.length; i++) {
            int b = i % 256;
            codes[i] = b | (((b + 1) & 0xff) << 8) | (((b + 7) & 0xff) << 16) | (((b + 100) & 0xff) << 24);
        }
        int quadRows = codes.length / q;
        float[] decoded = new float[quadRows * 4 * q];
        v.int8Quads(codes, quadRows, q, decoded, 0);
        for (int r = 0; r < quadRows; r++) {
            for (int j = 0; j < q; j++) {
                int x = codes[r * q + j];
                for (int k = 0; k < 4; k++) {
                    assertEquals((float) (byte) (x >>> (8 * k)), decoded[r * 4 * q + k * q + j]);
                }
            }
        }
    }

    @Test
    void the_self_check_accepts_the_vector_kernels() {
        assertNull(VectorKernels.Holder.selfCheck(vector()));
    }
}
