package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.internal.MiniJson;
import dev.decap.internal.kernels.RowBlock;
import dev.decap.internal.kernels.RowSource;
import dev.decap.internal.kernels.TopK;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One memory bank made of several shards, in order: entry {@code i} of shard {@code s} is entry
 * {@code start(s) + i} of the whole. {@link #scan} streams the shards one after the other, so projection
 * decoding over it equals projection over the unsharded bank up to float rounding; {@link #search} merges the
 * shards' own top-k results (exact: the global top k are among the union of every shard's top k).
 *
 * <p>A sharded bank on disk is a small JSON manifest listing bank files with their entry counts and
 * {@code content_sha256} (see {@code docs/memory-bank-format.md}); {@link #open} checks every shard against it.
 * A <em>bank directory</em> holds its manifest as {@value #DIRECTORY_MANIFEST} beside the shards (as
 * {@code decap-spark memory build} writes it); {@link #open} takes the directory too.
 * For memories larger than one machine, give each machine its shards and merge
 * {@link dev.decap.projection.PartialProjection}s instead.
 *
 * <p>Immutable and safe for concurrent readers when its shards are. Closing closes the shards it opened itself
 * ({@link #open}); a bank made with {@link #of} leaves its shards to the caller.
 */
public final class ShardedMemoryBank implements MemoryBank, AutoCloseable, RowSource {
    static final String FORMAT = "decap-memory-bank-shards";
    /** The name of the shard manifest inside a bank directory. */
    public static final String DIRECTORY_MANIFEST = "manifest.json";

    private final List<MemoryBank> shards;
    private final int[] starts;
    private final int size;
    private final int dimension;
    private final boolean owned;

    private ShardedMemoryBank(List<? extends MemoryBank> shards, boolean owned) {
        if (shards.isEmpty()) {
            throw new ConfigurationException("a sharded memory bank needs at least one shard");
        }
        this.shards = List.copyOf(shards);
        this.owned = owned;
        this.dimension = shards.get(0).dimension();
        this.starts = new int[shards.size() + 1];
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            MemoryBank b = shards.get(s);
            if (b.dimension() != dimension) {
                throw new IncompatibleMemoryBankException("shard " + s + " has the wrong dimension: expected "
                        + dimension + ", found " + b.dimension());
            }
            starts[s] = (int) total;
            total += b.size();
            if (total > Integer.MAX_VALUE - 8) {
                throw new ConfigurationException("the shards hold " + total + " entries, more than one bank can "
                        + "index; project onto groups of shards and merge PartialProjections");
            }
        }
        starts[shards.size()] = (int) total;
        this.size = (int) total;
    }

    /** A bank over {@code shards} (not closed by this bank). */
    public static ShardedMemoryBank of(List<? extends MemoryBank> shards) {
        Arguments.requireNonNull(shards, "shards");
        return new ShardedMemoryBank(shards, false);
    }

    /**
     * Opens the shards a manifest lists (paths relative to the manifest's directory), checking that each has the
     * listed entry count, content hash, dimension and encoder.
     *
     * @param manifest the manifest file, or a bank directory holding one named {@value #DIRECTORY_MANIFEST}
     * @param verify also {@linkplain MemoryBankFile#verify() verify} every shard in full
     * @throws CorruptMemoryBankException naming the manifest (section {@code manifest}) or the failing shard
     */
    public static ShardedMemoryBank open(Path manifest, boolean verify) {
        Arguments.requireNonNull(manifest, "manifest");
        Path m = manifest.toAbsolutePath().normalize();
        if (Files.isDirectory(m)) {
            m = m.resolve(DIRECTORY_MANIFEST);
        }
        Map<String, Object> json;
        try {
            json = MiniJson.parseObject(Files.readString(m, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new InvalidInputException("shard manifest " + m + " does not exist");
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new CorruptMemoryBankException(m, "manifest", "not valid UTF-8", e);
        } catch (IOException e) {
            throw new InvalidInputException("shard manifest " + m + " cannot be read: " + e.getMessage(), e);
        } catch (MiniJson.SyntaxException e) {
            throw new CorruptMemoryBankException(m, "manifest", "not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(json.get("format")) || !Long.valueOf(1).equals(json.get("format_version"))) {
            throw new CorruptMemoryBankException(m, "manifest", "expected format \"" + FORMAT + "\" version 1, "
                    + "found " + json.get("format") + " version " + json.get("format_version"));
        }
        EncoderIdentity encoder = encoder(m, json.get("encoder"));
        Object dim = json.get("dimension");
        if (!(json.get("shards") instanceof List<?> list) || list.isEmpty() || !(dim instanceof Long)) {
            throw new CorruptMemoryBankException(m, "manifest", "needs a \"dimension\" and a non-empty "
                    + "\"shards\" array");
        }
        List<MemoryBankFile> opened = new ArrayList<>();
        try {
            for (int s = 0; s < list.size(); s++) {
                String where = "shards[" + s + "]";
                if (!(list.get(s) instanceof Map<?, ?> entry) || !(entry.get("path") instanceof String path)
                        || !(entry.get("count") instanceof Long count)
                        || !(entry.get("content_sha256") instanceof String sha)) {
                    throw new CorruptMemoryBankException(m, "manifest", where + " needs \"path\", \"count\" and "
                            + "\"content_sha256\"");
                }
                Path shardFile;
                try {
                    shardFile = m.resolveSibling(path);
                } catch (java.nio.file.InvalidPathException e) {
                    throw new CorruptMemoryBankException(m, "manifest", where + " path " + json(path)
                            + " is not a valid file name (" + e.getReason() + ")", e);
                }
                MemoryBankFile bank = verify ? MemoryBankFile.openVerified(shardFile) : MemoryBankFile.open(shardFile);
                opened.add(bank);
                if (bank.size() != count || !bank.contentSha256().equals(sha)) {
                    throw new CorruptMemoryBankException(m, "manifest", where + " (" + path + ") does not match "
                            + "the manifest: expected " + count + " entries with content_sha256 " + sha
                            + ", found " + bank.size() + " with " + bank.contentSha256());
                }
                bank.requireEncoder(encoder, (int) (long) (Long) dim);
            }
            return new ShardedMemoryBank(opened, true);
        } catch (RuntimeException e) {
            opened.forEach(MemoryBankFile::close);
            throw e;
        }
    }

    /**
     * The shard files an existing manifest lists (absolute), or none when there is no readable manifest: what a new
     * split must not overwrite before its own manifest replaces this one.
     */
    static Set<Path> listedFiles(Path manifest) {
        Set<Path> files = new HashSet<>();
        if (!Files.isRegularFile(manifest)) {
            return files;
        }
        try {
            if (MiniJson.parseObject(Files.readString(manifest, StandardCharsets.UTF_8)).get("shards")
                    instanceof List<?> list) {
                for (Object entry : list) {
                    if (entry instanceof Map<?, ?> e && e.get("path") instanceof String path) {
                        try {
                            files.add(manifest.resolveSibling(path).toAbsolutePath().normalize());
                        } catch (java.nio.file.InvalidPathException ignored) {
                            // not a file this library could have written
                        }
                    }
                }
            }
        } catch (IOException | MiniJson.SyntaxException ignored) {
            // an unreadable manifest protects nothing
        }
        return files;
    }

    private static EncoderIdentity encoder(Path m, Object o) {
        if (o instanceof Map<?, ?> e && e.get("name") instanceof String name
                && e.get("text_model_sha256") instanceof String sha) {
            try {
                return new EncoderIdentity(name, sha);
            } catch (InvalidInputException bad) {
                throw new CorruptMemoryBankException(m, "manifest", "bad encoder: " + bad.getMessage(), bad);
            }
        }
        throw new CorruptMemoryBankException(m, "manifest", "needs an \"encoder\" with \"name\" and "
                + "\"text_model_sha256\"");
    }

    /**
     * Writes a manifest listing {@code shards} (bank files, in order) atomically; paths are stored relative to
     * the manifest's directory.
     *
     * @throws IncompatibleMemoryBankException if the shards differ in encoder or dimension
     */
    public static void writeManifest(Path manifest, List<Path> shards) {
        Arguments.requireNonNull(manifest, "manifest");
        Arguments.requireNonNull(shards, "shards");
        Path m = manifest.toAbsolutePath().normalize();
        StringBuilder entries = new StringBuilder();
        EncoderIdentity encoder = null;
        int dimension = 0;
        long count = 0;
        for (int s = 0; s < shards.size(); s++) {
            BankInfo info = MemoryBankFile.info(shards.get(s));
            if (encoder == null) {
                encoder = info.encoder();
                dimension = info.dimension();
            } else if (!encoder.sameModel(info.encoder()) || dimension != info.dimension()) {
                throw new IncompatibleMemoryBankException("shard " + shards.get(s) + " comes from "
                        + info.encoder().describe() + " with dimension " + info.dimension() + "; expected "
                        + encoder.describe() + " with dimension " + dimension);
            }
            count += info.count();
            String rel = m.getParent().relativize(info.file()).toString().replace('\\', '/');
            entries.append(s == 0 ? "" : ",\n").append("    {\"path\": ").append(json(rel)).append(", \"count\": ")
                    .append(info.count()).append(", \"content_sha256\": \"").append(info.contentSha256())
                    .append("\"}");
        }
        if (encoder == null) {
            throw new InvalidInputException("no shards to list; pass at least one bank file");
        }
        String text = "{\n  \"format\": \"" + FORMAT + "\",\n  \"format_version\": 1,\n  \"dimension\": " + dimension
                + ",\n  \"count\": " + count + ",\n  \"encoder\": {\"name\": " + json(encoder.name())
                + ", \"text_model_sha256\": \"" + encoder.textModelSha256() + "\"},\n  \"shards\": [\n" + entries
                + "\n  ]\n}\n";
        Path tmp = m.resolveSibling("." + m.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, m, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            MemoryBankWriter.forceDirectory(m.getParent());
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing more to do
            }
            throw new MemoryBankWriteException("writing shard manifest " + m + " failed: " + e.getMessage(), e);
        }
    }

    private static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
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

    /**
     * Refuses this bank unless every shard that is a bank file was built by the same text model as
     * {@code expected} and has its dimension (see {@link MemoryBankFile#requireEncoder(EncoderIdentity, int)}).
     *
     * @return this bank
     * @throws IncompatibleMemoryBankException naming the shard and both encoders
     */
    public ShardedMemoryBank requireEncoder(EncoderIdentity expected, int expectedDimension) {
        for (MemoryBank shard : shards) {
            if (shard instanceof MemoryBankFile file) {
                file.requireEncoder(expected, expectedDimension);
            } else if (shard.dimension() != expectedDimension) {
                throw new IncompatibleMemoryBankException("shard " + shard + " has embeddings of the wrong "
                        + "dimension: expected " + expectedDimension + ", found " + shard.dimension());
            }
        }
        return this;
    }

    /** The shards, in order. */
    public List<MemoryBank> shards() {
        return shards;
    }

    /** The global index of shard {@code s}'s first entry. */
    public int start(int shard) {
        return starts[shard];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    private int shardOf(int index) {
        if (index < 0 || index >= size) {
            throw new InvalidInputException("memory index " + index + " is out of range: the bank has " + size
                    + " entries (0 to " + (size - 1) + ")");
        }
        int s = java.util.Arrays.binarySearch(starts, index);
        if (s < 0) {
            return -s - 2;
        }
        while (starts[s + 1] == index) {
            s++; // skip empty shards (a bank has at least one entry, but of() takes any MemoryBank)
        }
        return s;
    }

    @Override
    public String caption(int index) {
        int s = shardOf(index);
        return shards.get(s).caption(index - starts[s]);
    }

    @Override
    public float[] embedding(int index) {
        int s = shardOf(index);
        return shards.get(s).embedding(index - starts[s]);
    }

    @Override
    public void scan(int blockRows, BlockConsumer consumer) {
        scan(0, size, blockRows, consumer);
    }

    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        MemoryBank.checkScan(this, fromIndex, toIndex, blockRows);
        for (int s = 0; s < shards.size() && fromIndex < toIndex; s++) {
            int a = Math.max(fromIndex, starts[s]);
            int b = Math.min(toIndex, starts[s + 1]);
            if (a >= b) {
                continue;
            }
            int offset = starts[s];
            shards.get(s).scan(a - offset, b - offset, blockRows,
                    (first, rows, data, off) -> consumer.accept(first + offset, rows, data, off));
        }
    }

    /**
     * Decodes rows for projection decoding from the shard holding {@code first} (not API: see {@link RowSource}):
     * straight from a shard that decodes its own rows (a bank file), else through the shard's
     * {@code embedding(i)}. Blocks never straddle two shards.
     */
    @Override
    public int decode(int first, int to, RowBlock block) {
        if (first < 0 || to > size || first >= to) {
            throw new InvalidInputException("rows [" + first + ", " + to + ") are outside the bank's entries [0, "
                    + size + ")");
        }
        int s = shardOf(first);
        int offset = starts[s];
        int end = Math.min(to, starts[s + 1]) - offset;
        MemoryBank shard = shards.get(s);
        if (shard instanceof RowSource source) {
            int rows = source.decode(first - offset, end, block);
            block.renumber(first);
            return rows;
        }
        int rows = Math.min(block.capacity(), end - (first - offset));
        float[] data = new float[rows * dimension];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(shard.embedding(first - offset + r), 0, data, r * dimension, dimension);
        }
        block.readFloats(first, rows, java.nio.FloatBuffer.wrap(data), 0);
        return rows;
    }

    /** Exact top-k: each shard's own top k, merged in one bounded heap (ties by increasing global index). */
    @Override
    public List<MemoryHit> search(float[] query, int k) {
        Vectors.normalized(Vectors.requireDimension(query, dimension, "query"), "query");
        if (k <= 0) {
            throw new InvalidInputException("k must be positive, found " + k + "; ask for at least one hit");
        }
        TopK top = new TopK(Math.min(k, size));
        java.util.Map<Integer, MemoryHit> hits = new java.util.HashMap<>();
        for (int s = 0; s < shards.size(); s++) {
            for (MemoryHit h : shards.get(s).search(query, k)) {
                int global = h.index() + starts[s];
                hits.put(global, new MemoryHit(global, h.caption(), h.similarity()));
                top.offer(h.similarity(), global);
            }
        }
        List<MemoryHit> out = new ArrayList<>(top.size());
        for (int i : top.sortedIndices()) {
            out.add(hits.get(i));
        }
        return out;
    }

    /** Closes the shards this bank opened ({@link #open}); idempotent. */
    @Override
    public void close() {
        if (owned) {
            for (MemoryBank b : shards) {
                if (b instanceof AutoCloseable c) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // read-only shards: nothing to lose
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ShardedMemoryBank[shards=" + shards.size() + ", size=" + size + ", dimension=" + dimension + "]";
    }
}
