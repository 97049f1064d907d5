package dev.decap.internal;

/**
 * Symmetric per-row int8 quantisation of unit vectors, as memory bank files of type int8 store them. Not public
 * API. Stateless and thread-safe.
 *
 * <p>A row {@code x} becomes {@code q_i = rint(127 x_i / max|x|)} (ties to even, so the code is symmetric in sign)
 * and the scale {@code 1 / |q|} (rounded to float), so the stored row {@code q · scale} is a unit vector up to
 * float rounding. Each component's error before the renormalisation is at most half a step, {@code max|x| / 254}.
 */
public final class Int8Rows {
    private Int8Rows() {
    }

    /**
     * Quantises {@code row} (finite, not all zero) into {@code dst[offset .. offset + row.length)}.
     *
     * @return the row's scale, positive and finite
     */
    public static float quantize(float[] row, byte[] dst, int offset) {
        double max = 0;
        for (float x : row) {
            max = Math.max(max, Math.abs((double) x));
        }
        if (!(max > 0) || !Double.isFinite(max)) {
            throw new IllegalArgumentException("a row to quantise must be finite and not zero, found max |x| = "
                    + max);
        }
        double inv = 127.0 / max;
        double norm = 0;
        for (int i = 0; i < row.length; i++) {
            int q = (int) Math.rint(row[i] * inv);
            q = Math.max(-127, Math.min(127, q));
            dst[offset + i] = (byte) q;
            norm += (double) q * q;
        }
        return (float) (1.0 / Math.sqrt(norm));
    }

    /** {@code dst[dstOffset + i] = src[srcOffset + i] * scale} for {@code i < n}: the stored row as floats. */
    public static void dequantize(byte[] src, int srcOffset, float scale, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = src[srcOffset + i] * scale;
        }
    }
}
