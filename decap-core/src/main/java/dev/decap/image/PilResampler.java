package dev.decap.image;

/**
 * Pillow 9.4's resampling arithmetic, reproduced bit for bit: the convolution filters of {@code Resample.c}
 * (bicubic, a = -0.5, support widened by the scale when shrinking) with their 22-bit fixed-point coefficients for
 * 8-bit images and double coefficients for 32-bit integer images, and the nearest-neighbour scaling of
 * {@code Geometry.c} that Pillow forces on palette images.
 *
 * <p>Every method resamples only a window of the output (the part a centre crop keeps). Each output sample
 * depends on its own coefficients only, so the window equals the same region of a full-size resize.
 * Stateless; safe for concurrent use.
 */
final class PilResampler {
    /** Pillow's {@code PRECISION_BITS}: 32 - 8 - 2. */
    private static final int PRECISION_BITS = 22;
    private static final double BICUBIC_SUPPORT = 2.0;

    private PilResampler() {
    }

    /** Coefficients of one resampling pass: for each output index, the first input index and the weights. */
    static final class Coefficients {
        final int[] first;
        final int[] count;
        final double[] weights;
        final int[] fixed;
        final int kernelSize;

        private Coefficients(int[] first, int[] count, double[] weights, int kernelSize) {
            this.first = first;
            this.count = count;
            this.weights = weights;
            this.kernelSize = kernelSize;
            this.fixed = new int[weights.length];
            for (int i = 0; i < weights.length; i++) {
                double w = weights[i] * (1 << PRECISION_BITS);
                // C's (int) truncates toward zero, as Java's cast does.
                fixed[i] = (int) (weights[i] < 0 ? w - 0.5 : w + 0.5);
            }
        }
    }

    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /** Pillow's {@code precompute_coeffs} for the box [0, inSize) mapped onto outSize samples (all of them). */
    static Coefficients bicubicCoefficients(int inSize, int outSize) {
        return bicubicCoefficients(inSize, outSize, 0, outSize);
    }

    /**
     * Pillow's {@code precompute_coeffs} for output samples [from, from + count) of the box [0, inSize) mapped onto
     * outSize samples; entry i of the result describes output sample from + i.
     */
    static Coefficients bicubicCoefficients(int inSize, int outSize, int from, int count) {
        // Pillow keeps the box in C floats; for integer sizes below 2^24 that is exact.
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = BICUBIC_SUPPORT * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[count];
        int[] counts = new int[count];
        double[] weights = new double[count * kernelSize];
        for (int i = 0; i < count; i++) {
            int xx = from + i;
            double center = (xx + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) {
                xmin = 0;
            }
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) {
                xmax = inSize;
            }
            xmax -= xmin;
            int base = i * kernelSize;
            double total = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = bicubic((x + xmin - center + 0.5) * ss);
                weights[base + x] = w;
                total += w;
            }
            if (total != 0.0) {
                for (int x = 0; x < xmax; x++) {
                    weights[base + x] /= total;
                }
            }
            first[i] = xmin;
            counts[i] = xmax;
        }
        return new Coefficients(first, counts, weights, kernelSize);
    }

    private static int clip8(int fixedPoint) {
        int v = fixedPoint >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * Bicubic resize of an 8-bit interleaved image ({@code channels} samples per pixel, unsigned bytes), as
     * Pillow's {@code ImagingResample} on an 8-bit mode: a horizontal pass into a temporary 8-bit image (rounded
     * and clamped), then a vertical pass. A pass is skipped where that dimension does not change, as Pillow does.
     * Returns the output window [x0, x0+outW) x [y0, y0+outH) of the resized (newW x newH) image, interleaved.
     */
    static byte[] bicubic8(byte[] in, int width, int height, int channels, int newW, int newH,
                           int x0, int y0, int outW, int outH) {
        boolean horizontal = newW != width;
        boolean vertical = newH != height;
        Coefficients cv = vertical ? bicubicCoefficients(height, newH, y0, outH) : null;
        int[] rows = sourceRows(cv, y0, outH);
        int rowFirst = rows[0];
        int tmpRows = rows[1] - rowFirst;
        byte[] tmp;
        int tmpW;
        int tmpX0;
        if (horizontal) {
            Coefficients ch = bicubicCoefficients(width, newW, x0, outW);
            tmp = new byte[tmpRows * outW * channels];
            tmpW = outW;
            tmpX0 = 0;
            int[] k = ch.fixed;
            for (int r = 0; r < tmpRows; r++) {
                int inRow = (rowFirst + r) * width * channels;
                int outRow = r * outW * channels;
                for (int xx = 0; xx < outW; xx++) {
                    int xmin = ch.first[xx];
                    int xmax = ch.count[xx];
                    int kb = xx * ch.kernelSize;
                    if (channels == 3) {
                        // The common case, unrolled: one pass over the taps for all three channels.
                        int s0 = 1 << (PRECISION_BITS - 1);
                        int s1 = s0;
                        int s2 = s0;
                        int p = inRow + xmin * 3;
                        for (int x = 0; x < xmax; x++, p += 3) {
                            int kx = k[kb + x];
                            s0 += (in[p] & 0xFF) * kx;
                            s1 += (in[p + 1] & 0xFF) * kx;
                            s2 += (in[p + 2] & 0xFF) * kx;
                        }
                        int o = outRow + xx * 3;
                        tmp[o] = (byte) clip8(s0);
                        tmp[o + 1] = (byte) clip8(s1);
                        tmp[o + 2] = (byte) clip8(s2);
                        continue;
                    }
                    for (int c = 0; c < channels; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        int p = inRow + xmin * channels + c;
                        for (int x = 0; x < xmax; x++, p += channels) {
                            ss += (in[p] & 0xFF) * k[kb + x];
                        }
                        tmp[outRow + xx * channels + c] = (byte) clip8(ss);
                    }
                }
            }
        } else {
            tmp = in;
            tmpW = width;
            tmpX0 = x0;
            // Rows index the source directly.
        }
        byte[] out = new byte[outW * outH * channels];
        int tmpRowBase = horizontal ? rowFirst : 0;
        if (vertical) {
            int[] k = cv.fixed;
            int stride = tmpW * channels;
            for (int yy = 0; yy < outH; yy++) {
                int ymin = cv.first[yy] - tmpRowBase;
                int ymax = cv.count[yy];
                int kb = yy * cv.kernelSize;
                int outRow = yy * outW * channels;
                if (channels == 3) {
                    for (int xx = 0; xx < outW; xx++) {
                        int s0 = 1 << (PRECISION_BITS - 1);
                        int s1 = s0;
                        int s2 = s0;
                        int p = ymin * stride + (tmpX0 + xx) * 3;
                        for (int y = 0; y < ymax; y++, p += stride) {
                            int ky = k[kb + y];
                            s0 += (tmp[p] & 0xFF) * ky;
                            s1 += (tmp[p + 1] & 0xFF) * ky;
                            s2 += (tmp[p + 2] & 0xFF) * ky;
                        }
                        int o = outRow + xx * 3;
                        out[o] = (byte) clip8(s0);
                        out[o + 1] = (byte) clip8(s1);
                        out[o + 2] = (byte) clip8(s2);
                    }
                    continue;
                }
                for (int xx = 0; xx < outW; xx++) {
                    for (int c = 0; c < channels; c++) {
                        int ss = 1 << (PRECISION_BITS - 1);
                        int p = ymin * stride + (tmpX0 + xx) * channels + c;
                        for (int y = 0; y < ymax; y++, p += stride) {
                            ss += (tmp[p] & 0xFF) * k[kb + y];
                        }
                        out[outRow + xx * channels + c] = (byte) clip8(ss);
                    }
                }
            }
        } else {
            int stride = tmpW * channels;
            for (int yy = 0; yy < outH; yy++) {
                int srcRow = (y0 + yy) - tmpRowBase;
                System.arraycopy(tmp, srcRow * stride + tmpX0 * channels, out, yy * outW * channels,
                        outW * channels);
            }
        }
        return out;
    }

    /** Pillow's {@code ROUND_UP} for 32-bit integer images: round half away from zero. */
    private static int roundUp(double f) {
        return (int) (f >= 0.0 ? Math.floor(f + 0.5) : -Math.floor(Math.abs(f) + 0.5));
    }

    /**
     * Rows {@code [first, end)} of the source that output rows {@code [y0, y0 + outH)} read: the union of the
     * vertical filter windows, or the rows themselves when there is no vertical pass ({@code cv} null).
     */
    private static int[] sourceRows(Coefficients cv, int y0, int outH) {
        if (cv == null) {
            return new int[] {y0, y0 + outH};
        }
        int first = cv.first[0];
        int end = first;
        for (int y = 0; y < outH; y++) {
            first = Math.min(first, cv.first[y]);
            end = Math.max(end, cv.first[y] + cv.count[y]);
        }
        return new int[] {first, end};
    }

    /**
     * Bicubic resize of a single-channel 32-bit integer image (Pillow mode "I", which is how it opens 16-bit
     * greyscale PNGs): double coefficients, each pass rounded to an integer, no clamping.
     */
    static int[] bicubic32(int[] in, int width, int height, int newW, int newH, int x0, int y0, int outW, int outH) {
        boolean horizontal = newW != width;
        boolean vertical = newH != height;
        Coefficients cv = vertical ? bicubicCoefficients(height, newH, y0, outH) : null;
        int[] rows = sourceRows(cv, y0, outH);
        int rowFirst = rows[0];
        int tmpRows = rows[1] - rowFirst;
        int[] tmp;
        int tmpW;
        int tmpX0;
        int tmpRowBase;
        if (horizontal) {
            Coefficients ch = bicubicCoefficients(width, newW, x0, outW);
            tmp = new int[tmpRows * outW];
            tmpW = outW;
            tmpX0 = 0;
            tmpRowBase = rowFirst;
            for (int r = 0; r < tmpRows; r++) {
                int inRow = (rowFirst + r) * width;
                for (int xx = 0; xx < outW; xx++) {
                    int xmin = ch.first[xx];
                    int kb = xx * ch.kernelSize;
                    double ss = 0.0;
                    for (int x = 0; x < ch.count[xx]; x++) {
                        ss += in[inRow + xmin + x] * ch.weights[kb + x];
                    }
                    tmp[r * outW + xx] = roundUp(ss);
                }
            }
        } else {
            tmp = in;
            tmpW = width;
            tmpX0 = x0;
            tmpRowBase = 0;
        }
        int[] out = new int[outW * outH];
        for (int yy = 0; yy < outH; yy++) {
            int oy = y0 + yy;
            for (int xx = 0; xx < outW; xx++) {
                if (vertical) {
                    int ymin = cv.first[yy] - tmpRowBase;
                    int kb = yy * cv.kernelSize;
                    double ss = 0.0;
                    for (int y = 0; y < cv.count[yy]; y++) {
                        ss += tmp[(ymin + y) * tmpW + tmpX0 + xx] * cv.weights[kb + y];
                    }
                    out[yy * outW + xx] = roundUp(ss);
                } else {
                    out[yy * outW + xx] = tmp[(oy - tmpRowBase) * tmpW + tmpX0 + xx];
                }
            }
        }
        return out;
    }

    /**
     * Source indices of Pillow's nearest-neighbour scaling ({@code ImagingScaleAffine}): the position starts at
     * half a step and advances by repeated addition of the step, in doubles, then truncates.
     */
    static int[] nearestIndices(int inSize, int outSize, int from, int count) {
        double step = (double) inSize / outSize;
        double pos = step * 0.5;
        int[] idx = new int[count];
        for (int i = 0; i < from + count; i++) {
            if (i >= from) {
                int v = pos < 0.0 ? -1 : (int) pos;
                idx[i - from] = Math.min(Math.max(v, 0), inSize - 1);
            }
            pos += step;
        }
        return idx;
    }

    /** Nearest-neighbour resize of a one-byte-per-pixel index image (Pillow's treatment of modes "P" and "1"). */
    static byte[] nearest8(byte[] in, int width, int height, int newW, int newH, int x0, int y0, int outW, int outH) {
        int[] xs = nearestIndices(width, newW, x0, outW);
        int[] ys = nearestIndices(height, newH, y0, outH);
        byte[] out = new byte[outW * outH];
        for (int yy = 0; yy < outH; yy++) {
            int row = ys[yy] * width;
            for (int xx = 0; xx < outW; xx++) {
                out[yy * outW + xx] = in[row + xs[xx]];
            }
        }
        return out;
    }
}
