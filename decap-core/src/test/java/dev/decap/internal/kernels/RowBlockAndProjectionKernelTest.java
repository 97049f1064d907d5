package dev.decap.internal.kernels;

import dev.decap.internal.Half;
import dev.decap.internal.Int8Rows;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The storage decoders give the stored values exactly (in their layout, times alpha and the row scale), and the
 * kernel's similarities and weighted sums over decoded blocks equal a double-precision computation over the true
 * values, for every layout, batch size and block length.
 */
class RowBlockAndProjectionKernelTest {
    private static final Random RANDOM = new Random(5);

    /** The true value of component {@code i} of row {@code r}, read back through the block's layout. */
    private static double value(RowBlock b, int r, int i) {
        int d = b.dimension();
        for (int p = 0; p < d; p++) {
            if (b.layout().component(p, d) == i) {
                return (double) b.alpha() * b.scale(r) * b.data()[b.offset() + r * d + p];
            }
        }
        throw new AssertionError("component " + i + " missing from the layout");
    }

    private static ByteBuffer halves(short[] h) {
        ByteBuffer b = ByteBuffer.allocate(2 * h.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asShortBuffer().put(h);
        return b;
    }

    @Test
    void fp16_pairs_decode_every_stored_half_exactly() {
        int d = 10;
        // every finite half below 2 in magnitude, both signs, zeros and subnormals included
        int[] patterns = new int[2 * 0x4000];
        for (int i = 0; i < 0x4000; i++) {
            patterns[2 * i] = i;
            patterns[2 * i + 1] = i | 0x8000;
        }
        int rows = patterns.length / d;
        short[] h = new short[rows * d];
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) patterns[i];
        }
        RowBlock block = new RowBlock(d, 64);
        ByteBuffer bytes = halves(h);
        for (int first = 0; first + 64 <= rows; first += 64) {
            block.readHalfPairs(first, 64, bytes.asIntBuffer(), first * d / 2);
            assertSame(RowLayout.PAIRS, block.layout());
            for (int r = 0; r < 64; r++) {
                for (int i = 0; i < d; i++) {
                    double expected = Half.toFloat(h[(first + r) * d + i]);
                    assertEquals(expected, value(block, r, i), 0.0, "half " + Integer.toHexString(
                            h[(first + r) * d + i] & 0xffff));
                }
            }
        }
    }

    @Test
    void an_fp16_chunk_holding_a_half_of_magnitude_two_or_more_is_converted_exactly() {
        int d = 4;
        int rows = RowBlock.CHUNK_ROWS + 2;
        short[] h = new short[rows * d];
        for (int i = 0; i < h.length; i++) {
            h[i] = (short) (i * 37 % 0x3c00);
        }
        // the second chunk holds infinity, NaN, -2 and a subnormal
        short[] odd = {0x3c00, (short) 0xc000, 0x7c00, 0x7e00, 0x0001, (short) 0x8400, 0x3555, 0x4000};
        System.arraycopy(odd, 0, h, RowBlock.CHUNK_ROWS * d, odd.length);
        RowBlock block = new RowBlock(d, rows);
        block.readHalfPairs(0, rows, halves(h).asIntBuffer(), 0);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < d; i++) {
                double expected = Half.toFloat(h[r * d + i]);
                double got = value(block, r, i);
                if (Double.isNaN(expected)) {
                    assertTrue(Double.isNaN(got), "row " + r + ", component " + i + " is NaN");
                } else {
                    assertEquals(expected, got, 0.0, "row " + r + ", component " + i);
                }
            }
        }
    }

    @Test
    void int8_quads_decode_every_code_exactly_with_the_row_scale() {
        int d = 12;
        int rows = 256 * 4 / d + 1;
        byte[] codes = new byte[rows * d];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = (byte) (i % 256 - 128);
        }
        float[] scales = new float[rows];
        ByteBuffer sb = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            scales[r] = 0.001f * (r + 1);
            sb.putFloat(4 * r, scales[r]);
        }
        ByteBuffer cb = ByteBuffer.wrap(codes).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer sv = sb.asFloatBuffer();
        RowBlock quads = new RowBlock(d, rows);
        quads.readInt8Quads(0, rows, cb.asIntBuffer(), 0, sv, 0);
        RowBlock plain = new RowBlock(d, rows);
        plain.readInt8(0, rows, cb, 0, sv, 0);
        assertSame(RowLayout.QUADS, quads.layout());
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < d; i++) {
                double expected = (double) codes[r * d + i] * scales[r];
                assertEquals(expected, value(quads, r, i), 0.0, "row " + r + ", component " + i);
                assertEquals(expected, value(plain, r, i), 0.0, "row " + r + ", component " + i);
            }
        }
    }

    @Test
    void scores_and_weighted_sums_equal_double_precision_for_every_layout_and_batch() {
        for (int d : new int[] {8, 12, 64, 512}) {
            for (int count : new int[] {1, 3, 4, 17}) {
                for (int rows : new int[] {1, 7, 8, 31}) {
                    check(d, count, rows);
                }
            }
        }
    }

    private static void check(int d, int count, int rows) {
        float[] queries = new float[count * d];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) RANDOM.nextGaussian();
        }
        // unit rows, stored three ways
        float[] unit = new float[rows * d];
        short[] h = new short[rows * d];
        byte[] codes = new byte[rows * d];
        ByteBuffer sb = ByteBuffer.allocate(4 * rows).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            float[] row = new float[d];
            double norm = 0;
            for (int i = 0; i < d; i++) {
                row[i] = (float) RANDOM.nextGaussian();
                norm += row[i] * row[i];
            }
            for (int i = 0; i < d; i++) {
                row[i] /= (float) Math.sqrt(norm);
                unit[r * d + i] = row[i];
                h[r * d + i] = Half.fromFloat(row[i]);
            }
            sb.putFloat(4 * r, Int8Rows.quantize(row, codes, r * d));
        }
        RowBlock[] blocks = new RowBlock[4];
        for (int k = 0; k < 4; k++) {
            blocks[k] = new RowBlock(d, 32);
        }
        blocks[0].wrap(100, rows, unit, 0);
        blocks[1].readFloats(100, rows, ByteBuffer.wrap(toBytes(unit)).order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer(), 0);
        blocks[2].readHalfPairs(100, rows, halves(h).asIntBuffer(), 0);
        blocks[3].readInt8Quads(100, rows, ByteBuffer.wrap(codes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer(), 0,
                sb.asFloatBuffer(), 0);
        ProjectionKernel kernel = new ProjectionKernel(queries, count, d, 32);
        int stride = 40;
        for (RowBlock b : blocks) {
            float[] scores = new float[count * stride];
            kernel.score(b, scores, stride);
            float[] weights = new float[count * stride];
            double[][] expectedMix = new double[count][d];
            for (int q = 0; q < count; q++) {
                for (int r = 0; r < rows; r++) {
                    double s = 0;
                    for (int i = 0; i < d; i++) {
                        s += (double) queries[q * d + i] * value(b, r, i);
                    }
                    assertEquals(s, scores[q * stride + r], 1e-5 * Math.sqrt(d), b.layout() + " d " + d
                            + " query " + q + " row " + r);
                    // some rows weigh nothing, to exercise the skipping
                    float w = (r + q) % 3 == 0 ? 0f : (float) RANDOM.nextDouble();
                    weights[q * stride + r] = w;
                    for (int i = 0; i < d; i++) {
                        expectedMix[q][i] += w * value(b, r, i);
                    }
                }
            }
            kernel.mix(b, weights, stride);
            float[] out = new float[d];
            for (int q = 0; q < count; q++) {
                kernel.drain(q, b.layout(), out);
                for (int i = 0; i < d; i++) {
                    assertEquals(expectedMix[q][i], out[i], 1e-5 * rows, b.layout() + " mix d " + d + " query " + q);
                }
                kernel.drain(q, b.layout(), out);
                for (int i = 0; i < d; i++) {
                    assertEquals(0f, out[i], "drained");
                }
            }
        }
    }

    private static byte[] toBytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    @Test
    void dot_sums_eight_lanes_each_in_index_order_and_reduces_them_pairwise() {
        for (int d : new int[] {1, 2, 5, 8, 13, 37, 512}) {
            float[] a = new float[d];
            float[] b = new float[d];
            for (int i = 0; i < d; i++) {
                a[i] = (float) RANDOM.nextGaussian();
                b[i] = (float) RANDOM.nextGaussian();
            }
            float[] lane = new float[8];
            for (int i = 0; i < d; i++) {
                lane[i % 8] += a[i] * b[i];
            }
            float expected = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
            assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(DotKernels.dot(a, 0, b, 0, d)));
        }
    }
}
