package dev.decap.image;

import dev.decap.ImageDecodingException;

import java.util.Arrays;

/**
 * What {@link ImageLoader} reads from an image's header before any pixel is allocated: the format, the size
 * (checked against the pixel limit), and the few facts that decide which Pillow mode the pixels get.
 *
 * @param format           the container format
 * @param width            width in pixels (for GIF: the logical screen, enlarged to hold the first frame)
 * @param height           height in pixels (for GIF: as the width)
 * @param bitDepth         PNG bit depth, BMP bits per pixel, JPEG sample precision; 8 for GIF
 * @param colourType       PNG colour type; JPEG component count; BMP compression; otherwise 0
 * @param exifOrientation  JPEG EXIF orientation 1..8, or 0 when absent
 * @param frameLeft        GIF: left of the first frame on the screen
 * @param frameTop         GIF: top of the first frame on the screen
 * @param frameWidth       GIF: width of the first frame (otherwise {@code width})
 * @param frameHeight      GIF: height of the first frame (otherwise {@code height})
 * @param transparentIndex GIF: the first frame's transparent palette index, or -1
 * @param jpegYcc          JPEG: the stored components are YCbCr (3) or YCCK (4), as libjpeg decides from the
 *                         JFIF and Adobe markers and the component ids
 */
record ImageHeader(Format format, int width, int height, int bitDepth, int colourType, int exifOrientation,
                   int frameLeft, int frameTop, int frameWidth, int frameHeight, int transparentIndex,
                   boolean jpegYcc) {

    /** Container formats the loader accepts. */
    enum Format {
        JPEG("jpeg"), PNG("png"), GIF("gif"), BMP("bmp");

        final String imageIoName;

        Format(String imageIoName) {
            this.imageIoName = imageIoName;
        }
    }

    /** The format named by the file's first bytes, or null when it is none of the supported ones. */
    static Format sniff(byte[] b) {
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
            return Format.JPEG;
        }
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[4] == 0x0D && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A) {
            return Format.PNG;
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8'
                && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
            return Format.GIF;
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return Format.BMP;
        }
        return null;
    }

    private static final byte[][] SIGNATURES = {
            {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF},
            {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A},
            {'G', 'I', 'F', '8', '7', 'a'},
            {'G', 'I', 'F', '8', '9', 'a'},
            {'B', 'M'},
    };

    /** Whether {@code b} is shorter than a signature and equals its beginning (a file cut within its magic). */
    static boolean isSignaturePrefix(byte[] b) {
        for (byte[] sig : SIGNATURES) {
            if (b.length < sig.length && Arrays.equals(b, 0, b.length, sig, 0, b.length)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses the header of {@code bytes}, already sniffed as {@code format}.
     *
     * @throws ImageDecodingException when the header is truncated or malformed
     */
    static ImageHeader parse(Format format, byte[] bytes, String name) {
        try {
            return switch (format) {
                case PNG -> png(bytes, name);
                case GIF -> gif(bytes, name);
                case BMP -> bmp(bytes, name);
                case JPEG -> jpeg(bytes, name);
            };
        } catch (ArrayIndexOutOfBoundsException e) {
            throw new ImageDecodingException("image " + name + " is truncated: its " + format
                    + " header ends early (" + bytes.length + " bytes); pass the complete file");
        }
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static int u16be(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    private static int u16le(byte[] b, int i) {
        return u8(b, i) | (u8(b, i + 1) << 8);
    }

    private static long u32be(byte[] b, int i) {
        return ((long) u16be(b, i) << 16) | u16be(b, i + 2);
    }

    private static int s32le(byte[] b, int i) {
        return u16le(b, i) | (u16le(b, i + 2) << 16);
    }

    private static ImageDecodingException bad(String name, String what) {
        return new ImageDecodingException("image " + name + " is corrupt: " + what
                + "; pass a valid JPEG, PNG, GIF or BMP file");
    }

    private static int checkedSize(long v, String name, String what) {
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw bad(name, what + " is " + v);
        }
        return (int) v;
    }

    private static ImageHeader png(byte[] b, String name) {
        if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') {
            throw bad(name, "the PNG does not start with an IHDR chunk");
        }
        int w = checkedSize(u32be(b, 16), name, "the PNG width");
        int h = checkedSize(u32be(b, 20), name, "the PNG height");
        int depth = u8(b, 24);
        int colourType = u8(b, 25);
        return new ImageHeader(Format.PNG, w, h, depth, colourType, 0, 0, 0, w, h, -1, false);
    }

    private static ImageHeader gif(byte[] b, String name) {
        // Walked as Pillow walks it; a frame beyond the logical screen enlarges the image.
        GifDecoder.Frame f = GifDecoder.parse(b, name);
        return new ImageHeader(Format.GIF, f.width(), f.height(), 8, 0, 0, f.left(), f.top(), f.frameWidth(),
                f.frameHeight(), f.transparent(), false);
    }

    private static ImageHeader bmp(byte[] b, String name) {
        long dibSize = s32le(b, 14) & 0xFFFFFFFFL;
        int w;
        int h;
        int bits;
        int compression = 0;
        if (dibSize == 12) {
            w = checkedSize(u16le(b, 18), name, "the BMP width");
            h = checkedSize(u16le(b, 20), name, "the BMP height");
            bits = u16le(b, 24);
        } else if (dibSize >= 40) {
            w = checkedSize(s32le(b, 18), name, "the BMP width");
            h = checkedSize(Math.abs((long) s32le(b, 22)), name, "the BMP height");
            bits = u16le(b, 28);
            compression = s32le(b, 30);
            long colours = s32le(b, 46) & 0xFFFFFFFFL;
            if (bits <= 8 && (colours == 0 ? 1L << bits : colours) > 65536) {
                // Pillow refuses such a palette ("Unsupported BMP Palette size"); so do we.
                throw bad(name, "the BMP palette size " + colours + " is over 65536");
            }
        } else {
            throw bad(name, "the BMP header size " + dibSize + " is unknown");
        }
        return new ImageHeader(Format.BMP, w, h, bits, compression, 0, 0, 0, w, h, -1, false);
    }

    private static ImageHeader jpeg(byte[] b, String name) {
        int p = 2;
        int orientation = 0;
        boolean jfif = false;
        int adobeTransform = -1;
        int precision = 0;
        int h = -1;
        int w = -1;
        int components = 0;
        int[] ids = new int[0];
        // libjpeg reads every marker up to the first scan before it decides the colour space; so do we.
        while (true) {
            if (u8(b, p) != 0xFF) {
                throw bad(name, "no JPEG marker at byte " + p);
            }
            int marker = u8(b, p + 1);
            if (marker == 0xFF) {
                p++; // fill byte
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                p += 2;
                continue;
            }
            if (marker == 0xD9 || marker == 0xDA) {
                break;
            }
            if (marker == 0xD8) {
                throw bad(name, "a second JPEG start-of-image marker at byte " + p);
            }
            int len = u16be(b, p + 2);
            if (len < 2) {
                throw bad(name, "JPEG segment length " + len + " at byte " + p);
            }
            int seg = p + 4;
            if (marker == 0xE0 && len >= 7 && b[seg] == 'J' && b[seg + 1] == 'F' && b[seg + 2] == 'I'
                    && b[seg + 3] == 'F' && b[seg + 4] == 0) {
                jfif = true;
            } else if (marker == 0xE1 && orientation == 0) {
                orientation = ExifOrientation.parseApp1(b, seg, len - 2);
            } else if (marker == 0xEE && len >= 14 && b[seg] == 'A' && b[seg + 1] == 'd' && b[seg + 2] == 'o'
                    && b[seg + 3] == 'b' && b[seg + 4] == 'e') {
                adobeTransform = u8(b, seg + 11);
            }
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof && w < 0) {
                precision = u8(b, seg);
                h = u16be(b, seg + 1);
                w = u16be(b, seg + 3);
                components = u8(b, seg + 5);
                ids = new int[components];
                for (int i = 0; i < components; i++) {
                    ids[i] = u8(b, seg + 6 + 3 * i);
                }
            }
            p += 2 + len;
        }
        if (w < 0) {
            throw bad(name, "the JPEG has no frame header (SOF) before its scan");
        }
        if (h == 0) {
            throw new ImageDecodingException("image " + name + " is a JPEG whose height is given only after"
                    + " its first scan (DNL marker), which is not supported; re-encode it");
        }
        checkedSize(w, name, "the JPEG width");
        return new ImageHeader(Format.JPEG, w, h, precision, components, orientation, 0, 0, w, h, -1,
                jpegYcc(components, jfif, adobeTransform, ids));
    }

    /**
     * libjpeg's default_decompress_parms: whether the components are YCbCr (3) or YCCK (4) rather than RGB/CMYK.
     */
    private static boolean jpegYcc(int components, boolean jfif, int adobeTransform, int[] ids) {
        if (components == 3) {
            if (jfif) {
                return true;
            }
            if (adobeTransform >= 0) {
                return adobeTransform != 0;
            }
            return !(ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B');
        }
        if (components == 4) {
            return adobeTransform > 0;
        }
        return false;
    }
}
