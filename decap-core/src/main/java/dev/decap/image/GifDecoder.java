package dev.decap.image;

import dev.decap.ImageDecodingException;

import java.util.Arrays;

/**
 * The first frame of a GIF, read and decoded as Pillow 9.4 reads and decodes it ({@code GifImagePlugin} and
 * {@code GifDecode.c}), so that the loader refuses exactly the GIFs Pillow refuses and gives the same pixels for the
 * others. ImageIO's GIF reader is not used: it fills a frame whose LZW data is corrupt or cut short with zeros and
 * reports nothing.
 *
 * <p>What Pillow does, and this class with it:
 * <ul>
 *   <li>Blocks before the first image descriptor are walked as Pillow walks them (extensions skipped, stray bytes
 *       ignored); the graphic control extension gives the transparent index.</li>
 *   <li>A frame reaching beyond the logical screen enlarges the screen; a frame at left 0 with width 0 stands for
 *       the whole screen; any other empty frame is refused.</li>
 *   <li>The LZW decoder refuses a first code after a clear code that is not a literal, and any code beyond the next
 *       free table entry ("broken data stream"); a minimum code size above 12 ("codec configuration error").</li>
 *   <li>Data is consumed in Pillow's 64 KiB reads; the frame must be complete before the file ends ("image file is
 *       truncated"). An end code before the frame is complete is ignored while more reads follow (Pillow's decoder
 *       carries on with the bytes after it) and is a truncation otherwise.</li>
 *   <li>Bytes after the last pixel of the frame (trailer, other frames) are never read.</li>
 * </ul>
 */
final class GifDecoder {
    /** Pillow's {@code ImageFile.MAXBLOCK}: the size of each read that feeds the decoder. */
    private static final int READ_BLOCK = 65536;
    private static final int TABLE = 4096;
    private static final int MAX_BITS = 12;

    private GifDecoder() {
    }

    /**
     * The first frame's layout.
     *
     * @param width       the image width: the logical screen, enlarged to hold the frame
     * @param height      the image height
     * @param left        the frame's left on the image
     * @param top         the frame's top on the image
     * @param frameWidth  the frame's width (the decoded extent)
     * @param frameHeight the frame's height
     * @param palette     0xRRGGBB entries of the local or else the global colour table; null when there is none
     * @param transparent the transparent index of the frame's graphic control extension, or -1
     * @param interlaced  whether the rows are stored interlaced
     * @param codeSize    the LZW minimum code size byte
     * @param dataOffset  the offset of the first sub-block of image data
     */
    record Frame(int width, int height, int left, int top, int frameWidth, int frameHeight, int[] palette,
                 int transparent, boolean interlaced, int codeSize, int dataOffset) {
    }

    /**
     * Parses up to the first frame's image data, as Pillow's {@code GifImageFile._open} does.
     *
     * @throws ImageDecodingException when the file ends before the image data or holds no image
     */
    static Frame parse(byte[] b, String name) {
        if (b.length < 13) {
            throw truncated(name, "its GIF header ends early (" + b.length + " bytes)");
        }
        int sw = u16(b, 6);
        int sh = u16(b, 8);
        int flags = b[10] & 0xFF;
        int p = 13;
        int[] global = null;
        if ((flags & 0x80) != 0) {
            int n = 1 << ((flags & 7) + 1);
            if (p + 3 * n > b.length) {
                throw truncated(name, "its GIF colour table of " + n + " entries ends early");
            }
            global = palette(b, p, n);
            p += 3 * n;
        }
        int transparent = -1;
        while (p < b.length) {
            int block = b[p++] & 0xFF;
            if (block == 0x3B) {
                break;
            }
            if (block == 0x21) {
                if (p >= b.length) {
                    break;
                }
                int label = b[p++] & 0xFF;
                boolean first = true;
                while (p < b.length) {
                    int len = b[p++] & 0xFF;
                    if (len == 0) {
                        break;
                    }
                    if (first && label == 0xF9) {
                        if (len < 4 || p + 4 > b.length) {
                            throw truncated(name, "its GIF graphic control extension at byte " + (p - 3)
                                    + " is cut short");
                        }
                        if ((b[p] & 1) != 0) {
                            // As in Pillow, a later extension without the flag keeps an earlier index.
                            transparent = b[p + 3] & 0xFF;
                        }
                    }
                    first = false;
                    p += len;
                }
            } else if (block == 0x2C) {
                if (p + 9 > b.length) {
                    throw truncated(name, "its GIF image descriptor at byte " + (p - 1) + " ends early");
                }
                int left = u16(b, p);
                int top = u16(b, p + 2);
                int fw = u16(b, p + 4);
                int fh = u16(b, p + 6);
                int lflags = b[p + 8] & 0xFF;
                p += 9;
                int[] pal = global;
                if ((lflags & 0x80) != 0) {
                    int n = 1 << ((lflags & 7) + 1);
                    if (p + 3 * n > b.length) {
                        throw truncated(name, "its GIF local colour table of " + n + " entries ends early");
                    }
                    pal = palette(b, p, n);
                    p += 3 * n;
                }
                if (p >= b.length) {
                    throw truncated(name, "its GIF frame has no image data");
                }
                int codeSize = b[p++] & 0xFF;
                int w = Math.max(sw, left + fw);
                int h = Math.max(sh, top + fh);
                if (w <= 0 || h <= 0) {
                    throw new ImageDecodingException("image " + name + " is an empty GIF (" + w + "x" + h
                            + " pixels); pass an image with pixels");
                }
                return new Frame(w, h, left, top, fw, fh, pal, transparent, (lflags & 0x40) != 0, codeSize, p);
            }
            // Pillow skips any other byte between blocks.
        }
        throw new ImageDecodingException("image " + name + " is a GIF without any image (no image descriptor"
                + " before its end); pass a GIF with at least one frame");
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
    }

    private static int[] palette(byte[] b, int p, int n) {
        int[] pal = new int[n];
        for (int i = 0; i < n; i++) {
            pal[i] = ((b[p + 3 * i] & 0xFF) << 16) | ((b[p + 3 * i + 1] & 0xFF) << 8) | (b[p + 3 * i + 2] & 0xFF);
        }
        return pal;
    }

    private static ImageDecodingException truncated(String name, String what) {
        return new ImageDecodingException("image " + name + " is truncated: " + what + "; pass the complete file");
    }

    private static ImageDecodingException corrupt(String name, String what) {
        return new ImageDecodingException("image " + name + " is corrupt: " + what
                + "; Pillow refuses it too (\"broken data stream\"); pass an intact file");
    }

    /**
     * Decodes the frame onto an image of {@link Frame#width()} × {@link Frame#height()} palette indices, filled
     * with the transparent index (or 0) where the frame does not cover it.
     *
     * @throws ImageDecodingException when the LZW data is corrupt or ends before the frame is complete
     */
    static byte[] decode(byte[] b, Frame f, String name, DecodeDeadline deadline) {
        int bits = f.codeSize();
        if (bits > MAX_BITS) {
            throw new ImageDecodingException("image " + name + " is corrupt: its GIF frame declares an LZW minimum"
                    + " code size of " + bits + " (at most " + MAX_BITS + "); Pillow refuses it too (\"codec"
                    + " configuration error\"); pass an intact file");
        }
        int xoff = f.left();
        int yoff = f.top();
        int xsize = f.frameWidth();
        int ysize = f.frameHeight();
        if (xoff == 0 && xsize == 0) {
            // Pillow's decoder reads an extent starting and ending at x = 0 as the whole image.
            yoff = 0;
            xsize = f.width();
            ysize = f.height();
        } else if (xsize == 0 || ysize == 0) {
            throw new ImageDecodingException("image " + name + " is corrupt: its GIF frame at (" + xoff + ", " + yoff
                    + ") is empty (" + xsize + "x" + ysize + "); Pillow refuses it too; pass an intact file");
        }
        int width = f.width();
        byte[] image = new byte[Math.multiplyExact(width, f.height())];
        if (f.transparent() >= 0) {
            Arrays.fill(image, (byte) f.transparent());
        }

        int clear = 1 << bits;
        int end = clear + 1;
        short[] link = new short[TABLE];
        byte[] suffix = new byte[TABLE];
        byte[] stack = new byte[TABLE];

        int len = b.length;
        int pos = f.dataOffset();
        long limit = Math.min(len, (long) pos + READ_BLOCK);
        int blockLeft = 0;
        int bitBuffer = 0;
        int bitCount = 0;

        int state = 1; // 1: reset, 2: first code after a reset, 3: decoding
        int next = 0;
        int codeSize = 0;
        int codeMask = 0;
        int lastCode = 0;
        int lastData = 0;

        // Row walk: interlace stage 1..3 while interlaced passes remain, 0 for the last (or only) pass.
        int interlace = f.interlaced() ? 1 : 0;
        int step = f.interlaced() ? 8 : 1;
        int x = 0;
        int y = 0;
        int rowsDone = 0;
        int out = (yoff + y) * width + xoff;

        while (true) {
            if (state == 1) {
                next = clear + 2;
                codeSize = bits + 1;
                codeMask = (1 << codeSize) - 1;
                state = 2;
            }
            while (bitCount < codeSize) {
                if (blockLeft > 0) {
                    bitBuffer |= (b[pos++] & 0xFF) << bitCount;
                    bitCount += 8;
                    blockLeft--;
                } else {
                    // Pillow starts a sub-block only once all of it is in the bytes read so far.
                    if (pos >= limit || pos + (b[pos] & 0xFF) + 1 > limit) {
                        if (limit >= len) {
                            throw truncated(name, "its GIF frame data ends after " + rowsDone + " of " + ysize
                                    + " rows");
                        }
                        limit = Math.min(len, limit + READ_BLOCK);
                        continue;
                    }
                    blockLeft = b[pos++] & 0xFF;
                }
            }
            int c = bitBuffer & codeMask;
            bitBuffer >>>= codeSize;
            bitCount -= codeSize;

            if (c == clear) {
                if (state != 2) {
                    state = 1;
                }
                continue;
            }
            if (c == end) {
                // Pillow's decoder returns here and is called again on the next read, carrying on after the end code.
                if (limit >= len) {
                    throw truncated(name, "its GIF frame data ends (LZW end code) after " + rowsDone + " of "
                            + ysize + " rows");
                }
                limit = Math.min(len, limit + READ_BLOCK);
                continue;
            }
            int sp = TABLE;
            if (state == 2) {
                if (c > clear) {
                    throw corrupt(name, "the first LZW code after a clear code is " + c + ", not a literal (below "
                            + clear + "), near byte " + pos + " of its GIF frame data");
                }
                lastData = c;
                lastCode = c;
                state = 3;
            } else {
                int thisCode = c;
                if (c > next) {
                    throw corrupt(name, "LZW code " + c + " near byte " + pos + " of its GIF frame data is beyond"
                            + " the next free table entry " + next);
                }
                if (c == next) {
                    stack[--sp] = (byte) lastData;
                    c = lastCode;
                }
                while (c >= clear) {
                    if (sp <= 0) {
                        throw corrupt(name, "an LZW string near byte " + pos + " of its GIF frame data is longer"
                                + " than the table");
                    }
                    stack[--sp] = suffix[c];
                    c = link[c];
                }
                lastData = c;
                if (next < TABLE) {
                    suffix[next] = (byte) c;
                    link[next] = (short) lastCode;
                    if (next == codeMask && codeSize < MAX_BITS) {
                        codeSize++;
                        codeMask = (1 << codeSize) - 1;
                    }
                    next++;
                }
                lastCode = thisCode;
            }
            // The string: its first byte (lastData), then what the stack holds.
            for (int k = sp - 1; k < TABLE; k++) {
                image[out++] = k < sp ? (byte) lastData : stack[k];
                if (++x >= xsize) {
                    x = 0;
                    rowsDone++;
                    y += step;
                    while (y >= ysize) {
                        switch (interlace) {
                            case 1 -> {
                                y = 4;
                                interlace = 2;
                            }
                            case 2 -> {
                                step = 4;
                                y = 2;
                                interlace = 3;
                            }
                            case 3 -> {
                                step = 2;
                                y = 1;
                                interlace = 0;
                            }
                            default -> {
                                return image;
                            }
                        }
                    }
                    out = (yoff + y) * width + xoff;
                    if (deadline != null) {
                        deadline.check(name);
                    }
                }
            }
        }
    }
}
