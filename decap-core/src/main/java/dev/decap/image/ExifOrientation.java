package dev.decap.image;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;

/**
 * EXIF orientation (TIFF tag 0x0112) of JPEG files: reading it from an APP1 segment and applying it as Pillow's
 * {@code ImageOps.exif_transpose} does (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise,
 * 7 transverse, 8 rotate 90 counter-clockwise). Stateless.
 */
final class ExifOrientation {
    private static final int ORIENTATION_TAG = 0x0112;

    private ExifOrientation() {
    }

    /**
     * The orientation stored in an APP1 segment's payload ({@code length} bytes from {@code offset}), or 0 when
     * the segment is not EXIF, has no orientation, or is malformed (a broken EXIF block never fails a decode).
     */
    static int parseApp1(byte[] b, int offset, int length) {
        int end = Math.min(b.length, offset + length);
        try {
            if (length < 14 || b[offset] != 'E' || b[offset + 1] != 'x' || b[offset + 2] != 'i'
                    || b[offset + 3] != 'f' || b[offset + 4] != 0 || b[offset + 5] != 0) {
                return 0;
            }
            int tiff = offset + 6;
            boolean little;
            if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
                little = true;
            } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
                little = false;
            } else {
                return 0;
            }
            if (u16(b, tiff + 2, little) != 42) {
                return 0;
            }
            long ifd = u32(b, tiff + 4, little);
            if (ifd < 8 || tiff + ifd + 2 > end) {
                return 0;
            }
            int p = (int) (tiff + ifd);
            int entries = u16(b, p, little);
            p += 2;
            for (int i = 0; i < entries && p + 12 <= end; i++, p += 12) {
                if (u16(b, p, little) == ORIENTATION_TAG) {
                    int type = u16(b, p + 2, little);
                    int value = type == 3 ? u16(b, p + 8, little) : (int) u32(b, p + 8, little);
                    return value >= 1 && value <= 8 ? value : 0;
                }
            }
            return 0;
        } catch (ArrayIndexOutOfBoundsException e) {
            return 0;
        }
    }

    private static int u16(byte[] b, int i, boolean little) {
        int a = b[i] & 0xFF;
        int c = b[i + 1] & 0xFF;
        return little ? a | (c << 8) : (a << 8) | c;
    }

    private static long u32(byte[] b, int i, boolean little) {
        long lo = u16(b, i, little);
        long hi = u16(b, i + 2, little);
        return little ? lo | (hi << 16) : (lo << 16) | hi;
    }

    /** The image turned upright for {@code orientation}; the same instance for 0, 1 or unknown values. */
    static BufferedImage apply(BufferedImage src, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return src;
        }
        int w = src.getWidth();
        int h = src.getHeight();
        boolean swap = orientation >= 5;
        int dw = swap ? h : w;
        int dh = swap ? w : h;
        WritableRaster in = src.getRaster();
        WritableRaster out = src.getColorModel().createCompatibleWritableRaster(dw, dh);
        Object pixel = null;
        for (int y = 0; y < dh; y++) {
            for (int x = 0; x < dw; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                pixel = in.getDataElements(sx, sy, pixel);
                out.setDataElements(x, y, pixel);
            }
        }
        return new BufferedImage(src.getColorModel(), out, src.isAlphaPremultiplied(), null);
    }
}
