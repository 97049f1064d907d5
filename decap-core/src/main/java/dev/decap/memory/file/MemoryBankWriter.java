package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.internal.Half;
import dev.decap.internal.Int8Rows;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.BankLayout.Header;
import dev.decap.memory.file.BankLayout.Section;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Writes a memory bank file atomically: entries stream into a temporary file in the target's directory, and
 * {@link #commit()} completes it, forces it to disk, renames it over the target and forces the directory. Until
 * the rename the target is untouched; a process killed at any moment leaves either the previous file or the
 * complete new one (plus, at worst, a stale {@code .NAME.tmp-*} file that never verifies as a bank).
 *
 * <p>Each embedding is checked (finite, non-zero, of the bank's dimension) and normalised before it is stored.
 * Captions are {@linkplain #normalizeCaption normalised} (trimmed, whitespace runs collapsed; case kept) and, by
 * default, an entry whose normalised caption was already written is skipped (the writer keeps every normalised
 * caption in a hash set for that, roughly 100 bytes per caption; {@link Builder#dedupe(boolean) dedupe(false)}
 * keeps none). Not thread-safe; close it (a writer closed before {@code commit} deletes its temporary files).
 *
 * <pre>{@code
 * try (MemoryBankWriter w = MemoryBankWriter.builder().output(Path.of("coco.dmb")).dimension(512)
 *         .encoder(identity).vectorType(VectorType.FP16).build()) {
 *     w.add("a dog runs on the beach", embedding);
 *     w.commit();
 * }
 * }</pre>
 */
public final class MemoryBankWriter implements AutoCloseable {
    private static final int BUFFER = 1 << 20;

    /** Opens the channels a writer uses; a seam for tests that simulate failing disks. */
    interface ChannelOpener {
        FileChannel open(Path path, OpenOption... options) throws IOException;
    }

    private final Path output;
    private final Path temp;
    private final Path captionsTemp;
    private final Path metadataTemp;
    private final int dimension;
    private final VectorType type;
    private final EncoderIdentity encoder;
    private final ChannelOpener opener;
    private final Set<String> seen;

    private FileChannel main;
    private FileChannel captionsSide;
    private FileChannel metadataSide;
    private final ByteBuffer vectorBuffer = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer captionBuffer = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer metadataBuffer = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    private long vectorsWritten;
    private long captionsWritten;
    private long metadataWritten;
    private long[] captionOffsets = new long[1024];
    private long[] metadataOffsets = new long[1024];
    /** int8 banks: the scale of each row written so far (the row scales section, written at commit). */
    private float[] rowScales;
    private byte[] quantized;
    private int count;
    private boolean hasMetadata;
    private final CRC32C vectorsCrc = new CRC32C();
    private final CRC32C captionsCrc = new CRC32C();
    private final CRC32C metadataCrc = new CRC32C();
    private final MessageDigest vectorsDigest = BankLayout.sha256();
    private final MessageDigest captionStreamDigest = BankLayout.sha256();
    private boolean committed;
    private boolean closed;

    private MemoryBankWriter(Builder b) {
        this.output = b.output.toAbsolutePath().normalize();
        String suffix = ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        Path dir = output.getParent();
        String name = output.getFileName().toString();
        this.temp = dir.resolve("." + name + suffix);
        this.captionsTemp = dir.resolve("." + name + suffix + ".captions");
        this.metadataTemp = dir.resolve("." + name + suffix + ".metadata");
        this.dimension = b.dimension;
        this.type = b.type;
        this.encoder = b.encoder;
        this.opener = b.opener;
        this.seen = b.dedupe ? new HashSet<>() : null;
        if (type == VectorType.INT8) {
            rowScales = new float[1024];
            quantized = new byte[dimension];
        }
        try {
            main = opener.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            captionsSide = opener.open(captionsTemp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
        } catch (IOException e) {
            abort();
            throw failure("creating a temporary file next to it", e);
        }
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The canonical form captions are stored and compared in: leading and trailing whitespace removed, every run
     * of whitespace (any Unicode white space or space separator) replaced by one U+0020 space. Case is kept.
     */
    public static String normalizeCaption(String caption) {
        Arguments.requireNonNull(caption, "caption");
        StringBuilder sb = new StringBuilder(caption.length());
        boolean pendingSpace = false;
        for (int i = 0; i < caption.length(); ) {
            int cp = caption.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                pendingSpace = sb.length() > 0;
                continue;
            }
            if (pendingSpace) {
                sb.append(' ');
                pendingSpace = false;
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** Entries written so far (duplicates skipped are not counted). */
    public int count() {
        return count;
    }

    /** The embedding dimension of this bank. */
    public int dimension() {
        return dimension;
    }

    /** Adds an entry without metadata; see {@link #add(String, float[], String)}. */
    public boolean add(String caption, float[] embedding) {
        return add(caption, embedding, null);
    }

    /**
     * Adds an entry. The caption is normalised; the embedding is copied and normalised (then rounded to fp16 for
     * an fp16 bank, or quantised to int8 with a row scale for an int8 bank).
     *
     * @param metadata optional per-entry string (an id, or JSON), stored as UTF-8; null for none
     * @return true if written, false if skipped as a duplicate of an earlier caption
     * @throws InvalidInputException if the caption is null, empty after normalisation, longer than 65536 UTF-8
     *                               bytes or not valid Unicode, or the embedding is null, not finite, zero or of
     *                               the wrong dimension; nothing is written then
     */
    public boolean add(String caption, float[] embedding, String metadata) {
        checkOpen();
        if (caption == null) {
            throw new InvalidInputException("memory entry " + count + " has a null caption; pass the caption text");
        }
        String text = normalizeCaption(caption);
        String what = "embedding of memory entry " + count + " (\"" + abbreviate(text) + "\")";
        if (text.isEmpty()) {
            throw new InvalidInputException("memory entry " + count + " has an empty caption (only whitespace); "
                    + "remove it from the corpus");
        }
        byte[] captionBytes = checkedText(text, "caption of memory entry " + count);
        byte[] metadataBytes = metadata == null ? null : checkedText(metadata, "metadata of memory entry " + count);
        Vectors.requireDimension(embedding, dimension, what);
        float[] unit = Vectors.normalized(embedding, what);
        if (seen != null && seen.contains(text)) {
            return false;
        }
        try {
            writeVector(unit);
            writeEntryText(captionBytes, metadataBytes);
        } catch (IOException e) {
            throw fail("writing entry " + count, e);
        }
        if (seen != null) {
            seen.add(text);
        }
        return true;
    }

    /**
     * Adds every entry of {@code bank}, in order, with its metadata when it is a {@link MemoryBankFile}. Rows of a
     * bank file of the same vector type are copied bit for bit, so merging never changes stored vectors.
     *
     * @return how many entries were written (duplicates skipped are not counted)
     * @throws IncompatibleMemoryBankException if the bank's dimension, or a bank file's encoder, differs
     */
    public int addAll(MemoryBank bank) {
        Arguments.requireNonNull(bank, "bank");
        checkOpen();
        if (bank.dimension() != dimension) {
            throw new IncompatibleMemoryBankException("cannot merge a bank of dimension " + bank.dimension()
                    + " into one of dimension " + dimension + ": expected " + dimension + ", found "
                    + bank.dimension());
        }
        MemoryBankFile file = bank instanceof MemoryBankFile f ? f : null;
        if (file != null && !file.encoder().sameModel(encoder)) {
            throw new IncompatibleMemoryBankException("cannot merge " + file.path() + ": its embeddings come from "
                    + file.encoder().describe() + ", this bank's from " + encoder.describe());
        }
        int written = 0;
        for (int i = 0; i < bank.size(); i++) {
            boolean added = file != null ? addFrom(file, i)
                    : add(bank.caption(i), bank.embedding(i), null);
            if (added) {
                written++;
            }
        }
        return written;
    }

    /**
     * Adds entry {@code i} of a bank file with its metadata; a row of this writer's vector type is copied bit for
     * bit. The caller has checked the encoder and dimension.
     */
    boolean addFrom(MemoryBankFile file, int i) {
        checkOpen();
        String metadata = file.hasMetadata() ? file.metadata(i) : null;
        if (file.vectorType() != type) {
            return add(file.caption(i), file.embedding(i), metadata);
        }
        String text = normalizeCaption(file.caption(i));
        if (text.isEmpty() || (seen != null && !seen.add(text))) {
            return false; // a bank file's captions are never empty; a duplicate is skipped as add() would
        }
        byte[] row = new byte[(int) type.rowBytes(dimension)];
        file.rawRow(i, row);
        try {
            putRaw(row);
            writeEntryText(checkedText(text, "caption of memory entry " + count),
                    metadata == null ? null : checkedText(metadata, "metadata of memory entry " + count));
        } catch (IOException e) {
            throw fail("writing entry " + count, e);
        }
        return true;
    }

    /**
     * Completes the file, forces it to disk and renames it over the target; the writer is closed afterwards.
     *
     * @return the new file's header information
     * @throws ConfigurationException   if no entry was written (a bank has at least one)
     * @throws MemoryBankWriteException if writing failed; the target is untouched and the temporary files are gone
     */
    public BankInfo commit() {
        checkOpen();
        if (count == 0) {
            throw new ConfigurationException("a memory bank needs at least one entry; nothing was added to "
                    + output);
        }
        Header h = new Header();
        h.version = BankLayout.versionFor(type);
        h.dimension = dimension;
        h.type = type;
        h.count = count;
        h.flags = hasMetadata ? BankLayout.FLAG_METADATA : 0;
        String stage = "vectors";
        try {
            flushVectors();
            long pos = BankLayout.HEADER_SIZE;
            pos = section(h, Section.VECTORS, pos, vectorsWritten, (int) vectorsCrc.getValue());

            stage = "encoder";
            byte[] enc = BankLayout.encodeEncoder(encoder);
            writeFully(main, ByteBuffer.wrap(enc), pos);
            pos = section(h, Section.ENCODER, pos, enc.length, BankLayout.crc(enc, 0, enc.length));

            stage = "caption offsets";
            flushText(captionsSide, captionBuffer, captionsWritten - captionBuffer.position());
            captionOffsets[count] = captionsWritten;
            int crc = writeLongs(captionOffsets, count + 1, pos);
            pos = section(h, Section.CAPTION_OFFSETS, pos, (count + 1L) * 8, crc);

            stage = "captions";
            copy(captionsSide, captionsWritten, pos);
            pos = section(h, Section.CAPTIONS, pos, captionsWritten, (int) captionsCrc.getValue());

            stage = "metadata";
            if (hasMetadata) {
                flushText(metadataSide, metadataBuffer, metadataWritten - metadataBuffer.position());
                metadataOffsets[count] = metadataWritten;
                crc = writeLongs(metadataOffsets, count + 1, pos);
                pos = section(h, Section.METADATA_OFFSETS, pos, (count + 1L) * 8, crc);
                copy(metadataSide, metadataWritten, pos);
                pos = section(h, Section.METADATA, pos, metadataWritten, (int) metadataCrc.getValue());
            } else {
                pos = section(h, Section.METADATA_OFFSETS, pos, 0, 0);
                pos = section(h, Section.METADATA, pos, 0, 0);
            }
            stage = "row scales";
            if (type == VectorType.INT8) {
                ByteBuffer scales = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
                scales.asFloatBuffer().put(rowScales, 0, count);
                // the content hash covers the scales with the vectors: together they are the stored rows
                vectorsDigest.update(scales.array());
                crc = BankLayout.crc(scales.array(), 0, 4 * count);
                writeFully(main, scales, pos);
                pos = section(h, Section.ROW_SCALES, pos, 4L * count, crc);
            } else {
                pos = section(h, Section.ROW_SCALES, pos, 0, 0);
            }
            h.fileLength = pos;
            h.contentSha256 = BankLayout.contentSha256(dimension, type, count, captionStreamDigest.digest(),
                    vectorsDigest.digest());

            stage = "header";
            writeFully(main, BankLayout.encode(h), 0);
            main.truncate(pos);
            stage = "the file (fsync)";
            main.force(true);
            main.close();
            stage = "the rename into place";
            try {
                Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            committed = true;
            stage = "the directory fsync";
            forceDirectory(output.getParent());
        } catch (IOException e) {
            abort();
            if (committed) {
                throw new MemoryBankWriteException("memory bank " + output + " was written and renamed into place, "
                        + "but syncing its directory failed: " + e.getMessage() + " (" + e.getClass().getSimpleName()
                        + "); the new bank may not survive a power cut: check the disk and write it again", e);
            }
            throw failure("writing " + stage, e);
        } catch (RuntimeException e) {
            if (!committed) {
                abort();
            }
            throw e;
        } finally {
            closeQuietly();
        }
        return new BankInfo(output, h.version, count, dimension, type, encoder,
                BankLayout.hex(h.contentSha256), hasMetadata, h.fileLength);
    }

    /** Closes the writer; before {@link #commit()}, deletes its temporary files and leaves the target as it was. */
    @Override
    public void close() {
        if (!closed) {
            if (!committed) {
                abort();
            }
            closeQuietly();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void writeVector(float[] unit) throws IOException {
        // a row is at most 65536 * 4 bytes, a quarter of the buffer
        if (vectorBuffer.remaining() < dimension * type.bytesPerComponent()) {
            flushVectors();
        }
        ByteBuffer b = vectorBuffer;
        int start = b.position();
        if (type == VectorType.FP32) {
            for (float x : unit) {
                b.putFloat(x);
            }
        } else if (type == VectorType.INT8) {
            // a unit vector's largest component becomes ±127, so the row is never zero
            float scale = Int8Rows.quantize(unit, quantized, 0);
            b.put(quantized);
            growScales();
            rowScales[count] = scale;
        } else {
            boolean zero = true;
            for (float x : unit) {
                short h = Half.fromFloat(x);
                zero &= (h & 0x7fff) == 0;
                b.putShort(h);
            }
            if (zero) {
                b.position(start);
                throw new InvalidInputException("embedding of memory entry " + count + " rounds to the zero vector"
                        + " in fp16; store the bank as fp32");
            }
        }
    }

    private void putRaw(byte[] row) throws IOException {
        if (vectorBuffer.remaining() < row.length) {
            flushVectors();
        }
        if (type == VectorType.INT8) {
            // the raw int8 row is its components followed by its little-endian scale
            vectorBuffer.put(row, 0, dimension);
            growScales();
            rowScales[count] = ByteBuffer.wrap(row, dimension, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        } else {
            vectorBuffer.put(row);
        }
    }

    private void growScales() {
        if (count >= rowScales.length) {
            rowScales = Arrays.copyOf(rowScales, (int) Math.min(Integer.MAX_VALUE - 8L, rowScales.length * 2L));
        }
    }

    private void update(ByteBuffer b) {
        vectorsCrc.update(b.array(), b.arrayOffset(), b.limit());
        vectorsDigest.update(b.array(), b.arrayOffset(), b.limit());
    }

    private void flushVectors() throws IOException {
        if (vectorBuffer.position() == 0) {
            return;
        }
        vectorBuffer.flip();
        update(vectorBuffer);
        int n = vectorBuffer.limit();
        writeFully(main, vectorBuffer, BankLayout.HEADER_SIZE + vectorsWritten);
        vectorsWritten += n;
        vectorBuffer.clear();
    }

    private void writeEntryText(byte[] caption, byte[] metadata) throws IOException {
        if (count + 1 >= captionOffsets.length) {
            int grown = (int) Math.min(Integer.MAX_VALUE - 8L, captionOffsets.length * 2L);
            captionOffsets = Arrays.copyOf(captionOffsets, grown);
            metadataOffsets = Arrays.copyOf(metadataOffsets, grown);
        }
        captionOffsets[count] = captionsWritten;
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, caption.length);
        captionStreamDigest.update(len.array());
        captionStreamDigest.update(caption);
        captionsCrc.update(caption);
        captionsWritten += appendText(captionsSide, captionBuffer, caption, captionsWritten);
        metadataOffsets[count] = metadataWritten;
        if (metadata != null && metadata.length > 0) {
            if (!hasMetadata) {
                metadataSide = opener.open(metadataTemp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        StandardOpenOption.READ);
                hasMetadata = true;
            }
            metadataCrc.update(metadata);
            metadataWritten += appendText(metadataSide, metadataBuffer, metadata, metadataWritten);
        }
        count++;
    }

    /** Buffers {@code bytes} for a side file whose logical length is {@code logical}; returns the bytes added. */
    private static int appendText(FileChannel side, ByteBuffer buffer, byte[] bytes, long logical)
            throws IOException {
        if (buffer.remaining() < bytes.length) {
            flushText(side, buffer, logical - buffer.position());
        }
        if (buffer.remaining() >= bytes.length) {
            buffer.put(bytes);
        } else {
            writeFully(side, ByteBuffer.wrap(bytes), logical);
        }
        return bytes.length;
    }

    private static void flushText(FileChannel side, ByteBuffer buffer, long at) throws IOException {
        if (buffer.position() == 0) {
            return;
        }
        buffer.flip();
        writeFully(side, buffer, at);
        buffer.clear();
    }

    private int writeLongs(long[] values, int n, long pos) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putLong(values[i]);
            if (!b.hasRemaining() || i == n - 1) {
                b.flip();
                crc.update(b.array(), 0, b.limit());
                int written = b.limit();
                writeFully(main, b, pos);
                pos += written;
                b.clear();
            }
        }
        return (int) crc.getValue();
    }

    private void copy(FileChannel side, long length, long pos) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BUFFER);
        for (long done = 0; done < length; ) {
            b.clear();
            b.limit((int) Math.min(BUFFER, length - done));
            while (b.hasRemaining()) {
                if (side.read(b, done + b.position()) < 0) {
                    throw new IOException("temporary file ended early");
                }
            }
            b.flip();
            int n = b.limit();
            writeFully(main, b, pos + done);
            done += n;
        }
    }

    private static long section(Header h, Section s, long pos, long length, int crc) {
        h.offset[s.ordinal()] = pos;
        h.length[s.ordinal()] = length;
        h.crc[s.ordinal()] = crc;
        return pos + length;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /** Forces a directory's entry for a renamed file to disk (POSIX); a no-op where directories cannot be opened. */
    /**
     * Makes a rename in {@code dir} durable. A directory that cannot be opened (Windows, where a rename is durable
     * on its own) is skipped; a failing {@code fsync} of a directory that did open is an error, because the rename
     * it should make durable may then be lost in a power cut.
     */
    static void forceDirectory(Path dir) throws IOException {
        FileChannel d;
        try {
            d = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        try (d) {
            d.force(true);
        }
    }

    private static byte[] checkedText(String text, String what) {
        byte[] bytes = Utf8Strict.encode(text, what);
        if (bytes.length > BankLayout.MAX_TEXT_BYTES) {
            throw new InvalidInputException(what + " is " + bytes.length + " UTF-8 bytes, over the limit of "
                    + BankLayout.MAX_TEXT_BYTES + "; shorten it (CLIP reads only 77 tokens)");
        }
        return bytes;
    }

    private void checkOpen() {
        if (closed) {
            throw new ClosedException("this memory bank writer for " + output + " is "
                    + (committed ? "committed" : "closed") + "; build a new one");
        }
    }

    /** An I/O failure after which the writer is unusable: clean up and report. */
    private MemoryBankWriteException fail(String what, IOException e) {
        abort();
        closeQuietly();
        return failure(what, e);
    }

    private MemoryBankWriteException failure(String what, Throwable e) {
        return new MemoryBankWriteException("writing memory bank " + output + " failed while " + what + ": "
                + e.getMessage() + " (" + e.getClass().getSimpleName() + "); the existing file, if any, is "
                + "untouched; free disk space or choose another --out", e);
    }

    private void abort() {
        for (FileChannel ch : new FileChannel[] {main, captionsSide, metadataSide}) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // the file is deleted next
                }
            }
        }
        for (Path p : List.of(temp, captionsTemp, metadataTemp)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a stale temporary file never verifies as a bank
            }
        }
    }

    private void closeQuietly() {
        closed = true;
        for (FileChannel ch : new FileChannel[] {main, captionsSide, metadataSide}) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing left to save
                }
            }
        }
        if (committed) {
            for (Path p : List.of(captionsTemp, metadataTemp)) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // harmless leftovers
                }
            }
        }
    }

    private static String abbreviate(String caption) {
        return caption.length() <= 60 ? caption : caption.substring(0, 57) + "...";
    }

    /** Configures a {@link MemoryBankWriter}. Not thread-safe. */
    public static final class Builder {
        private Path output;
        private int dimension;
        private VectorType type = VectorType.FP32;
        private EncoderIdentity encoder;
        private boolean dedupe = true;
        private ChannelOpener opener = FileChannel::open;

        private Builder() {
        }

        /** Required. The bank file to create or replace. Its directory must exist. */
        public Builder output(Path output) {
            this.output = output;
            return this;
        }

        /** Required. The embedding dimension. */
        public Builder dimension(int dimension) {
            this.dimension = dimension;
            return this;
        }

        /** Required. The text encoder that produced the embeddings. */
        public Builder encoder(EncoderIdentity encoder) {
            this.encoder = encoder;
            return this;
        }

        /** Optional. How components are stored. Default: {@link VectorType#FP32}. */
        public Builder vectorType(VectorType type) {
            this.type = Arguments.requireNonNull(type, "type");
            return this;
        }

        /** Optional. Skip entries whose normalised caption was written already. Default: true. */
        public Builder dedupe(boolean dedupe) {
            this.dedupe = dedupe;
            return this;
        }

        Builder channelOpener(ChannelOpener opener) {
            this.opener = Arguments.requireNonNull(opener, "opener");
            return this;
        }

        /**
         * Creates the temporary file and returns the writer.
         *
         * @throws ConfigurationException   if a required setting is missing or out of range
         * @throws MemoryBankWriteException if the temporary file cannot be created
         */
        public MemoryBankWriter build() {
            if (output == null) {
                throw new ConfigurationException("output is required: the path of the bank file to write");
            }
            if (encoder == null) {
                throw new ConfigurationException("encoder is required: the identity of the text encoder that made "
                        + "the embeddings (bundle name and text model SHA-256)");
            }
            if (dimension <= 0 || dimension > BankLayout.MAX_DIMENSION) {
                throw new ConfigurationException("dimension must be 1 to " + BankLayout.MAX_DIMENSION + ", found "
                        + dimension);
            }
            Path parent = output.toAbsolutePath().normalize().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new ConfigurationException("the directory of " + output + " does not exist; create it first");
            }
            if (Files.isDirectory(output)) {
                throw new ConfigurationException(output + " is a directory; give a file path for the bank");
            }
            return new MemoryBankWriter(this);
        }
    }
}
