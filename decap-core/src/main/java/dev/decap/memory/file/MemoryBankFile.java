package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.internal.Half;
import dev.decap.internal.Int8Rows;
import dev.decap.internal.kernels.RowBlock;
import dev.decap.internal.kernels.RowSource;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.BankLayout.Header;
import dev.decap.memory.file.BankLayout.Section;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A memory bank read from a bank file through read-only memory mappings (the format is specified in
 * {@code docs/memory-bank-format.md}). Opening reads the 4 KiB header and the encoder section and maps the rest;
 * nothing else is read until used, so a bank of millions of entries opens in milliseconds and the operating system
 * pages in what is scanned.
 *
 * <p>{@link #open} checks the header (magic, version, CRC32C, a consistent layout, the file length) and the
 * encoder section; {@link #verify()} checks every section's CRC32C and the {@code content_sha256}, and
 * {@link #openVerified} does both. Reading a bank that fails {@code verify} is refused where it is detected; use
 * {@code openVerified} (as the CLI does) to be sure nothing corrupt is read.
 *
 * <p>fp16 and int8 banks are converted to float block by block inside {@link #scan}, into a buffer of at most
 * {@value #MAX_BLOCK_ROWS} rows per call. Immutable and safe for any number of concurrent readers. {@link #close()}
 * is idempotent; afterwards every method throws {@link ClosedException} (the mappings themselves are released by
 * the garbage collector, as Java 17 offers no explicit unmapping).
 */
public final class MemoryBankFile implements MemoryBank, AutoCloseable, RowSource {
    /** Most rows one {@link #scan} block holds; larger requests get several blocks. */
    public static final int MAX_BLOCK_ROWS = 1024;
    /** Bytes per mapping of the bulk sections (row-aligned for the vectors). */
    static final long MAP_CHUNK = 1L << 30;

    private final Path path;
    private final FileChannel channel;
    private final Header header;
    private final EncoderIdentity encoder;
    private final int dimension;
    private final int size;
    private final VectorType type;
    private final int rowBytes;
    private final long rowsPerMap;
    private final MappedRegion vectors;
    private final FloatBuffer[] floatViews;
    private final ShortBuffer[] shortViews;
    /** fp16 and int8 banks whose rows are whole ints: the vectors as little-endian ints, or null. */
    private final IntBuffer[] intViews;
    /** int8 banks: the row scales section (empty otherwise). */
    private final MappedRegion rowScales;
    private final FloatBuffer[] scaleViews;
    private final MappedRegion captionOffsets;
    private final MappedRegion captions;
    private final MappedRegion metadataOffsets;
    private final MappedRegion metadata;
    private volatile boolean closed;

    private MemoryBankFile(Path path, FileChannel channel, Header header, EncoderIdentity encoder, long mapChunk)
            throws IOException {
        this.path = path;
        this.channel = channel;
        this.header = header;
        this.encoder = encoder;
        this.dimension = header.dimension;
        this.size = (int) header.count;
        this.type = header.type;
        this.rowBytes = dimension * type.bytesPerComponent();
        this.rowsPerMap = Math.max(1, mapChunk / rowBytes);
        this.vectors = region(Section.VECTORS, rowsPerMap * rowBytes);
        floatViews = new FloatBuffer[vectors.maps()];
        shortViews = new ShortBuffer[vectors.maps()];
        intViews = rowBytes % 4 == 0 && type != VectorType.FP32 ? new IntBuffer[vectors.maps()] : null;
        for (int i = 0; i < vectors.maps(); i++) {
            MappedByteBuffer m = vectors.map(i);
            if (type == VectorType.FP32) {
                floatViews[i] = m.asFloatBuffer();
            } else if (type == VectorType.FP16) {
                shortViews[i] = m.asShortBuffer();
            }
            if (intViews != null) {
                intViews[i] = m.asIntBuffer();
            }
        }
        this.rowScales = region(Section.ROW_SCALES, mapChunk / 4 * 4);
        this.scaleViews = new FloatBuffer[rowScales.maps()];
        for (int i = 0; i < scaleViews.length; i++) {
            scaleViews[i] = rowScales.map(i).asFloatBuffer();
        }
        this.captionOffsets = region(Section.CAPTION_OFFSETS, mapChunk);
        this.captions = region(Section.CAPTIONS, mapChunk);
        this.metadataOffsets = region(Section.METADATA_OFFSETS, mapChunk);
        this.metadata = region(Section.METADATA, mapChunk);
        long first = captionOffsets.getLong(0);
        long last = captionOffsets.getLong(8L * size);
        if (first != 0 || last != captions.length()) {
            throw corrupt(Section.CAPTION_OFFSETS.label, "offsets must run from 0 to the captions length "
                    + captions.length() + ", found " + first + " to " + last);
        }
    }

    private MappedRegion region(Section s, long chunk) throws IOException {
        return new MappedRegion(channel, header.offset[s.ordinal()], header.length[s.ordinal()], chunk);
    }

    /**
     * Opens a bank file, checking its header and encoder section (not the bulk sections; see {@link #verify()}).
     *
     * @throws InvalidInputException       if the file does not exist or cannot be read
     * @throws CorruptMemoryBankException if it is not a bank file of a supported version, or is truncated or
     *                                     corrupt where checked
     */
    public static MemoryBankFile open(Path file) {
        return open(file, MAP_CHUNK);
    }

    /** {@link #open(Path)} with mappings of at most {@code mapChunk} bytes (tests exercise several mappings). */
    static MemoryBankFile open(Path file, long mapChunk) {
        Arguments.requireNonNull(file, "file");
        Path p = file.toAbsolutePath().normalize();
        // Only regular files: opening a FIFO blocks until a writer appears, a device may never end.
        if (Files.exists(p) && !Files.isRegularFile(p)) {
            throw new InvalidInputException("memory bank " + p + " is not a regular file ("
                    + (Files.isDirectory(p) ? "a directory" : "a FIFO, device or socket")
                    + "); pass the path of a memory bank file built with `decap memory build`");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("memory bank " + p + " does not exist; build one with "
                    + "`decap memory build`");
        } catch (IOException e) {
            throw new InvalidInputException("memory bank " + p + " cannot be opened: " + e.getMessage(), e);
        }
        try {
            long actual = ch.size();
            ByteBuffer raw = ByteBuffer.allocate(BankLayout.HEADER_SIZE);
            int read = 0;
            while (raw.hasRemaining()) {
                int n = ch.read(raw, read);
                if (n < 0) {
                    break;
                }
                read += n;
            }
            Header h = BankLayout.decode(p, raw, read, actual);
            int encLength = (int) h.length[Section.ENCODER.ordinal()];
            if (encLength > 4 + 1024 + 32) {
                throw new CorruptMemoryBankException(p, "encoder", "length " + encLength + " exceeds "
                        + (4 + 1024 + 32) + " bytes");
            }
            byte[] enc = new byte[encLength];
            ByteBuffer eb = ByteBuffer.wrap(enc);
            long at = h.offset[Section.ENCODER.ordinal()];
            while (eb.hasRemaining()) {
                if (ch.read(eb, at + eb.position()) < 0) {
                    throw new CorruptMemoryBankException(p, "encoder", "truncated");
                }
            }
            int crc = BankLayout.crc(enc, 0, enc.length);
            if (crc != h.crc[Section.ENCODER.ordinal()]) {
                throw new CorruptMemoryBankException(p, "encoder", "CRC32C mismatch: expected "
                        + BankLayout.hex(h.crc[Section.ENCODER.ordinal()]) + ", found " + BankLayout.hex(crc));
            }
            EncoderIdentity id = BankLayout.decodeEncoder(p, enc);
            return new MemoryBankFile(p, ch, h, id, mapChunk);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new InvalidInputException("memory bank " + p + " cannot be read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Opens a bank file and {@linkplain #verify() verifies} every checksum before returning it.
     *
     * @throws CorruptMemoryBankException naming the file and the first section that fails
     */
    public static MemoryBankFile openVerified(Path file) {
        Arguments.requireNonNull(file, "file");
        MemoryBankFile bank = open(file);
        try {
            bank.verify();
            return bank;
        } catch (RuntimeException e) {
            bank.close();
            throw e;
        }
    }

    /** Reads only the header information of a bank file (the header and encoder section are checked). */
    public static BankInfo info(Path file) {
        Arguments.requireNonNull(file, "file");
        try (MemoryBankFile bank = open(file)) {
            return bank.info();
        }
    }

    /** The header information. */
    public BankInfo info() {
        checkOpen();
        return new BankInfo(path, header.version, size, dimension, type, encoder,
                BankLayout.hex(header.contentSha256), header.hasMetadata(), header.fileLength);
    }

    /** The file this bank was opened from (absolute). */
    public Path path() {
        return path;
    }

    /** The text encoder that produced the embeddings. */
    public EncoderIdentity encoder() {
        return encoder;
    }

    /** How components are stored. */
    public VectorType vectorType() {
        return type;
    }

    /** The content hash, 64 hex digits (see the format specification). */
    public String contentSha256() {
        return BankLayout.hex(header.contentSha256);
    }

    /** Whether entries carry a metadata string. */
    public boolean hasMetadata() {
        return header.hasMetadata();
    }

    /**
     * Refuses this bank unless it was built by the same text model as {@code expected}.
     *
     * @return this bank
     * @throws IncompatibleMemoryBankException naming both encoders
     */
    public MemoryBankFile requireEncoder(EncoderIdentity expected) {
        Arguments.requireNonNull(expected, "expected");
        return requireEncoder(expected, dimension);
    }

    /**
     * Refuses this bank unless it was built by the same text model as {@code expected} and has its dimension.
     * Call it before projecting embeddings of another encoder onto the bank.
     *
     * @return this bank
     * @throws IncompatibleMemoryBankException naming both encoders
     */
    public MemoryBankFile requireEncoder(EncoderIdentity expected, int expectedDimension) {
        Arguments.requireNonNull(expected, "expected");
        checkOpen();
        if (!encoder.sameModel(expected)) {
            throw new IncompatibleMemoryBankException("memory bank " + path + " was built with text encoder "
                    + encoder.describe() + ", but this captioner uses " + expected.describe()
                    + "; rebuild the bank with this bundle (`decap memory build --bundle ...`)");
        }
        if (expectedDimension != dimension) {
            throw new IncompatibleMemoryBankException("memory bank " + path + " has embeddings of the wrong "
                    + "dimension: expected " + expectedDimension + ", found " + dimension);
        }
        return this;
    }

    @Override
    public int size() {
        checkOpen();
        return size;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public String caption(int index) {
        checkOpen();
        checkIndex(index);
        return text(captionOffsets, captions, index, Section.CAPTION_OFFSETS, Section.CAPTIONS);
    }

    /**
     * The metadata string of entry {@code index}; empty when the entry (or the bank) has none.
     */
    public String metadata(int index) {
        checkOpen();
        checkIndex(index);
        if (!header.hasMetadata()) {
            return "";
        }
        return text(metadataOffsets, metadata, index, Section.METADATA_OFFSETS, Section.METADATA);
    }

    private String text(MappedRegion offsets, MappedRegion data, int index, Section offsetSection,
                        Section section) {
        long a = offsets.getLong(8L * index);
        long b = offsets.getLong(8L * index + 8);
        if (a < 0 || b < a || b > data.length() || b - a > BankLayout.MAX_TEXT_BYTES) {
            throw corrupt(offsetSection.label, "entry " + index + " spans bytes " + a + " to " + b
                    + " of a section of " + data.length());
        }
        byte[] bytes = new byte[(int) (b - a)];
        data.get(a, bytes, 0, bytes.length);
        try {
            return Utf8Strict.decode(bytes, 0, bytes.length);
        } catch (InvalidInputException e) {
            throw corrupt(section.label, "entry " + index + " is " + e.getMessage());
        }
    }

    @Override
    public float[] embedding(int index) {
        checkOpen();
        checkIndex(index);
        float[] out = new float[dimension];
        load(index, 1, out, scratch(1));
        return out;
    }

    /**
     * Copies the stored bytes of row {@code index} (as written: little-endian fp32 or fp16; for int8 the
     * {@code dimension} components followed by the row's little-endian f32 scale).
     */
    void rawRow(int index, byte[] dst) {
        checkOpen();
        vectors.get((long) index * rowBytes, dst, 0, rowBytes);
        if (type == VectorType.INT8) {
            rowScales.get(4L * index, dst, rowBytes, 4);
        }
    }

    /** The scales of int8 rows {@code first .. first + rows} into {@code dst[0 .. rows)}. */
    private void scales(int first, int rows, float[] dst) {
        long chunk = rowScales.chunk();
        for (int done = 0; done < rows; ) {
            long pos = 4L * (first + done);
            int m = (int) (pos / chunk);
            int at = (int) (pos - m * chunk);
            int n = Math.min(rows - done, (rowScales.map(m).limit() - at) / 4);
            rowScales.map(m).slice(at, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, done, n);
            done += n;
        }
    }

    /** Scratch for {@link #load} of {@code rows} rows: halves for fp16, bytes and scales for int8. */
    private Object scratch(int rows) {
        return switch (type) {
            case FP32 -> null;
            case FP16 -> new short[rows * dimension];
            case INT8 -> new Int8Scratch(rows, dimension);
        };
    }

    private static final class Int8Scratch {
        final byte[] bytes;
        final float[] scales;

        Int8Scratch(int rows, int dimension) {
            bytes = new byte[rows * dimension];
            scales = new float[rows];
        }
    }

    @Override
    public void scan(int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        scan(0, size, blockRows, consumer);
    }

    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        checkOpen();
        MemoryBank.checkScan(this, fromIndex, toIndex, blockRows);
        int cap = Math.min(Math.min(blockRows, MAX_BLOCK_ROWS), Math.max(1, toIndex - fromIndex));
        float[] block = new float[cap * dimension];
        Object scratch = scratch(cap);
        for (int start = fromIndex; start < toIndex; ) {
            // blocks never straddle two mappings
            long mapEnd = (start / rowsPerMap + 1) * rowsPerMap;
            int rows = (int) Math.min(Math.min(cap, toIndex - start), mapEnd - start);
            load(start, rows, block, scratch);
            consumer.accept(start, rows, block, 0);
            start += rows;
        }
    }

    /**
     * Decodes rows for projection decoding straight from the mapping (not API: see {@link RowSource}): fp32 rows
     * are copied, fp16 and int8 rows converted with vectorisable integer code when the dimension allows it
     * (fp16: even; int8: a multiple of 4), exactly in every case. Blocks never straddle two mappings.
     */
    @Override
    public int decode(int first, int to, RowBlock block) {
        checkOpen();
        if (first < 0 || to > size || first >= to) {
            throw new InvalidInputException("rows [" + first + ", " + to + ") are outside the bank's entries [0, "
                    + size + ")");
        }
        int m = (int) (first / rowsPerMap);
        long mapEnd = (m + 1) * rowsPerMap;
        int rows = (int) Math.min(Math.min(block.capacity(), to - first), mapEnd - first);
        long inMap = first - m * rowsPerMap;
        int d = dimension;
        switch (type) {
            case FP32 -> block.readFloats(first, rows, floatViews[m], (int) (inMap * d));
            case FP16 -> {
                if (intViews != null) {
                    block.readHalfPairs(first, rows, intViews[m], (int) (inMap * d / 2));
                } else {
                    block.readHalves(first, rows, shortViews[m], (int) (inMap * d));
                }
            }
            case INT8 -> {
                long pos = 4L * first;
                int sm = (int) (pos / rowScales.chunk());
                int sAt = (int) (pos - sm * rowScales.chunk()) / 4;
                // the scales of these rows may cross a mapping of the scales region: then take fewer rows
                rows = Math.min(rows, (rowScales.map(sm).limit() / 4) - sAt);
                FloatBuffer scales = scaleViews[sm];
                if (intViews != null) {
                    block.readInt8Quads(first, rows, intViews[m], (int) (inMap * d / 4), scales, sAt);
                } else {
                    block.readInt8(first, rows, vectors.map(m), (int) (inMap * d), scales, sAt);
                }
            }
            default -> throw new AssertionError(type);
        }
        return rows;
    }

    /** Loads {@code rows} rows from {@code first} (within one mapping) into {@code out} as floats. */
    private void load(int first, int rows, float[] out, Object scratch) {
        int m = (int) (first / rowsPerMap);
        int at = (int) ((first - m * rowsPerMap) * dimension);
        int n = rows * dimension;
        if (type == VectorType.FP32) {
            floatViews[m].get(at, out, 0, n);
        } else if (type == VectorType.FP16) {
            short[] halves = (short[]) scratch;
            shortViews[m].get(at, halves, 0, n);
            Half.toFloats(halves, 0, out, 0, n);
        } else {
            Int8Scratch s = (Int8Scratch) scratch;
            vectors.map(m).get(at, s.bytes, 0, n);
            scales(first, rows, s.scales);
            for (int r = 0; r < rows; r++) {
                Int8Rows.dequantize(s.bytes, r * dimension, s.scales[r], out, r * dimension, dimension);
            }
        }
    }

    /**
     * Checks every section's CRC32C, the structure of the offset tables and the UTF-8 of every caption, and
     * recomputes {@code content_sha256}. Reads the whole file.
     *
     * @throws CorruptMemoryBankException naming the file and the first section that fails
     */
    public void verify() {
        checkOpen();
        for (Section s : Section.values()) {
            if (s == Section.ENCODER) {
                continue; // checked on open
            }
            MappedRegion r = switch (s) {
                case VECTORS -> vectors;
                case CAPTION_OFFSETS -> captionOffsets;
                case CAPTIONS -> captions;
                case METADATA_OFFSETS -> metadataOffsets;
                case METADATA -> metadata;
                case ROW_SCALES -> rowScales;
                case ENCODER -> throw new AssertionError();
            };
            int crc = crc(r);
            if (crc != header.crc[s.ordinal()]) {
                throw corrupt(s.label, "CRC32C mismatch: expected " + BankLayout.hex(header.crc[s.ordinal()])
                        + ", found " + BankLayout.hex(crc));
            }
        }
        MessageDigest captionStream = BankLayout.sha256();
        byte[] len = new byte[4];
        ByteBuffer lenBuffer = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            String text = text(captionOffsets, captions, i, Section.CAPTION_OFFSETS, Section.CAPTIONS);
            if (text.isEmpty()) {
                throw corrupt(Section.CAPTIONS.label, "entry " + i + " has an empty caption");
            }
            byte[] bytes = Utf8Strict.encode(text, "caption");
            lenBuffer.putInt(0, bytes.length);
            captionStream.update(len);
            captionStream.update(bytes);
            if (header.hasMetadata()) {
                text(metadataOffsets, metadata, i, Section.METADATA_OFFSETS, Section.METADATA);
            }
        }
        if (header.hasMetadata()) {
            long first = metadataOffsets.getLong(0);
            long last = metadataOffsets.getLong(8L * size);
            if (first != 0 || last != metadata.length()) {
                throw corrupt(Section.METADATA_OFFSETS.label, "offsets must run from 0 to the metadata length "
                        + metadata.length() + ", found " + first + " to " + last);
            }
        }
        MessageDigest vectorDigest = BankLayout.sha256();
        for (MappedRegion r : new MappedRegion[] {vectors, rowScales}) {
            // the row scales (int8 only, else empty) are hashed after the vectors: together they are the rows
            for (int i = 0; i < r.maps(); i++) {
                vectorDigest.update(r.map(i).duplicate());
            }
        }
        byte[] content = BankLayout.contentSha256(dimension, type, size, captionStream.digest(),
                vectorDigest.digest());
        if (!Arrays.equals(content, header.contentSha256)) {
            throw corrupt("content_sha256", "expected " + BankLayout.hex(header.contentSha256) + ", found "
                    + BankLayout.hex(content));
        }
    }

    private static int crc(MappedRegion r) {
        CRC32C c = new CRC32C();
        for (int i = 0; i < r.maps(); i++) {
            c.update(r.map(i).duplicate());
        }
        return (int) c.getValue();
    }

    /** Marks the bank closed and releases the file handle; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeQuietly(channel);
        }
    }

    @Override
    public String toString() {
        return "MemoryBankFile[" + path + ", size=" + size + ", dimension=" + dimension + ", " + type.id() + "]";
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= size) {
            throw new InvalidInputException("memory index " + index + " is out of range: the bank has " + size
                    + " entries (0 to " + (size - 1) + ")");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("memory bank " + path + " is closed; open it again");
        }
    }

    private CorruptMemoryBankException corrupt(String section, String problem) {
        return new CorruptMemoryBankException(path, section, problem);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
