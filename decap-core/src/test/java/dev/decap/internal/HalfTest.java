package dev.decap.internal;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HalfTest {
    /**
     * SHA-256 of the 65536 float32 bit patterns (little-endian) that NumPy gives for
     * {@code np.arange(65536).astype(np.uint16).view(np.float16).astype(np.float32)} (NumPy 1.24.2; see
     * tools/half_reference.py). NumPy keeps NaN payloads unquieted, as {@link Half} does.
     */
    private static final String NUMPY_TABLE_SHA256 = "f4fdd084f85448d28c84f20fabf4022ba938e40b7f382d2727dec6f41ac6267a";

    /** IEEE 754 binary16 by its definition, in double arithmetic: sign, exponent bias 15, 10 mantissa bits. */
    private static double reference(int bits) {
        int sign = bits >>> 15;
        int exp = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude;
        if (exp == 0) {
            magnitude = mantissa * Math.pow(2, -24);
        } else if (exp == 31) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            magnitude = (1 + mantissa / 1024.0) * Math.pow(2, exp - 15);
        }
        return sign == 1 ? -magnitude : magnitude;
    }

    @Test
    void half_to_float_matches_the_definition_for_all_65536_values() {
        for (int bits = 0; bits < 65536; bits++) {
            float f = Half.toFloat((short) bits);
            double want = reference(bits);
            if (Double.isNaN(want)) {
                assertTrue(Float.isNaN(f), "bits " + Integer.toHexString(bits));
                assertEquals(bits >>> 15, Float.floatToRawIntBits(f) >>> 31, "NaN sign, bits " + bits);
            } else {
                assertEquals(want, (double) f, 0.0, "bits " + Integer.toHexString(bits));
                assertEquals(bits >>> 15, Float.floatToRawIntBits(f) >>> 31, "sign of bits " + bits);
            }
        }
    }

    @Test
    void bulk_conversion_agrees_with_the_single_value_conversion_for_all_65536_values() {
        short[] all = new short[65536 + 3];
        for (int i = 0; i < 65536; i++) {
            all[i + 3] = (short) i;
        }
        float[] out = new float[65536 + 5];
        Half.toFloats(all, 3, out, 2, 65536);
        for (int i = 0; i < 65536; i++) {
            assertEquals(Float.floatToRawIntBits(Half.toFloat((short) i)), Float.floatToRawIntBits(out[i + 2]),
                    "bits " + Integer.toHexString(i));
        }
    }

    @Test
    void half_to_float_is_bit_identical_to_numpy_for_all_65536_values() throws Exception {
        ByteBuffer table = ByteBuffer.allocate(65536 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 65536; bits++) {
            table.putInt(Float.floatToRawIntBits(Half.toFloat((short) bits)));
        }
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(table.array());
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format("%02x", b));
        }
        assertEquals(NUMPY_TABLE_SHA256, hex.toString());
    }

    @Test
    void float_to_half_round_trips_every_half() {
        for (int bits = 0; bits < 65536; bits++) {
            float f = Half.toFloat((short) bits);
            short back = Half.fromFloat(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Half.toFloat(back)));
            } else {
                assertEquals(bits, back & 0xffff, "bits " + Integer.toHexString(bits));
            }
        }
    }

    /** The nearest half by exhaustive comparison over the sorted finite halves; ties to the even mantissa. */
    private static int nearest(float f, double[] finite, int[] bitsOf) {
        double x = f;
        int lo = 0;
        int hi = finite.length - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (finite[mid] <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double dl = Math.abs(x - finite[lo]);
        double dh = Math.abs(finite[hi] - x);
        int pick;
        if (dl < dh) {
            pick = lo;
        } else if (dh < dl) {
            pick = hi;
        } else {
            pick = (bitsOf[lo] & 1) == 0 ? lo : hi;
        }
        return bitsOf[pick];
    }

    @Test
    void float_to_half_rounds_to_nearest_even_like_the_exhaustive_reference() {
        // positive finite halves in increasing order, plus the overflow threshold 65520 standing for infinity
        double[] finite = new double[0x7c00 + 1];
        int[] bitsOf = new int[0x7c00 + 1];
        for (int b = 0; b < 0x7c00; b++) {
            finite[b] = Half.toFloat((short) b);
            bitsOf[b] = b;
        }
        finite[0x7c00] = 65536; // "next half" after 65504 for rounding purposes is 2^16, odd-even: inf is even
        bitsOf[0x7c00] = 0x7c00;
        Random random = new Random(1);
        for (int i = 0; i < 2_000_000; i++) {
            float f;
            switch (i % 4) {
                case 0 -> f = (float) (random.nextGaussian() * 0.05);
                case 1 -> f = Float.intBitsToFloat(random.nextInt(0x477fffff));
                case 2 -> {
                    // exact midpoints between neighbouring halves, and one float either side
                    int b = random.nextInt(0x7bff);
                    float mid = (float) ((finite[b] + finite[b + 1]) / 2);
                    int nudge = random.nextInt(3) - 1;
                    f = Float.intBitsToFloat(Float.floatToRawIntBits(mid) + nudge);
                }
                default -> f = (float) (random.nextDouble() * 1e-4);
            }
            float abs = Math.abs(f);
            int want = abs >= 65520f ? 0x7c00 : nearest(abs, finite, bitsOf);
            int got = Half.fromFloat(abs) & 0xffff;
            assertEquals(want, got, "float " + abs + " (bits " + Integer.toHexString(Float.floatToRawIntBits(abs))
                    + ")");
            assertEquals(want | 0x8000, Half.fromFloat(-abs) & 0xffff, "negative " + abs);
        }
    }

    @Test
    void float_to_half_handles_infinities_nan_and_overflow() {
        assertEquals(0x7c00, Half.fromFloat(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, Half.fromFloat(Float.NEGATIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
        assertEquals(0x7bff, Half.fromFloat(65519.99f) & 0xffff);
        assertEquals(0x7c00, Half.fromFloat(65520f) & 0xffff);
        assertEquals(0x8000, Half.fromFloat(-0f) & 0xffff);
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xffff);
        assertEquals(0x0000, Half.fromFloat(0x1p-25f) & 0xffff);
        assertEquals(0x0001, Half.fromFloat(Math.nextUp(0x1p-25f)) & 0xffff);
    }
}
