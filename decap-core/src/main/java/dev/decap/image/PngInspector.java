package dev.decap.image;

import dev.decap.ImageDecodingException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Reads a PNG's chunks and inflates its image data the way Pillow 9.4 does ({@code PngImagePlugin} and
 * {@code ZipDecode.c}), to refuse exactly what Pillow refuses before ImageIO (which checks no CRC and is more lenient
 * in places, stricter in others) decodes the pixels:
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
 */
final class PngInspector {
    private static final int READ_BLOCK = 65536;
    /** Pillow's OFFSET: a pass row holds (width + OFFSET) / COL_STEP pixels. */
    private static final int[] PASS_COL_OFFSET = {7, 3, 3, 1, 1, 0, 0};
    private static final int[] PASS_START_ROW = {0, 0, 4, 0, 2, 0, 1};
    private static final int[] PASS_COL_STEP = {8, 8, 4, 4, 2, 2, 1};
    private static final int[] PASS_ROW_STEP = {8, 8, 8, 4, 4, 2, 2};

    private PngInspector() {
    }

    /**
     * What the inspection found, for a PNG Pillow accepts.
     *
     * @param rowsDecoded    scanlines (of all interlace passes) the zlib stream holds, up to {@code rowsTotal}
     * @param rowsTotal      scanlines the image needs
     * @param paletteEntries PLTE entries, or -1 when there is no PLTE chunk
     * @param damage         damage Pillow tolerates, in words; empty for an intact file
     */
    record Report(int rowsDecoded, int rowsTotal, int paletteEntries, List<String> damage) {
        boolean complete() {
            return rowsDecoded == rowsTotal;
        }
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
     * Checks {@code b} (a PNG whose IHDR {@code header} has already been read) as Pillow would load it.
     *
     * @throws ImageDecodingException where Pillow refuses the file
     */
    static Report inspect(byte[] b, ImageHeader header, String name, DecodeDeadline deadline) {
        List<String> damage = new ArrayList<>();
        int p = 8;
        boolean interlaced = false;
        int paletteEntries = -1;
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
                paletteEntries = (int) (length / 3);
                if (paletteEntries > 256) {
                    throw corrupt(name, "its PNG palette holds " + paletteEntries + " entries, at most 256 are"
                            + " allowed");
                }
            }
            p += 12 + (int) length;
        }

        int width = header.width();
        int height = header.height();
        int bits = header.bitDepth() * channels(header.colourType());
        int rowsTotal = 0;
        if (interlaced) {
            for (int pass = 0; pass < 7; pass++) {
                if (rowBytes(width, bits, pass) > 0) {
                    rowsTotal += (height - PASS_START_ROW[pass] + PASS_ROW_STEP[pass] - 1) / PASS_ROW_STEP[pass];
                }
            }
        } else {
            rowsTotal = height;
        }

        IdatReader reader = new IdatReader(b, firstIdat, name, damage);
        int rows = inflateRows(reader, width, height, bits, interlaced, name, deadline);
        if (rows < rowsTotal) {
            damage.add("its image data ends after " + rows + " of " + rowsTotal
                    + " scanlines (the zlib stream ends early); the rest is left black, as Pillow leaves it");
        }
        checkAfterData(b, reader.endOfData(), name, damage);
        return new Report(rows, rowsTotal, paletteEntries, damage);
    }

    /** Pillow's row length of a pass (bytes, without the filter byte); for a plain image, pass -1. */
    private static long rowBytes(int width, int bits, int pass) {
        long pixels = pass < 0 ? width : ((long) width + PASS_COL_OFFSET[pass]) / PASS_COL_STEP[pass];
        return (pixels * bits + 7) / 8;
    }

    /**
     * Inflates row by row as Pillow's ZIP decoder does and returns the number of complete scanlines.
     */
    private static int inflateRows(IdatReader reader, int width, int height, int bits, boolean interlaced,
                                   String name, DecodeDeadline deadline) {
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
            int filled = 0;
            int rows = 0;
            while (true) {
                int[] piece = reader.read();
                if (piece == null) {
                    throw truncated(name, "its PNG image data ends after " + rows + " scanlines");
                }
                inflater.setInput(reader.b, piece[0], piece[1] - piece[0]);
                while (inflater.getRemaining() > 0) {
                    int got;
                    try {
                        got = inflater.inflate(row, filled, (int) len + 1 - filled);
                    } catch (DataFormatException e) {
                        throw corrupt(name, "its PNG image data (zlib) is broken after " + rows + " scanlines ("
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

    /**
     * A clean PNG with the pixels Pillow gives {@code b}: the header chunks kept, a grey-ramp palette where the
     * PLTE is missing, and the image data inflated, padded with black scanlines to the full image and deflated
     * again. ImageIO decodes it where it refuses the damaged original.
     */
    static byte[] rebuild(byte[] b, ImageHeader header, Report report) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b, 0, 8);
        int p = 8;
        int idat = -1;
        while (p + 8 <= b.length) {
            long length = u32(b, p);
            String type = type(b, p + 4);
            if (type.equals("IDAT")) {
                idat = p;
                break;
            }
            if (!type.equals("PLTE") || header.colourType() == 3) {
                out.write(b, p, 12 + (int) length);
            }
            p += 12 + (int) length;
        }
        if (header.colourType() == 3 && report.paletteEntries() < 0) {
            byte[] ramp = new byte[3 << header.bitDepth()];
            for (int i = 0; i < ramp.length; i++) {
                ramp[i] = (byte) (i / 3);
            }
            chunk(out, "PLTE", ramp);
        }
        // The image data as Pillow reads it (rows past the end of the stream are zero: filter 0, black).
        int bits = header.bitDepth() * channels(header.colourType());
        long raw = rawLength(header.width(), header.height(), bits, interlaced(b));
        byte[] data = new byte[Math.toIntExact(raw)];
        int complete = (int) rowsLength(header.width(), header.height(), bits, interlaced(b), report.rowsDecoded());
        Inflater inflater = new Inflater();
        try {
            IdatReader reader = new IdatReader(b, idat, "", new ArrayList<>());
            int filled = 0;
            int[] piece;
            while (filled < complete && !inflater.finished() && (piece = reader.read()) != null) {
                inflater.setInput(b, piece[0], piece[1] - piece[0]);
                while (filled < complete && inflater.getRemaining() > 0 && !inflater.finished()) {
                    int got = inflater.inflate(data, filled, complete - filled);
                    if (got == 0) {
                        break;
                    }
                    filled += got;
                }
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException("inspected PNG data failed to inflate", e);
        } finally {
            inflater.end();
        }
        Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        try {
            deflater.setInput(data);
            deflater.finish();
            ByteArrayOutputStream z = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (!deflater.finished()) {
                z.write(buf, 0, deflater.deflate(buf));
            }
            chunk(out, "IDAT", z.toByteArray());
        } finally {
            deflater.end();
        }
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static boolean interlaced(byte[] b) {
        return b[28] != 0;
    }

    private static long rawLength(int width, int height, int bits, boolean interlaced) {
        return rowsLength(width, height, bits, interlaced, Integer.MAX_VALUE);
    }

    /** Bytes of the first {@code rows} scanlines (filter bytes included), in stream order. */
    private static long rowsLength(int width, int height, int bits, boolean interlaced, int rows) {
        if (!interlaced) {
            return Math.min(rows, height) * (rowBytes(width, bits, -1) + 1);
        }
        long total = 0;
        int left = rows;
        for (int pass = 0; pass < 7 && left > 0; pass++) {
            long len = rowBytes(width, bits, pass);
            if (len <= 0) {
                continue;
            }
            int passRows = (height - PASS_START_ROW[pass] + PASS_ROW_STEP[pass] - 1) / PASS_ROW_STEP[pass];
            int take = Math.min(left, Math.max(passRows, 0));
            total += take * (len + 1);
            left -= take;
        }
        return total;
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        writeInt(out, data.length);
        out.writeBytes(t);
        out.writeBytes(data);
        writeInt(out, (int) crc.getValue());
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
