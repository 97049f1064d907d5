package dev.decap.memory.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The byte layout of format versions 1 and 2 (specified in {@code docs/memory-bank-format.md}): a 4096-byte header,
 * then the sections back to back in a fixed order, every byte of the file covered by exactly one CRC32C.
 * Little-endian. Version 2 adds the int8 vector type and a seventh section, the int8 rows' scales; a file is
 * written in the lowest version that holds it, so fp32 and fp16 banks stay version 1 (readable by older decap).
 */
final class BankLayout {
    private BankLayout() {
    }

    /** PNG-style magic: a non-ASCII first byte, the name, and CR LF SUB LF to catch text-mode transfers. */
    static final byte[] MAGIC = {(byte) 0x89, 'D', 'M', 'B', '\r', '\n', 0x1a, '\n'};
    /** fp32 and fp16 banks: six sections. */
    static final int VERSION_1 = 1;
    /** Adds {@link VectorType#INT8} and the {@link Section#ROW_SCALES} section. */
    static final int VERSION_2 = 2;
    /** The newest version this code reads and writes. */
    static final int VERSION = VERSION_2;
    static final int HEADER_SIZE = 4096;
    static final int HEADER_CRC_OFFSET = HEADER_SIZE - 4;
    static final int SECTION_TABLE = 80;
    static final int SECTION_ENTRY = 24;
    static final int FLAG_METADATA = 1;
    static final int MAX_DIMENSION = 1 << 16;
    /** Longest caption or metadata string, in UTF-8 bytes. CLIP reads 77 tokens; this is far beyond any caption. */
    static final int MAX_TEXT_BYTES = 1 << 16;
    static final String CONTENT_DOMAIN = "decap-memory-bank-content\0";

    /** The sections, in file order after the header. */
    enum Section {
        VECTORS(1, "vectors"),
        ENCODER(2, "encoder"),
        CAPTION_OFFSETS(3, "caption offsets"),
        CAPTIONS(4, "captions"),
        METADATA_OFFSETS(5, "metadata offsets"),
        METADATA(6, "metadata"),
        /** Version 2: one little-endian f32 per entry, the scale of its int8 row; empty for other types. */
        ROW_SCALES(7, "row scales");

        final int id;
        final String label;

        Section(int id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    static final int SECTIONS = Section.values().length;

    /** Sections in a file of {@code version}: 6 in version 1, 7 in version 2. */
    static int sections(int version) {
        return version == VERSION_1 ? SECTIONS - 1 : SECTIONS;
    }

    /** The version a bank of {@code type} is written in: the lowest that can hold it. */
    static int versionFor(VectorType type) {
        return type == VectorType.INT8 ? VERSION_2 : VERSION_1;
    }

    /** The decoded header. */
    static final class Header {
        int version = VERSION_1;
        int dimension;
        VectorType type;
        long count;
        long fileLength;
        byte[] contentSha256 = new byte[32];
        int flags;
        final long[] offset = new long[SECTIONS];
        final long[] length = new long[SECTIONS];
        final int[] crc = new int[SECTIONS];

        boolean hasMetadata() {
            return (flags & FLAG_METADATA) != 0;
        }

        long end(Section s) {
            return offset[s.ordinal()] + length[s.ordinal()];
        }
    }

    static ByteBuffer encode(Header h) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putInt(h.version);
        b.putInt(HEADER_SIZE);
        b.putInt(h.dimension);
        b.putInt(h.type.code());
        b.putLong(h.count);
        b.putLong(h.fileLength);
        b.put(h.contentSha256);
        b.putInt(h.flags);
        int sections = sections(h.version);
        b.putInt(sections);
        for (Section s : Section.values()) {
            if (s.ordinal() >= sections) {
                break;
            }
            b.putInt(s.id);
            b.putInt(h.crc[s.ordinal()]);
            b.putLong(h.offset[s.ordinal()]);
            b.putLong(h.length[s.ordinal()]);
        }
        b.putInt(HEADER_CRC_OFFSET, crc(b.array(), 0, HEADER_CRC_OFFSET));
        b.clear();
        return b;
    }

    /**
     * Decodes and checks a header read from a file of {@code actualSize} bytes: magic, version, checksum, and a
     * layout in which every section lies where the format puts it.
     */
    static Header decode(Path file, ByteBuffer raw, int read, long actualSize) {
        if (read < MAGIC.length || !Arrays.equals(Arrays.copyOf(raw.array(), MAGIC.length), MAGIC)) {
            throw new CorruptMemoryBankException(file, "header", read < MAGIC.length
                    ? "the file is " + actualSize + " bytes, too short to be a memory bank"
                    : "wrong magic: this is not a decap memory bank file");
        }
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (read < 12) {
            throw new CorruptMemoryBankException(file, "header", "truncated: the file is " + actualSize + " bytes");
        }
        int version = b.getInt(8);
        if (version != VERSION_1 && version != VERSION_2) {
            throw new CorruptMemoryBankException(file, "header", "format version " + version
                    + " is not supported: expected " + VERSION_1 + " or " + VERSION_2 + ", found " + version
                    + " (a newer decap may read it)");
        }
        if (read < HEADER_SIZE) {
            throw new CorruptMemoryBankException(file, "header", "truncated: the header needs " + HEADER_SIZE
                    + " bytes, the file has " + actualSize);
        }
        int stored = b.getInt(HEADER_CRC_OFFSET);
        int actual = crc(raw.array(), 0, HEADER_CRC_OFFSET);
        if (stored != actual) {
            throw new CorruptMemoryBankException(file, "header", "CRC32C mismatch: expected " + hex(stored)
                    + ", found " + hex(actual));
        }
        Header h = new Header();
        h.version = version;
        int headerSize = b.getInt(12);
        h.dimension = b.getInt(16);
        int typeCode = b.getInt(20);
        h.type = VectorType.fromCode(typeCode);
        h.count = b.getLong(24);
        h.fileLength = b.getLong(32);
        b.position(40);
        b.get(h.contentSha256);
        h.flags = b.getInt(72);
        int sections = b.getInt(76);
        String bad = null;
        if (headerSize != HEADER_SIZE) {
            bad = "header size expected " + HEADER_SIZE + ", found " + headerSize;
        } else if (h.dimension <= 0 || h.dimension > MAX_DIMENSION) {
            bad = "dimension " + h.dimension + " is out of range (1 to " + MAX_DIMENSION + ")";
        } else if (h.type == null) {
            bad = "unknown vector type code " + typeCode;
        } else if (version < versionFor(h.type)) {
            bad = "vector type " + h.type.id() + " needs format version " + versionFor(h.type) + ", found version "
                    + version;
        } else if (h.count <= 0 || h.count > Integer.MAX_VALUE - 1) {
            bad = "entry count " + h.count + " is out of range (1 to " + (Integer.MAX_VALUE - 1) + ")";
        } else if ((h.flags & ~FLAG_METADATA) != 0) {
            bad = "unknown flags " + hex(h.flags);
        } else if (sections != sections(version)) {
            bad = "section count expected " + sections(version) + ", found " + sections;
        }
        if (bad != null) {
            throw new CorruptMemoryBankException(file, "header", bad);
        }
        for (Section s : Section.values()) {
            if (s.ordinal() >= sections) {
                // version 1: no row scales; the empty section sits at the end of the file
                h.offset[s.ordinal()] = -1;
                break;
            }
            int at = SECTION_TABLE + s.ordinal() * SECTION_ENTRY;
            int id = b.getInt(at);
            if (id != s.id) {
                throw new CorruptMemoryBankException(file, "header", "section table entry " + s.ordinal()
                        + " expected id " + s.id + ", found " + id);
            }
            h.crc[s.ordinal()] = b.getInt(at + 4);
            h.offset[s.ordinal()] = b.getLong(at + 8);
            h.length[s.ordinal()] = b.getLong(at + 16);
        }
        checkGeometry(file, h, actualSize);
        return h;
    }

    private static void checkGeometry(Path file, Header h, long actualSize) {
        long rowBytes = (long) h.dimension * h.type.bytesPerComponent();
        int sections = sections(h.version);
        long[] expectedLength = new long[SECTIONS];
        expectedLength[Section.VECTORS.ordinal()] = h.count * rowBytes;
        expectedLength[Section.ENCODER.ordinal()] = -1;
        expectedLength[Section.CAPTION_OFFSETS.ordinal()] = (h.count + 1) * 8;
        expectedLength[Section.CAPTIONS.ordinal()] = -1;
        expectedLength[Section.METADATA_OFFSETS.ordinal()] = h.hasMetadata() ? (h.count + 1) * 8 : 0;
        expectedLength[Section.METADATA.ordinal()] = h.hasMetadata() ? -1 : 0;
        expectedLength[Section.ROW_SCALES.ordinal()] = h.type == VectorType.INT8 ? h.count * 4 : 0;
        long expectedOffset = HEADER_SIZE;
        for (Section s : Section.values()) {
            if (s.ordinal() >= sections) {
                h.offset[s.ordinal()] = expectedOffset;
                h.length[s.ordinal()] = 0;
                break;
            }
            long off = h.offset[s.ordinal()];
            long len = h.length[s.ordinal()];
            if (off != expectedOffset) {
                throw new CorruptMemoryBankException(file, "header", "section \"" + s.label + "\" offset expected "
                        + expectedOffset + ", found " + off);
            }
            long want = expectedLength[s.ordinal()];
            if (len < 0 || (want >= 0 && len != want)) {
                throw new CorruptMemoryBankException(file, "header", "section \"" + s.label + "\" length expected "
                        + (want >= 0 ? String.valueOf(want) : "a non-negative number") + ", found " + len);
            }
            expectedOffset = off + len;
        }
        if (h.fileLength != expectedOffset) {
            throw new CorruptMemoryBankException(file, "header", "file length expected " + expectedOffset
                    + " (the end of the last section), found " + h.fileLength);
        }
        if (actualSize != h.fileLength) {
            Section last = null;
            for (Section s : Section.values()) {
                if (h.end(s) > actualSize && last == null && h.length[s.ordinal()] > 0) {
                    last = s;
                }
            }
            String where = last == null ? "header" : last.label;
            throw new CorruptMemoryBankException(file, where, actualSize < h.fileLength
                    ? "truncated: the header says " + h.fileLength + " bytes, the file has " + actualSize
                    : "the file has " + (actualSize - h.fileLength) + " bytes after its last section (expected "
                    + h.fileLength + " bytes, found " + actualSize + ")");
        }
    }

    static int crc(byte[] data, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(data, offset, length);
        return (int) c.getValue();
    }

    static String hex(int v) {
        return String.format("0x%08x", v);
    }

    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** The canonical content hash from the digests of the caption stream and of the vector bytes. */
    static byte[] contentSha256(int dimension, VectorType type, long count, byte[] captionsDigest,
                                byte[] vectorsDigest) {
        MessageDigest md = sha256();
        md.update(CONTENT_DOMAIN.getBytes(StandardCharsets.US_ASCII));
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(1).putInt(dimension).putInt(type.code()).putLong(count);
        md.update(b.array());
        md.update(captionsDigest);
        md.update(vectorsDigest);
        return md.digest();
    }

    /** The encoder section's bytes: u32 name length, UTF-8 name, 32 raw bytes of the text model's SHA-256. */
    static byte[] encodeEncoder(EncoderIdentity id) {
        byte[] name = id.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(name.length).put(name).put(unhex(id.textModelSha256()));
        return b.array();
    }

    static EncoderIdentity decodeEncoder(Path file, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = bytes.length >= 4 ? b.getInt() : -1;
        if (n < 1 || n > 1024 || bytes.length != 4 + n + 32) {
            throw new CorruptMemoryBankException(file, "encoder", "malformed: name length " + n + " in a section of "
                    + bytes.length + " bytes");
        }
        byte[] name = new byte[n];
        b.get(name);
        byte[] sha = new byte[32];
        b.get(sha);
        try {
            return new EncoderIdentity(Utf8Strict.decode(name, 0, n), hex(sha));
        } catch (RuntimeException e) {
            throw new CorruptMemoryBankException(file, "encoder", "malformed name: " + e.getMessage(), e);
        }
    }
}
