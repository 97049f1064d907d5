package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.encoding.TextEncoder;
import dev.decap.internal.MiniJson;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Builds a memory bank file from a caption corpus with a text encoder, resumably. The corpus is normalised and
 * deduplicated first (see {@link MemoryBankWriter#normalizeCaption}), then encoded in batches through
 * {@link TextEncoder#encodeAll}; every {@code chunkSize} captions the embeddings are committed as a checkpoint
 * file in {@code BANK.partial/} (written to a temporary file, forced, renamed, then recorded in the directory's
 * journal). When all chunks exist the bank is written atomically from them and the partial directory removed.
 *
 * <p>A build interrupted at any moment (an exception, {@code kill -9}, a power cut) is continued by a build with
 * {@link Builder#resume(boolean) resume}: chunks recorded in the journal whose files verify are not encoded
 * again. Batches never straddle chunks, so a resumed build encodes exactly the batches an uninterrupted one does
 * and the bank has the same {@code content_sha256}. A partial directory made for another corpus, encoder or
 * chunking is refused, never mixed in. Without resume an earlier partial build is discarded.
 *
 * <p>One build per output at a time. Not thread-safe; {@link #run()} may be called once.
 */
public final class MemoryBankBuild {
    static final String MANIFEST = "build.json";
    static final String JOURNAL = "journal.log";
    private static final byte[] CHUNK_MAGIC = {'D', 'M', 'B', 'C', 'H', 'N', 'K', '1'};
    private static final int CHUNK_HEADER = 8 + 4 + 4 + 4 + 32;

    private final TextEncoder encoder;
    private final EncoderIdentity identity;
    private final List<String> corpus;
    private final Path output;
    private final Path partial;
    private final VectorType type;
    private final int batchSize;
    private final int chunkSize;
    private final boolean resume;
    private final BuildProgress.Listener listener;
    private boolean ran;

    private MemoryBankBuild(Builder b) {
        this.encoder = b.encoder;
        this.identity = b.identity;
        this.corpus = b.captions;
        this.output = b.output.toAbsolutePath().normalize();
        this.partial = partialDirectory(output);
        this.type = b.type;
        this.batchSize = b.batchSize;
        this.chunkSize = b.chunkSize;
        this.resume = b.resume;
        this.listener = b.listener;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Where the checkpoints of a build of {@code bank} live: {@code BANK.partial/} beside it. */
    public static Path partialDirectory(Path bank) {
        Arguments.requireNonNull(bank, "bank");
        Path abs = bank.toAbsolutePath().normalize();
        return abs.resolveSibling(abs.getFileName() + ".partial");
    }

    /**
     * Runs the build.
     *
     * @return the committed bank's information
     * @throws InvalidInputException           if the corpus has no usable caption, or the encoder returns an
     *                                         unusable embedding (the message names the caption)
     * @throws IncompatibleMemoryBankException if resuming a partial build made for another corpus or encoder
     * @throws MemoryBankWriteException        if a checkpoint or the bank cannot be written
     */
    public BankInfo run() {
        if (ran) {
            throw new dev.decap.ConfigurationException("this build has run already; create another");
        }
        ran = true;
        long started = System.nanoTime();
        List<String> captions = unique(corpus);
        int total = captions.size();
        int dimension = encoder.dimension();
        String corpusSha = digest(captions);
        int chunks = (total + chunkSize - 1) / chunkSize;
        Map<Integer, Integer> journal = prepare(corpusSha, total, dimension);
        long resumed = 0;
        long done = 0;
        long encodedNow = 0;
        boolean[] finished = new boolean[chunks];
        for (int c = 0; c < chunks; c++) {
            int rows = Math.min(chunkSize, total - c * chunkSize);
            Integer crc = journal.get(c);
            if (crc != null && readChunk(c, rows, dimension, crc, captions) != null) {
                finished[c] = true;
                resumed += rows;
                done += rows;
            }
        }
        report(done, total, resumed, encodedNow, started, false);
        for (int c = 0; c < chunks; c++) {
            if (finished[c]) {
                continue;
            }
            int from = c * chunkSize;
            int rows = Math.min(chunkSize, total - from);
            float[] data = new float[rows * dimension];
            for (int b = 0; b < rows; b += batchSize) {
                List<String> batch = captions.subList(from + b, from + Math.min(rows, b + batchSize));
                List<float[]> embeddings = encoder.encodeAll(batch);
                if (embeddings == null || embeddings.size() != batch.size()) {
                    throw new InvalidInputException("the text encoder returned the wrong number of embeddings: "
                            + "expected " + batch.size() + ", found " + (embeddings == null ? 0 : embeddings.size()));
                }
                for (int i = 0; i < batch.size(); i++) {
                    String what = "embedding of caption " + (from + b + i) + " (\"" + batch.get(i) + "\")";
                    float[] e = Vectors.requireDimension(embeddings.get(i), dimension, what);
                    Vectors.normalized(e, what); // refuses a zero vector now, naming the caption
                    // kept as returned: the bank writer normalises once, exactly as an in-memory bank does
                    System.arraycopy(e, 0, data, (b + i) * dimension, dimension);
                }
                done += batch.size();
                encodedNow += batch.size();
                report(done, total, resumed, encodedNow, started, false);
            }
            writeChunk(c, rows, dimension, data, captions);
        }
        BankInfo info;
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(output).dimension(dimension).encoder(identity)
                .vectorType(type).dedupe(false).build()) {
            float[] row = new float[dimension];
            for (int c = 0; c < chunks; c++) {
                int rows = Math.min(chunkSize, total - c * chunkSize);
                float[] data = readChunk(c, rows, dimension, journalCrc(c), captions);
                if (data == null) {
                    throw new MemoryBankWriteException("checkpoint " + chunkFile(c) + " changed while the bank was "
                            + "being written; run the build again with --resume", null);
                }
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(data, r * dimension, row, 0, dimension);
                    w.add(captions.get(c * chunkSize + r), row);
                }
            }
            info = w.commit();
        }
        deletePartial();
        report(total, total, resumed, encodedNow, started, true);
        return info;
    }

    // ---------------------------------------------------------------------------------------------------------

    private final Map<Integer, Integer> crcs = new HashMap<>();

    private int journalCrc(int chunk) {
        return crcs.get(chunk);
    }

    private static List<String> unique(List<String> corpus) {
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < corpus.size(); i++) {
            String c = corpus.get(i);
            if (c == null) {
                throw new InvalidInputException("caption " + i + " of the corpus is null; pass caption text");
            }
            String n = MemoryBankWriter.normalizeCaption(c);
            if (n.isEmpty()) {
                throw new InvalidInputException("caption " + i + " of the corpus is empty (only whitespace); "
                        + "remove it");
            }
            seen.add(n);
        }
        if (seen.isEmpty()) {
            throw new InvalidInputException("the corpus has no captions; give at least one");
        }
        return new ArrayList<>(seen);
    }

    private static String digest(List<String> captions) {
        MessageDigest md = BankLayout.sha256();
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        for (String c : captions) {
            byte[] b = c.getBytes(StandardCharsets.UTF_8);
            md.update(len.putInt(0, b.length).array());
            md.update(b);
        }
        return BankLayout.hex(md.digest());
    }

    private String manifestText(String corpusSha, int total, int dimension) {
        return "{\"format\": \"decap-memory-bank-build\", \"format_version\": 1, \"corpus_sha256\": \"" + corpusSha
                + "\", \"count\": " + total + ", \"dimension\": " + dimension + ", \"chunk_size\": " + chunkSize
                + ", \"batch_size\": " + batchSize + ", \"encoder\": {\"name\": " + jsonString(identity.name())
                + ", \"text_model_sha256\": \"" + identity.textModelSha256() + "\"}}\n";
    }

    /** Creates or checks the partial directory; returns the journal's committed chunks and their CRCs. */
    private Map<Integer, Integer> prepare(String corpusSha, int total, int dimension) {
        String manifest = manifestText(corpusSha, total, dimension);
        Path manifestFile = partial.resolve(MANIFEST);
        try {
            if (Files.isDirectory(partial) && !resume) {
                deletePartial();
            }
            if (Files.isRegularFile(manifestFile)) {
                String found = Files.readString(manifestFile, StandardCharsets.UTF_8);
                if (!sameBuild(found, manifest)) {
                    throw new IncompatibleMemoryBankException("the partial build in " + partial + " was made for "
                            + "another corpus, text encoder or chunking (" + found.strip() + "); delete that "
                            + "directory or build without --resume");
                }
            } else {
                Files.createDirectories(partial);
                writeAtomically(manifestFile, manifest.getBytes(StandardCharsets.UTF_8));
                Files.deleteIfExists(partial.resolve(JOURNAL));
            }
            Path journalFile = partial.resolve(JOURNAL);
            if (Files.isRegularFile(journalFile)) {
                String text = Files.readString(journalFile, StandardCharsets.ISO_8859_1);
                int end = text.lastIndexOf('\n');
                // a line without its newline was cut by a crash: ignored, its chunk is encoded again
                for (String line : end < 0 ? new String[0] : text.substring(0, end).split("\n")) {
                    String[] f = line.trim().split(" ");
                    if (f.length == 3 && f[0].equals("chunk")) {
                        try {
                            crcs.put(Integer.parseInt(f[1]), (int) Long.parseLong(f[2], 16));
                        } catch (NumberFormatException ignored) {
                            // a damaged line: that chunk is encoded again
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new MemoryBankWriteException("cannot prepare the checkpoint directory " + partial + ": "
                    + e.getMessage() + "; check that its directory is writable", e);
        }
        return new HashMap<>(crcs);
    }

    private static boolean sameBuild(String found, String expected) {
        try {
            return MiniJson.parse(found).equals(MiniJson.parse(expected));
        } catch (MiniJson.SyntaxException e) {
            return false;
        }
    }

    private Path chunkFile(int chunk) {
        return partial.resolve(String.format("chunk-%08d.bin", chunk));
    }

    private byte[] chunkCaptionsSha(int chunk, int rows, List<String> captions) {
        MessageDigest md = BankLayout.sha256();
        ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            byte[] b = captions.get(chunk * chunkSize + r).getBytes(StandardCharsets.UTF_8);
            md.update(len.putInt(0, b.length).array());
            md.update(b);
        }
        return md.digest();
    }

    private void writeChunk(int chunk, int rows, int dimension, float[] data, List<String> captions) {
        ByteBuffer b = ByteBuffer.allocate(CHUNK_HEADER + rows * dimension * 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(CHUNK_MAGIC).putInt(chunk).putInt(rows).putInt(dimension).put(chunkCaptionsSha(chunk, rows, captions));
        for (int i = 0; i < rows * dimension; i++) {
            b.putFloat(data[i]);
        }
        int crc = BankLayout.crc(b.array(), 0, b.position());
        b.putInt(crc);
        try {
            writeAtomically(chunkFile(chunk), b.array());
            String line = "chunk " + chunk + " " + Integer.toHexString(crc) + "\n";
            try (FileChannel j = FileChannel.open(partial.resolve(JOURNAL), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer lb = ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
                while (lb.hasRemaining()) {
                    j.write(lb);
                }
                j.force(true);
            }
            crcs.put(chunk, crc);
        } catch (IOException e) {
            throw new MemoryBankWriteException("writing checkpoint " + chunkFile(chunk) + " failed: "
                    + e.getMessage() + "; free disk space and run the build again with --resume", e);
        }
    }

    /** The chunk's embeddings, or null if its file is missing, damaged, or not this chunk of this corpus. */
    private float[] readChunk(int chunk, int rows, int dimension, int expectedCrc, List<String> captions) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(chunkFile(chunk));
        } catch (IOException e) {
            return null;
        }
        int length = CHUNK_HEADER + rows * dimension * 4 + 4;
        if (bytes.length != length) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int crc = BankLayout.crc(bytes, 0, length - 4);
        byte[] magic = new byte[8];
        b.get(magic);
        if (crc != b.getInt(length - 4) || crc != expectedCrc || !java.util.Arrays.equals(magic, CHUNK_MAGIC)
                || b.getInt() != chunk || b.getInt() != rows || b.getInt() != dimension) {
            return null;
        }
        byte[] sha = new byte[32];
        b.get(sha);
        if (!java.util.Arrays.equals(sha, chunkCaptionsSha(chunk, rows, captions))) {
            return null;
        }
        float[] out = new float[rows * dimension];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename atomically", e);
        }
        MemoryBankWriter.forceDirectory(file.getParent());
    }

    private void deletePartial() {
        if (!Files.isDirectory(partial)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(partial)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(partial);
        } catch (IOException e) {
            throw new MemoryBankWriteException("cannot remove the checkpoint directory " + partial + ": "
                    + e.getMessage() + "; delete it by hand", e);
        }
    }

    private void report(long done, long total, long resumed, long encodedNow, long started, boolean finished) {
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        double seconds = elapsed.toNanos() / 1e9;
        double rate = encodedNow > 0 && seconds > 0 ? encodedNow / seconds : 0;
        Duration remaining = finished ? Duration.ZERO
                : rate > 0 ? Duration.ofMillis((long) ((total - done) / rate * 1000)) : null;
        listener.progress(new BuildProgress(done, total, resumed, elapsed, rate, remaining, finished));
    }

    private static String jsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** Configures a {@link MemoryBankBuild}. Not thread-safe. */
    public static final class Builder {
        private TextEncoder encoder;
        private EncoderIdentity identity;
        private List<String> captions;
        private Path output;
        private VectorType type = VectorType.FP32;
        private int batchSize = TextEncoder.CORPUS_BATCH_SIZE;
        private int chunkSize = 4096;
        private boolean resume;
        private BuildProgress.Listener listener = BuildProgress.Listener.NONE;

        private Builder() {
        }

        /** Required. The text encoder (not closed by the build). */
        public Builder encoder(TextEncoder encoder) {
            this.encoder = encoder;
            return this;
        }

        /** Required. The identity of that encoder, stored in the bank (see {@link EncoderIdentity}). */
        public Builder encoderIdentity(EncoderIdentity identity) {
            this.identity = identity;
            return this;
        }

        /** Required. The corpus captions, in order (see {@link Corpus#read}); copied. */
        public Builder captions(List<String> captions) {
            this.captions = captions == null ? null : new ArrayList<>(captions);
            return this;
        }

        /** Required. The bank file to write; its checkpoints go to {@link #partialDirectory}. */
        public Builder output(Path output) {
            this.output = output;
            return this;
        }

        /** Optional. Default: {@link VectorType#FP32}. */
        public Builder vectorType(VectorType type) {
            this.type = Arguments.requireNonNull(type, "type");
            return this;
        }

        /**
         * Optional. Captions per {@link TextEncoder#encodeAll} call. Default: {@link TextEncoder#CORPUS_BATCH_SIZE}
         * (256), which lets an encoder that sorts a call's captions by token length run them in length buckets.
         * Recorded in the partial build: a resumed build must use the batch size it was started with.
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Optional. Captions per checkpoint, a multiple of the batch size. Default: 4096. */
        public Builder chunkSize(int chunkSize) {
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Optional. Continue an interrupted build from its checkpoints (a build with none simply starts one).
         * Default: false, which discards earlier checkpoints.
         */
        public Builder resume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** Optional. Told of progress after every batch. Default: none. */
        public Builder progress(BuildProgress.Listener listener) {
            this.listener = listener == null ? BuildProgress.Listener.NONE : listener;
            return this;
        }

        /**
         * @throws ConfigurationException if a required setting is missing or sizes are out of range
         */
        public MemoryBankBuild build() {
            if (encoder == null || identity == null || captions == null || output == null) {
                throw new ConfigurationException("encoder, encoderIdentity, captions and output are required");
            }
            if (batchSize <= 0 || chunkSize <= 0 || chunkSize % batchSize != 0) {
                throw new ConfigurationException("chunkSize must be a positive multiple of batchSize: found "
                        + "chunkSize " + chunkSize + ", batchSize " + batchSize);
            }
            Path parent = output.toAbsolutePath().normalize().getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new ConfigurationException("the directory of " + output + " does not exist; create it first");
            }
            return new MemoryBankBuild(this);
        }
    }
}
