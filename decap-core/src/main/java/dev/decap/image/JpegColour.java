package dev.decap.image;

/**
 * libjpeg's colour conversions ({@code jdcolor.c}: {@code ycc_rgb_convert} and {@code ycck_cmyk_convert}), in
 * the same 16-bit fixed-point tables, so that JPEG components read raw from ImageIO become exactly the pixels
 * libjpeg hands to Pillow. Stateless.
 */
final class JpegColour {
    private static final int SCALEBITS = 16;
    private static final long ONE_HALF = 1L << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final long[] CR_G = new long[256];
    private static final long[] CB_G = new long[256];

    static {
        for (int i = 0; i < 256; i++) {
            long x = i - 128;
            CR_R[i] = (int) ((fix(1.40200) * x + ONE_HALF) >> SCALEBITS);
            CB_B[i] = (int) ((fix(1.77200) * x + ONE_HALF) >> SCALEBITS);
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegColour() {
    }

    private static long fix(double v) {
        return (long) (v * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** In place: interleaved YCbCr (3 channels) to RGB. */
    static void yccToRgb(byte[] px) {
        for (int p = 0; p < px.length; p += 3) {
            int y = px[p] & 0xFF;
            int cb = px[p + 1] & 0xFF;
            int cr = px[p + 2] & 0xFF;
            px[p] = (byte) clamp(y + CR_R[cr]);
            px[p + 1] = (byte) clamp(y + (int) ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
            px[p + 2] = (byte) clamp(y + CB_B[cb]);
        }
    }

    /** In place: interleaved YCCK (4 channels) to CMYK as libjpeg stores it (Adobe's inverted convention). */
    static void ycckToCmyk(byte[] px) {
        for (int p = 0; p < px.length; p += 4) {
            int y = px[p] & 0xFF;
            int cb = px[p + 1] & 0xFF;
            int cr = px[p + 2] & 0xFF;
            px[p] = (byte) clamp(255 - (y + CR_R[cr]));
            px[p + 1] = (byte) clamp(255 - (y + (int) ((CB_G[cb] + CR_G[cr]) >> SCALEBITS)));
            px[p + 2] = (byte) clamp(255 - (y + CB_B[cb]));
        }
    }
}
