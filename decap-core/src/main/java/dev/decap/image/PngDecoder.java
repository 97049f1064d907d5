package dev.decap.image;

import dev.decap.ImageDecodingException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decodes a PNG as Pillow 9.4 reads it ({@code PngImagePlugin} and {@code ZipDecode.c}): the same verdict on damaged
 * files and the same pixels, in one pass over the data (ImageIO is not used for PNG: it checks no CRC, fills some
 * damage silently, refuses other damage Pillow reads, and its 16-bit path costs several times more per pixel).
 * <ul>
 *   <li>every chunk before the first IDAT must be complete and have a correct CRC; the colour type and bit depth
 *       must be a PNG combination; a palette holds at most 256 entries;</li>
 *   <li>the zlib stream, fed in Pillow's reads (each IDAT chunk, at most 64 KiB at a time), must not be corrupt
 *       (zlib's errors, including a wrong Adler-32 reached before the last row is complete) and each row's filter
 *       type must be 0..4;</li>
 *   <li>the data must reach the last row, or else the zlib stream must end: Pillow accepts a stream that ends early
 *       and leaves the remaining rows black (reported here as damage);</li>
 *   <li>chunks after the image data must not be cut short (Pillow reads them to the end).</li>
 * </ul>
 * IDAT CRCs and CRCs after the image data, which Pillow does not check, are reported as damage.
 *
 * <p>Pixels, in Pillow's modes: 8-bit grey L, RGB, RGBA, grey+alpha LA; 16-bit samples reduced to their high byte
 * (16-bit grey+alpha becomes RGBA), except 16-bit grey, kept whole as mode I; 2- and 4-bit grey scaled to 8 bits;
 * 1-bit grey as a black/white palette; palette images as P with the PLTE entries followed by Pillow's grey ramp
 * (the whole ramp when there is no PLTE). Gamma, ICC profiles and tRNS are ignored, as Pillow ignores them.
 */
final class PngDecoder {
    private static final int READ_BLOCK = 65536;
    private static final int[] PASS_START_COL = {0, 4, 0, 2, 0, 1, 0};
    /** Pillow's OFFSET: a pass row holds (width + OFFSET) / COL_STEP pixels. */
    private static final int[] PASS_COL_OFFSET = {7, 3, 3, 1, 1, 0, 0};
    private static final int[] PASS_START_ROW = {0, 0, 4, 0, 2, 0, 1};
    private static final int[] PASS_COL_STEP = {8, 8, 4, 4, 2, 2, 1};
    private static final int[] PASS_ROW_STEP = {8, 8, 8, 4, 4, 2, 2};

    private PngDecoder() {
    }

    /**
     * A decoded PNG.
     *
     * @param pixels the pixels in Pillow's mode
     * @param damage damage Pillow tolerates, in words; empty for an intact file
     */
    record Result(PilPixels pixels, List<String> damage) {
    }

    private static long u32(byte[] b, int i) {
        return ((long) (b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    private static boolean isChunkType(byte[] b, int i) {
        for (int k = i; k < i + 4; k++) {
            int c = b[k] & 0xFF;
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static String type(byte[] b, int i) {
        return new String(b, i, 4, StandardCharsets.ISO_8859_1);
    }

    private static boolean crcMatches(byte[] b, int chunk, long length) {
        CRC32 crc = new CRC32();
        crc.update(b, chunk + 4, (int) length + 4);
        return crc.getValue() == u32(b, chunk + 8 + (int) length);
    }

    static int channels(int colourType) {
        return switch (colourType) {
            case 2 -> 3;
            case 4 -> 2;
            case 6 -> 4;
            default -> 1;
        };
    }

    private static boolean validMode(int depth, int colourType) {
        return switch (colourType) {
            case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            case 2, 4, 6 -> depth == 8 || depth == 16;
            default -> false;
        };
    }

    private static ImageDecodingException corrupt(String name, String what) {
        return new ImageDecodingException("image " + name + " is corrupt: " + what + "; pass an intact file");
    }

    private static ImageDecodingException truncated(String name, String what) {
        return new ImageDecodingException("image " + name + " is truncated: " + what + "; pass the complete file");
    }

    /** Pillow's {@code load_read}: the image data, one read at a time, across IDAT chunks. */
    private static final class IdatReader {
        private final byte[] b;
        private final String name;
        private final List<String> damage;
        private int pos;
        private long left;

        IdatReader(byte[] b, int firstChunk, String name, List<String> damage) {
            this.b = b;
            this.name = name;
            this.damage = damage;
            open(firstChunk);
        }

        private void open(int chunk) {
            left = u32(b, chunk);
            pos = chunk + 8;
            if (chunk + 12 + left <= b.length && !crcMatches(b, chunk, left)) {
                damage.add("IDAT chunk at byte " + chunk + " has a wrong CRC");
            }
        }

        /** The next piece [start, end) of image data, or null when Pillow would find no more. */
        int[] read() {
            while (left == 0) {
                int header = pos + 4; // skip the CRC
                if (header + 8 > b.length) {
                    return null;
                }
                if (!isChunkType(b, header + 4)) {
                    throw corrupt(name, "the chunk after the image data at byte " + header + " has an invalid type");
                }
                if (!type(b, header + 4).equals("IDAT")) {
                    pos = header;
                    return null;
                }
                open(header);
            }
            int n = (int) Math.min(READ_BLOCK, left);
            left -= n;
            int start = Math.min(pos, b.length);
            int end = (int) Math.min((long) pos + n, b.length);
            pos += n;
            return start < end ? new int[] {start, end} : null;
        }

        /** Where Pillow's {@code load_end} starts: after the rest of the current IDAT chunk. */
        long endOfData() {
            return pos + left;
        }
    }

    /**
     * Decodes {@code b} (a PNG whose IHDR {@code header} has already been read) as Pillow would load it.
     *
     * @throws ImageDecodingException where Pillow refuses the file
     */
    static Result decode(byte[] b, ImageHeader header, String name, DecodeDeadline deadline) {
        List<String> damage = new ArrayList<>();
        int p = 8;
        boolean interlaced = false;
        int[] palette = null;
        int firstIdat;
        while (true) {
            if (p + 8 > b.length) {
                throw truncated(name, "its PNG chunks end at byte " + b.length + " before any image data (IDAT)");
            }
            if (!isChunkType(b, p + 4)) {
                throw corrupt(name, "the PNG chunk at byte " + p + " has an invalid type");
            }
            long length = u32(b, p);
            String type = type(b, p + 4);
            if (type.equals("IDAT")) {
                firstIdat = p;
                break;
            }
            if (p + 12 + length > b.length) {
                throw truncated(name, "its PNG chunk " + type + " at byte " + p + " ends early");
            }
            if (!crcMatches(b, p, length)) {
                throw corrupt(name, "its PNG chunk " + type + " at byte " + p + " has a wrong CRC (Pillow refuses"
                        + " it too)");
            }
            int data = p + 8;
            if (type.equals("IHDR")) {
                if (length < 13) {
                    throw corrupt(name, "its IHDR chunk holds " + length + " bytes, expected 13");
                }
                int depth = b[data + 8] & 0xFF;
                int colour = b[data + 9] & 0xFF;
                if (!validMode(depth, colour)) {
                    throw corrupt(name, "its PNG colour type " + colour + " with bit depth " + depth
                            + " is not a PNG format");
                }
                if (b[data + 11] != 0) {
                    throw corrupt(name, "its PNG filter method is " + (b[data + 11] & 0xFF) + ", expected 0");
                }
                interlaced = b[data + 12] != 0;
            } else if (type.equals("PLTE") && header.colourType() == 3) {
                int entries = (int) (length / 3);
                if (entries > 256) {
                    throw corrupt(name, "its PNG palette holds " + entries + " entries, at most 256 are allowed");
                }
                palette = new int[entries];
                for (int i = 0; i < entries; i++) {
                    int q = data + 3 * i;
                    palette[i] = ((b[q] & 0xFF) << 16) | ((b[q + 1] & 0xFF) << 8) | (b[q + 2] & 0xFF);
                }
            }
            p += 12 + (int) length;
        }

        int width = header.width();
        int height = header.height();
        int rowsTotal = 0;
        int bits = header.bitDepth() * channels(header.colourType());
        if (interlaced) {
            for (int pass = 0; pass < 7; pass++) {
                if (rowBytes(width, bits, pass) > 0) {
                    rowsTotal += (height - PASS_START_ROW[pass] + PASS_ROW_STEP[pass] - 1) / PASS_ROW_STEP[pass];
                }
            }
        } else {
            rowsTotal = height;
        }
        Output out = new Output(header, palette);
        IdatReader reader = new IdatReader(b, firstIdat, name, damage);
        int rows = inflateRows(reader, out, interlaced, rowsTotal, name, deadline);
        if (rows < rowsTotal) {
            damage.add("its image data ends after " + rows + " of " + rowsTotal
                    + " scanlines (the zlib stream ends early); the rest is left black, as Pillow leaves it");
        }
        checkAfterData(b, reader.endOfData(), name, damage);
        return new Result(out.pixels(), damage);
    }

    /** Pillow's row length of a pass (bytes, without the filter byte); for a plain image, pass -1. */
    private static long rowBytes(int width, int bits, int pass) {
        long pixels = pass < 0 ? width : ((long) width + PASS_COL_OFFSET[pass]) / PASS_COL_STEP[pass];
        return (pixels * bits + 7) / 8;
    }

    /**
     * Inflates row by row as Pillow's ZIP decoder does and returns the number of complete scanlines.
     */
    private static int inflateRows(IdatReader reader, Output out, boolean interlaced, int rowsTotal, String name,
                                   DecodeDeadline deadline) {
        int width = out.width;
        int height = out.height;
        int bits = out.bits;
        int bpp = (bits + 7) / 8;
        Inflater inflater = new Inflater();
        try {
            int pass = interlaced ? 0 : -1;
            int y = 0;
            long len = rowBytes(width, bits, pass);
            long widest = rowBytes(width, bits, -1);
            if (widest + 1 > Integer.MAX_VALUE - 8) {
                throw new ImageDecodingException("image " + name + " has PNG rows of " + widest + " bytes, more than"
                        + " one Java array holds; it cannot be decoded");
            }
            byte[] row = new byte[(int) widest + 1];
            byte[] previous = new byte[(int) widest + 1];
            int filled = 0;
            int rows = 0;
            while (true) {
                int[] piece = reader.read();
                if (piece == null) {
                    throw truncated(name, "its PNG image data ends after " + rows + " of " + rowsTotal
                            + " scanlines");
                }
                inflater.setInput(reader.b, piece[0], piece[1] - piece[0]);
                while (inflater.getRemaining() > 0) {
                    int got;
                    try {
                        got = inflater.inflate(row, filled, (int) len + 1 - filled);
                    } catch (DataFormatException e) {
                        throw corrupt(name, "its PNG image data (zlib) is broken after " + rows + " of " + rowsTotal
                                + " scanlines ("
                                + e.getMessage() + "); Pillow refuses it too");
                    }
                    filled += got;
                    if (filled < len + 1) {
                        break;
                    }
                    if ((row[0] & 0xFF) > 4) {
                        throw corrupt(name, "scanline " + rows + " of its PNG image data has filter type "
                                + (row[0] & 0xFF) + " (0..4 exist); Pillow refuses it too");
                    }
                    unfilter(row, previous, (int) len, bpp);
                    out.row(row, pass, y, (int) len);
                    byte[] swap = row;
                    row = previous;
                    previous = swap;
                    filled = 0;
                    rows++;
                    if (deadline != null) {
                        deadline.check(name);
                    }
                    if (pass < 0) {
                        y++;
                    } else {
                        y += PASS_ROW_STEP[pass];
                        while (y >= height || len <= 0) {
                            pass++;
                            if (pass == 7) {
                                y = height;
                                break;
                            }
                            y = PASS_START_ROW[pass];
                            len = rowBytes(width, bits, pass);
                            // A pass starts from a black previous row.
                            Arrays.fill(previous, (byte) 0);
                        }
                    }
                    if (y >= height || inflater.finished()) {
                        return rows;
                    }
                }
            }
        } finally {
            inflater.end();
        }
    }

    /** Pillow's {@code load_end}: the chunks after the image data are read up to IEND and must be complete. */
    private static void checkAfterData(byte[] b, long endOfData, String name, List<String> damage) {
        long p = endOfData;
        while (true) {
            long header = p + 4;
            if (header + 8 > b.length) {
                return;
            }
            int h = (int) header;
            if (!isChunkType(b, h + 4)) {
                return;
            }
            String type = type(b, h + 4);
            if (type.equals("IEND")) {
                return;
            }
            long length = u32(b, h);
            if (header + 8 + length > b.length) {
                throw truncated(name, "its PNG chunk " + type + " at byte " + header + " after the image data ends"
                        + " early");
            }
            if (header + 12 + length <= b.length && !crcMatches(b, h, length)) {
                damage.add("chunk " + type + " at byte " + header + " has a wrong CRC");
            }
            p = header + 8 + length;
        }
    }

    /** Undoes the row's filter in place (bytes 1..len), from the previous row of the same pass. */
    private static void unfilter(byte[] row, byte[] prev, int len, int bpp) {
        switch (row[0]) {
            case 1 -> {
                for (int i = bpp + 1; i <= len; i++) {
                    row[i] += row[i - bpp];
                }
            }
            case 2 -> {
                for (int i = 1; i <= len; i++) {
                    row[i] += prev[i];
                }
            }
            case 3 -> {
                int i = 1;
                for (; i <= bpp && i <= len; i++) {
                    row[i] += (prev[i] & 0xFF) >> 1;
                }
                for (; i <= len; i++) {
                    row[i] += ((row[i - bpp] & 0xFF) + (prev[i] & 0xFF)) >> 1;
                }
            }
            case 4 -> {
                int i = 1;
                for (; i <= bpp && i <= len; i++) {
                    row[i] += prev[i];
                }
                for (; i <= len; i++) {
                    int a = row[i - bpp] & 0xFF;
                    int up = prev[i] & 0xFF;
                    int c = prev[i - bpp] & 0xFF;
                    int pa = Math.abs(up - c);
                    int pb = Math.abs(a - c);
                    int pc = Math.abs(a + up - 2 * c);
                    row[i] += (pa <= pb && pa <= pc) ? a : (pb <= pc) ? up : c;
                }
            }
            default -> {
            }
        }
    }

    /** The image being written, in Pillow's mode, from unfiltered scanlines of the plain image or of a pass. */
    private static final class Output {
        final int width;
        final int height;
        final int bits;
        private final int depth;
        private final int colour;
        private final int channels;
        /** Bytes per pixel of the output (8-bit modes and P). */
        private final int outChannels;
        private final byte[] bytes;
        private final int[] ints;
        private final int[] palette;

        Output(ImageHeader header, int[] plte) {
            width = header.width();
            height = header.height();
            depth = header.bitDepth();
            colour = header.colourType();
            channels = channels(colour);
            bits = depth * channels;
            long pixels = (long) width * height;
            if (colour == 0 && depth == 16) {
                outChannels = 1;
                ints = new int[Math.toIntExact(pixels)];
                bytes = null;
            } else {
                outChannels = colour == 4 && depth == 16 ? 4 : channels;
                bytes = new byte[Math.toIntExact(pixels * outChannels)];
                ints = null;
            }
            if (colour == 3) {
                palette = plte == null ? new int[0] : plte;
            } else if (colour == 0 && depth == 1) {
                palette = new int[] {0x000000, 0xFFFFFF};
            } else {
                palette = null;
            }
        }

        /** Writes one unfiltered row (bytes 1..len of {@code row}) of pass {@code pass} (-1: plain) at row y. */
        void row(byte[] row, int pass, int y, int len) {
            int x0 = pass < 0 ? 0 : PASS_START_COL[pass];
            int dx = pass < 0 ? 1 : PASS_COL_STEP[pass];
            int n = pass < 0 ? width : (width + PASS_COL_OFFSET[pass]) / dx;
            if (depth == 8 && dx == 1) {
                System.arraycopy(row, 1, bytes, y * width * outChannels, width * outChannels);
                return;
            }
            if (ints != null) {
                int o = y * width + x0;
                for (int i = 0; i < n; i++, o += dx) {
                    ints[o] = ((row[1 + 2 * i] & 0xFF) << 8) | (row[2 + 2 * i] & 0xFF);
                }
                return;
            }
            int o = (y * width + x0) * outChannels;
            int step = dx * outChannels;
            if (depth == 16) {
                if (colour == 4) {
                    // 16-bit grey+alpha: Pillow's RGBA, grey replicated, high bytes.
                    for (int i = 0; i < n; i++, o += step) {
                        byte grey = row[1 + 4 * i];
                        bytes[o] = grey;
                        bytes[o + 1] = grey;
                        bytes[o + 2] = grey;
                        bytes[o + 3] = row[3 + 4 * i];
                    }
                } else {
                    for (int i = 0; i < n; i++, o += step) {
                        for (int k = 0; k < channels; k++) {
                            bytes[o + k] = row[1 + 2 * (i * channels + k)];
                        }
                    }
                }
                return;
            }
            if (depth == 8) {
                for (int i = 0; i < n; i++, o += step) {
                    System.arraycopy(row, 1 + i * channels, bytes, o, channels);
                }
                return;
            }
            // 1, 2 and 4 bits per sample, one sample per pixel (grey or palette index), most significant first.
            int mask = (1 << depth) - 1;
            int scale = colour == 0 ? (depth == 2 ? 85 : depth == 4 ? 17 : 1) : 1;
            for (int i = 0; i < n; i++, o += step) {
                int bit = i * depth;
                int v = (row[1 + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
                bytes[o] = (byte) (v * scale);
            }
        }

        PilPixels pixels() {
            if (ints != null) {
                return PilPixels.ints(width, height, ints);
            }
            if (palette != null) {
                return PilPixels.indexed(width, height, bytes, colour == 3 ? pillowPalette(palette) : palette);
            }
            PilMode mode = switch (outChannels) {
                case 1 -> PilMode.L;
                case 2 -> PilMode.LA;
                case 3 -> PilMode.RGB;
                default -> PilMode.RGBA;
            };
            return PilPixels.bytes(mode, width, height, bytes);
        }
    }

    /**
     * A palette of at least 256 entries as Pillow holds it: the given entries, then the grey ramp (i, i, i) that
     * Pillow's palettes start with, so that an index beyond the file's palette is that grey, as in Pillow.
     */
    static int[] pillowPalette(int[] palette) {
        int[] full = new int[Math.max(256, palette.length)];
        System.arraycopy(palette, 0, full, 0, palette.length);
        for (int i = palette.length; i < full.length; i++) {
            full[i] = i * 0x010101;
        }
        return full;
    }
}
