package dev.decap.lucene;

import dev.decap.spi.Arguments;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import dev.decap.Vectors;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.memory.ProgressListener;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexNotFoundException;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.LogByteSizeMergePolicy;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.AlreadyClosedException;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IndexInput;
import org.apache.lucene.store.MMapDirectory;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;

/**
 * A memory bank on an embedded Apache Lucene index: each entry is one Lucene document holding its unit embedding
 * in an HNSW-indexed {@link KnnFloatVectorField}, its caption and its entry index (as doc values, so that entry
 * order never depends on how Lucene arranged its segments). For memories of millions of captions: the index lives
 * on disk, memory-mapped ({@link MMapDirectory}, off the Java heap), or in memory for tests, and
 * {@link #search} walks the HNSW graph instead of scanning every entry.
 *
 * <p><b>Precision.</b> {@link #search} is <em>approximate</em>: HNSW search explores {@code max(k, efSearch)}
 * candidates and may miss some of the true k most similar entries (recall rises with {@code efSearch}; it is exact
 * once {@code max(k, efSearch) >= size()}). The similarities it reports are true cosine similarities and the hits
 * come in decreasing order, ties by increasing index. {@link #prefersSearchForTopK()} is {@code true}, so top-k
 * projection decoding mixes these hits instead of scanning. {@link #scan}, {@link #embedding} and {@link #caption}
 * are exact, so dense projection decoding over this bank equals that over an in-memory bank of the same entries.
 *
 * <pre>{@code
 * try (LuceneMemoryBank bank = LuceneMemoryBank.builder()
 *         .directory(Path.of("coco-bank"))          // on disk; omit for an in-memory index
 *         .build(captions, embeddings)) {
 *     Projection p = ProjectionDecoding.builder().topK(256).build().project(imageEmbedding, bank);
 * }
 * try (LuceneMemoryBank again = LuceneMemoryBank.open(Path.of("coco-bank"))) { ... }
 * }</pre>
 *
 * <p><b>On disk.</b> A built directory holds one Lucene commit (written by Lucene's atomic, fsynced commit protocol;
 * every file carries a checksummed footer) whose commit data records the format name and version, dimension,
 * count, similarity and HNSW parameters; {@link #open} checks them and refuses anything else. {@link #verify()}
 * re-reads every file and checks its checksum.
 *
 * <p><b>Thread safety and ownership.</b> Safe for any number of concurrent readers (every call uses its own Lucene
 * iterators over one shared, immutable reader). The bank owns its Lucene reader and directory; {@link #close()}
 * waits for the calls in flight, releases both, is idempotent, and afterwards every method throws
 * {@link ClosedException}.
 */
public final class LuceneMemoryBank implements MemoryBank, AutoCloseable {

    /** Format name recorded in every commit; {@link #open} refuses other indexes. */
    public static final String FORMAT = "decap-lucene-memory-bank";
    /** Version of the document layout and commit data below. */
    public static final int FORMAT_VERSION = 1;
    /** Default HNSW maximum connections per node (Lucene's default, 16). */
    public static final int DEFAULT_MAX_CONN = 16;
    /** Default HNSW beam width at build time (Lucene's default, 100). */
    public static final int DEFAULT_BEAM_WIDTH = 100;
    /**
     * Default number of candidates explored per search (at least k): 400. Measured on 1M clustered entries, 100 and
     * 200 candidates let an occasional query end in the wrong part of the graph, 400 did not, and cost 0.1–0.5 ms
     * more (docs/performance-ann.md).
     */
    public static final int DEFAULT_EF_SEARCH = 400;
    /** Default indexing buffer: entries are flushed into a new segment whenever it fills. */
    public static final int DEFAULT_INDEXING_BUFFER_MB = 256;

    static final String VECTOR_FIELD = "embedding";
    static final String CAPTION_FIELD = "caption";
    static final String INDEX_FIELD = "index";

    private static final String KEY_FORMAT = "decap.format";
    private static final String KEY_VERSION = "decap.format_version";
    private static final String KEY_DIMENSION = "decap.dimension";
    private static final String KEY_COUNT = "decap.count";
    private static final String KEY_SIMILARITY = "decap.similarity";
    private static final String KEY_MAX_CONN = "decap.hnsw.max_conn";
    private static final String KEY_BEAM_WIDTH = "decap.hnsw.beam_width";

    /** How vectors are compared inside the HNSW graph. Both give the cosine of unit vectors. */
    public enum Similarity {
        /** Dot product of the stored unit vectors; the cheaper of the two. */
        DOT_PRODUCT(VectorSimilarityFunction.DOT_PRODUCT),
        /** Cosine, recomputing both norms at every comparison. */
        COSINE(VectorSimilarityFunction.COSINE);

        private final VectorSimilarityFunction lucene;

        Similarity(VectorSimilarityFunction lucene) {
            this.lucene = lucene;
        }
    }

    private final Directory directory;
    private final Path path;
    private final DirectoryReader reader;
    private final List<LeafReaderContext> leaves;
    private final int size;
    private final int dimension;
    private final Similarity similarity;
    private final int maxConn;
    private final int beamWidth;
    private final int efSearch;
    /** Global doc id of each entry index and entry index of each doc id; null when both are the identity. */
    private final int[] docOfIndex;
    private final int[] indexOfDoc;
    /**
     * Per segment, random access to its stored vectors (ordinal = doc id, every document has one). Never read
     * directly: each call reads through its own {@code copy()}, which is what makes concurrent readers safe.
     */
    private final RandomAccessVectorValues.Floats[] leafVectors;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Readers share it; {@link #close()} takes it exclusively, so no read ever runs on closed files. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    private LuceneMemoryBank(Directory directory, Path path, DirectoryReader reader, int efSearch) {
        this.directory = directory;
        this.path = path;
        this.reader = reader;
        this.leaves = reader.leaves();
        this.efSearch = efSearch;
        Map<String, String> data = commitData(reader);
        String where = describe(path);
        if (!FORMAT.equals(data.get(KEY_FORMAT))) {
            throw new ModelException(where + " is a Lucene index but not a decap memory bank (commit data "
                    + KEY_FORMAT + " is " + data.get(KEY_FORMAT) + ", expected " + FORMAT + "); build one with "
                    + "LuceneMemoryBank.builder()");
        }
        int version = intValue(data, KEY_VERSION, where);
        if (version != FORMAT_VERSION) {
            throw new ModelException(where + " has memory bank format version " + version + ", this library reads"
                    + " version " + FORMAT_VERSION + "; rebuild the bank with this version of decap-lucene");
        }
        this.dimension = intValue(data, KEY_DIMENSION, where);
        this.size = intValue(data, KEY_COUNT, where);
        this.maxConn = intValue(data, KEY_MAX_CONN, where);
        this.beamWidth = intValue(data, KEY_BEAM_WIDTH, where);
        try {
            this.similarity = Similarity.valueOf(data.get(KEY_SIMILARITY));
        } catch (RuntimeException e) {
            throw new ModelException(where + " records an unknown similarity " + data.get(KEY_SIMILARITY)
                    + "; it was not written by this library", e);
        }
        if (reader.numDocs() != size || reader.maxDoc() != size) {
            throw new ModelException(where + " holds the wrong number of entries: expected " + size + " (its commit "
                    + "data), found " + reader.numDocs() + " documents; rebuild the bank");
        }
        checkVectorField(where);
        this.leafVectors = leafVectors(where);
        int[][] maps = readIndexMaps(where);
        this.docOfIndex = maps == null ? null : maps[0];
        this.indexOfDoc = maps == null ? null : maps[1];
    }

    /** A builder with the documented defaults: in memory, dot product, maxConn 16, beamWidth 100, efSearch 400. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens a bank built earlier in {@code directory}, with the default {@code efSearch}.
     *
     * @throws ModelException if the directory holds no memory bank, another format or version, or damaged files
     */
    public static LuceneMemoryBank open(Path directory) {
        return opener(directory).open();
    }

    /** Options for opening a bank on disk: {@code LuceneMemoryBank.opener(dir).efSearch(200).open()}. */
    public static Opener opener(Path directory) {
        return new Opener(Arguments.requireNonNull(directory, "directory"));
    }

    @Override
    public int size() {
        ensureOpen();
        return size;
    }

    @Override
    public int dimension() {
        ensureOpen();
        return dimension;
    }

    @Override
    public String caption(int index) {
        Lock guard = enter();
        try {
            return captions(new int[] {checkIndex(index)})[0];
        } finally {
            guard.unlock();
        }
    }

    @Override
    public float[] embedding(int index) {
        Lock guard = enter();
        try {
            int doc = docOf(checkIndex(index));
            int leaf = ReaderUtil.subIndex(doc, leaves);
            return leafVectors[leaf].copy().vectorValue(doc - leaves.get(leaf).docBase).clone();
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("the embedding of entry " + index, e);
        } finally {
            guard.unlock();
        }
    }

    /** Streams the stored vectors straight from the (memory-mapped) index into one reused block. */
    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        Lock guard = enter();
        try {
            scanOpen(fromIndex, toIndex, blockRows, consumer);
        } finally {
            guard.unlock();
        }
    }

    private void scanOpen(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        MemoryBank.checkScan(this, fromIndex, toIndex, blockRows);
        int d = dimension;
        float[] block = new float[Math.min(blockRows, Math.max(toIndex - fromIndex, 1)) * d];
        RandomAccessVectorValues.Floats[] readers = new RandomAccessVectorValues.Floats[leaves.size()];
        try {
            if (docOfIndex == null) {
                scanContiguous(fromIndex, toIndex, blockRows, consumer, block);
                return;
            }
            for (int start = fromIndex; start < toIndex; start += blockRows) {
                int rows = Math.min(blockRows, toIndex - start);
                for (int r = 0; r < rows; r++) {
                    int doc = docOf(start + r);
                    int leaf = ReaderUtil.subIndex(doc, leaves);
                    if (readers[leaf] == null) {
                        readers[leaf] = leafVectors[leaf].copy();
                    }
                    System.arraycopy(readers[leaf].vectorValue(doc - leaves.get(leaf).docBase), 0, block, r * d, d);
                }
                consumer.accept(start, rows, block, 0);
            }
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("the embeddings of entries " + fromIndex + " to " + (toIndex - 1), e);
        }
    }

    /**
     * Entries in doc order: each segment stores its vectors back to back (little-endian floats, ordinal = doc), so
     * a block is one bulk read from the memory-mapped file per segment it spans.
     */
    private void scanContiguous(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer, float[] block)
            throws IOException {
        int d = dimension;
        IndexInput[] inputs = new IndexInput[leaves.size()];
        for (int start = fromIndex; start < toIndex; start += blockRows) {
            int rows = Math.min(blockRows, toIndex - start);
            for (int filled = 0; filled < rows; ) {
                int doc = start + filled;
                int leaf = ReaderUtil.subIndex(doc, leaves);
                LeafReaderContext context = leaves.get(leaf);
                int local = doc - context.docBase;
                int n = Math.min(rows - filled, context.reader().maxDoc() - local);
                if (inputs[leaf] == null) {
                    inputs[leaf] = leafVectors[leaf].getSlice().clone();
                }
                inputs[leaf].seek((long) local * d * Float.BYTES);
                inputs[leaf].readFloats(block, filled * d, n * d);
                filled += n;
            }
            consumer.accept(start, rows, block, 0);
        }
    }

    /**
     * Approximate top-{@code k} search through the HNSW graph with {@code max(k, efSearch())} candidates; see the
     * class comment for its precision.
     *
     * @throws InvalidInputException if the query is null, empty, not finite, zero, of the wrong dimension, or
     *                               {@code k <= 0}
     */
    @Override
    public List<MemoryHit> search(float[] query, int k) {
        return search(query, k, efSearch);
    }

    /**
     * Approximate top-{@code k} search exploring {@code max(k, numCandidates)} candidates: more candidates, higher
     * recall, slower search. {@code numCandidates >= size()} makes it exact.
     *
     * @return {@code min(k, size())} hits with their true cosine similarity, in decreasing order, ties by index
     * @throws InvalidInputException if the query is unusable (see {@link #search(float[], int)}), {@code k <= 0} or
     *                               {@code numCandidates <= 0}
     */
    public List<MemoryHit> search(float[] query, int k, int numCandidates) {
        Lock guard = enter();
        try {
            return searchOpen(query, k, numCandidates);
        } finally {
            guard.unlock();
        }
    }

    private List<MemoryHit> searchOpen(float[] query, int k, int numCandidates) {
        float[] q = Vectors.normalized(Vectors.requireDimension(query, dimension, "query"), "query");
        if (k <= 0) {
            throw new InvalidInputException("k must be positive, found " + k + "; ask for at least one hit");
        }
        if (numCandidates <= 0) {
            throw new InvalidInputException("numCandidates must be positive, found " + numCandidates);
        }
        int candidates = Math.min(Math.max(k, numCandidates), size);
        List<ScoreDoc> found = new ArrayList<>(candidates * leaves.size());
        try {
            for (LeafReaderContext leaf : leaves) {
                TopDocs top = leaf.reader().searchNearestVectors(VECTOR_FIELD, q, candidates,
                        leaf.reader().getLiveDocs(), Integer.MAX_VALUE);
                for (ScoreDoc sd : top.scoreDocs) {
                    found.add(new ScoreDoc(sd.doc + leaf.docBase, sd.score));
                }
            }
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("the HNSW graph", e);
        }
        List<MemoryHit> hits = new ArrayList<>(found.size());
        for (ScoreDoc sd : found) {
            int index = indexOf(sd.doc);
            // Lucene scores both similarities of unit vectors as (1 + cosine) / 2.
            hits.add(new MemoryHit(index, "", 2 * sd.score - 1));   // the caption is read below, for the top k only
        }
        hits.sort(Comparator.comparingDouble((MemoryHit h) -> -h.similarity()).thenComparingInt(MemoryHit::index));
        int n = Math.min(k, hits.size());
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) {
            indices[i] = hits.get(i).index();
        }
        String[] texts = captions(indices);
        List<MemoryHit> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new MemoryHit(indices[i], texts[i], hits.get(i).similarity()));
        }
        return out;
    }

    /** {@code true}: the HNSW search is far faster than a scan (and approximate); top-k projection uses it. */
    @Override
    public boolean prefersSearchForTopK() {
        return true;
    }

    /** The candidates a {@link #search(float[], int)} explores at least. */
    public int efSearch() {
        return efSearch;
    }

    /** How the HNSW graph compares vectors. */
    public Similarity similarity() {
        return similarity;
    }

    /** The HNSW graph's maximum connections per node, as built. */
    public int maxConn() {
        return maxConn;
    }

    /** The HNSW beam width the graph was built with. */
    public int beamWidth() {
        return beamWidth;
    }

    /** The directory on disk, or empty for an in-memory bank. */
    public Optional<Path> directory() {
        return Optional.ofNullable(path);
    }

    /** Total size of the index files in bytes (on disk, or on the heap for an in-memory bank). */
    public long sizeInBytes() {
        Lock guard = enter();
        try {
            long total = 0;
            for (String file : reader.getIndexCommit().getFileNames()) {
                total += directory.fileLength(file);
            }
            return total;
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("the index file sizes", e);
        } finally {
            guard.unlock();
        }
    }

    /**
     * Reads every index file and checks its checksum (Lucene's CRC32 footers); a full read of the bank.
     *
     * @throws ModelException naming the damaged file
     */
    public void verify() {
        Lock guard = enter();
        try {
            for (LeafReaderContext leaf : leaves) {
                leaf.reader().checkIntegrity();
            }
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("the index checksums", e);
        } finally {
            guard.unlock();
        }
    }

    /**
     * Closes the Lucene reader and directory, after the calls in flight on other threads have returned;
     * idempotent.
     *
     * @throws IllegalStateException if called from inside a call on this bank (a scan's consumer), which would
     *                               otherwise wait for itself
     */
    @Override
    public void close() {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException("close() was called from inside a call on this LuceneMemoryBank (a scan "
                    + "consumer?); close the bank after that call returns");
        }
        lock.writeLock().lock();
        try {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            try (Directory d = directory; DirectoryReader r = reader) {
                // try-with-resources closes the reader first, then the directory
            } catch (IOException e) {
                throw new UncheckedIOException("could not close the Lucene memory bank in " + describe(path), e);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "LuceneMemoryBank[size=" + size + ", dimension=" + dimension + ", similarity=" + similarity
                + ", efSearch=" + efSearch + ", " + describe(path) + (closed.get() ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Enters a call that reads the index: holds off {@link #close()} (which unmaps the files; reading an unmapped
     * file can crash the JVM) until the returned lock is released.
     */
    private Lock enter() {
        Lock read = lock.readLock();
        read.lock();
        if (closed.get()) {
            read.unlock();
            throw closedError();
        }
        return read;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw closedError();
        }
    }

    private ClosedException closedError() {
        return new ClosedException("this LuceneMemoryBank (" + describe(path) + ") was closed; open it again with "
                + "LuceneMemoryBank.open");
    }

    private RuntimeException readFailure(String what, Exception e) {
        if (e instanceof AlreadyClosedException || closed.get()) {
            return closedError();
        }
        return new ModelException("could not read " + what + " from the Lucene memory bank in " + describe(path)
                + ": " + e.getMessage() + "; the index may be damaged, rebuild it", e);
    }

    /**
     * The captions of entries {@code indices} (valid, in any order). Doc-values iterators only move forward and
     * cost a few microseconds to create, so the lookups are made in doc order, one iterator per segment.
     */
    private String[] captions(int[] indices) {
        long[] order = new long[indices.length];
        for (int i = 0; i < indices.length; i++) {
            order[i] = ((long) docOf(indices[i]) << 32) | i;
        }
        Arrays.sort(order);
        String[] out = new String[indices.length];
        try {
            BinaryDocValues values = null;
            int leaf = -1;
            for (long packed : order) {
                int doc = (int) (packed >>> 32);
                int position = (int) packed;
                int docLeaf = ReaderUtil.subIndex(doc, leaves);
                int local = doc - leaves.get(docLeaf).docBase;
                if (docLeaf != leaf || values.docID() > local) {
                    leaf = docLeaf;
                    values = leaves.get(leaf).reader().getBinaryDocValues(CAPTION_FIELD);
                }
                if (values == null || !values.advanceExact(local)) {
                    throw new ModelException(describe(path) + " has no caption for entry " + indices[position]
                            + "; rebuild the bank");
                }
                BytesRef bytes = values.binaryValue();
                out[position] = new String(bytes.bytes, bytes.offset, bytes.length, StandardCharsets.UTF_8);
            }
        } catch (IOException | AlreadyClosedException e) {
            throw readFailure("captions", e);
        }
        return out;
    }

    private RandomAccessVectorValues.Floats[] leafVectors(String where) {
        RandomAccessVectorValues.Floats[] out = new RandomAccessVectorValues.Floats[leaves.size()];
        try {
            for (int i = 0; i < out.length; i++) {
                LeafReader leaf = leaves.get(i).reader();
                FloatVectorValues values = leaf.getFloatVectorValues(VECTOR_FIELD);
                if (!(values instanceof RandomAccessVectorValues.Floats ra) || values.size() != leaf.maxDoc()
                        || ra.getSlice() == null
                        || ra.getSlice().length() < (long) leaf.maxDoc() * dimension * Float.BYTES) {
                    throw new ModelException(where + " stores its vectors in a form this library cannot read by "
                            + "entry (" + (values == null ? "none" : values.getClass().getName() + ", "
                            + values.size() + " of " + leaf.maxDoc() + " documents") + "); rebuild the bank");
                }
                out[i] = ra;
            }
        } catch (IOException e) {
            throw new ModelException("could not read the vectors of " + where + ": " + e.getMessage(), e);
        }
        return out;
    }

    private int checkIndex(int index) {
        ensureOpen();
        if (index < 0 || index >= size) {
            throw new InvalidInputException("memory index " + index + " is out of range: the bank has " + size
                    + " entries (0 to " + (size - 1) + ")");
        }
        return index;
    }

    private int docOf(int index) {
        return docOfIndex == null ? index : docOfIndex[index];
    }

    private int indexOf(int doc) {
        return indexOfDoc == null ? doc : indexOfDoc[doc];
    }

    private void checkVectorField(String where) {
        for (LeafReaderContext leaf : leaves) {
            FieldInfo info = leaf.reader().getFieldInfos().fieldInfo(VECTOR_FIELD);
            if (info == null || info.getVectorDimension() != dimension
                    || info.getVectorSimilarityFunction() != similarity.lucene) {
                throw new ModelException(where + " has no " + similarity + " vector field '" + VECTOR_FIELD
                        + "' of dimension " + dimension + " (found " + (info == null ? "none"
                        : info.getVectorSimilarityFunction() + " of dimension " + info.getVectorDimension())
                        + "); rebuild the bank");
            }
        }
    }

    /** Reads each document's entry index; null when doc id and entry index coincide (the normal case). */
    private int[][] readIndexMaps(String where) {
        int[] docOf = new int[size];
        int[] indexOf = new int[size];
        boolean[] seen = new boolean[size];
        boolean identity = true;
        try {
            for (LeafReaderContext leaf : leaves) {
                NumericDocValues values = leaf.reader().getNumericDocValues(INDEX_FIELD);
                int max = leaf.reader().maxDoc();
                for (int local = 0; local < max; local++) {
                    if (values == null || !values.advanceExact(local)) {
                        throw new ModelException(where + " has a document without an entry index; rebuild the bank");
                    }
                    long index = values.longValue();
                    int doc = leaf.docBase + local;
                    if (index < 0 || index >= size || seen[(int) index]) {
                        throw new ModelException(where + " has a bad or repeated entry index " + index + " (expected "
                                + "each of 0 to " + (size - 1) + " once); rebuild the bank");
                    }
                    seen[(int) index] = true;
                    docOf[(int) index] = doc;
                    indexOf[doc] = (int) index;
                    identity &= index == doc;
                }
            }
        } catch (IOException e) {
            throw new ModelException("could not read the entry indices of " + where + ": " + e.getMessage(), e);
        }
        return identity ? null : new int[][] {docOf, indexOf};
    }

    private static Map<String, String> commitData(DirectoryReader reader) {
        try {
            return reader.getIndexCommit().getUserData();
        } catch (IOException e) {
            throw new ModelException("could not read the commit data of a Lucene memory bank: " + e.getMessage(), e);
        }
    }

    private static int intValue(Map<String, String> data, String key, String where) {
        String value = data.get(key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ModelException(where + " has a bad commit data entry " + key + " = " + value
                    + "; it was not written by this library", e);
        }
    }

    private static String describe(Path path) {
        return path == null ? "in-memory index" : "directory " + path;
    }

    private static Directory openDirectory(Path path) throws IOException {
        return path == null ? new ByteBuffersDirectory() : new MMapDirectory(path);
    }

    /** Opens a bank on disk. Not thread-safe; each {@link #open()} opens an independent bank. */
    public static final class Opener {
        private final Path path;
        private int efSearch = DEFAULT_EF_SEARCH;

        private Opener(Path path) {
            this.path = path;
        }

        /** Optional. The candidates each search explores at least, positive. Default: 400. */
        public Opener efSearch(int efSearch) {
            this.efSearch = efSearch;
            return this;
        }

        /**
         * Opens the bank. Cheap: the vectors are memory-mapped, and only the entry indices (4 bytes each) are read.
         *
         * @throws ConfigurationException if {@code efSearch} is not positive
         * @throws ModelException         if the directory is missing, holds no memory bank, another format or
         *                                version, or damaged files
         */
        public LuceneMemoryBank open() {
            requirePositive("efSearch", efSearch);
            if (!Files.isDirectory(path)) {
                throw new ModelException("memory bank directory " + path + " does not exist; build a bank there "
                        + "with LuceneMemoryBank.builder().directory(...)");
            }
            Directory directory = null;
            DirectoryReader reader = null;
            try {
                directory = openDirectory(path);
                reader = DirectoryReader.open(directory);
                return new LuceneMemoryBank(directory, path, reader, efSearch);
            } catch (IndexNotFoundException e) {
                closeQuietly(reader, directory);
                throw new ModelException("directory " + path + " holds no Lucene memory bank (" + e.getMessage()
                        + "); build one with LuceneMemoryBank.builder().directory(...)", e);
            } catch (IOException e) {
                closeQuietly(reader, directory);
                throw new ModelException("could not open the Lucene memory bank in directory " + path + ": "
                        + e.getMessage() + "; the index may be damaged, rebuild it", e);
            } catch (RuntimeException e) {
                closeQuietly(reader, directory);
                throw e;
            }
        }
    }

    /**
     * Configures and builds a bank: every entry is checked (finite, non-zero, of one dimension, at most 1024 as
     * Lucene's HNSW allows), normalised, and written as one document; the index is then merged into one segment
     * (one HNSW graph) and committed. Not thread-safe; each build writes a new index.
     */
    public static final class Builder {
        private Path directory;
        private Similarity similarity = Similarity.DOT_PRODUCT;
        private int maxConn = DEFAULT_MAX_CONN;
        private int beamWidth = DEFAULT_BEAM_WIDTH;
        private int efSearch = DEFAULT_EF_SEARCH;
        private int indexingBufferMb = DEFAULT_INDEXING_BUFFER_MB;
        private int mergeThreads = 1;
        private ProgressListener progress = ProgressListener.NONE;

        private Builder() {
        }

        /**
         * Optional. Where the index is written: a directory that does not exist yet or is empty; the built bank
         * memory-maps it and {@link LuceneMemoryBank#open} reopens it later. Default: none, an in-memory index
         * (on the Java heap, gone when closed; for tests and small banks: Lucene's heap files are split into many
         * buffers, so each {@code embedding(i)} costs microseconds more than from a mapped file).
         */
        public Builder directory(Path directory) {
            this.directory = Arguments.requireNonNull(directory, "directory");
            return this;
        }

        /** Optional. How the graph compares vectors. Default: {@link Similarity#DOT_PRODUCT}. */
        public Builder similarity(Similarity similarity) {
            this.similarity = Arguments.requireNonNull(similarity, "similarity");
            return this;
        }

        /** Optional. HNSW maximum connections per node, 1 to 512; more: higher recall, bigger graph. Default: 16. */
        public Builder maxConn(int maxConn) {
            this.maxConn = maxConn;
            return this;
        }

        /** Optional. HNSW beam width while building, 1 to 3200; more: better graph, slower build. Default: 100. */
        public Builder beamWidth(int beamWidth) {
            this.beamWidth = beamWidth;
            return this;
        }

        /** Optional. The candidates each search of the built bank explores at least, positive. Default: 400. */
        public Builder efSearch(int efSearch) {
            this.efSearch = efSearch;
            return this;
        }

        /**
         * Optional. Lucene's indexing buffer in MiB, 1 to 2000: fewer, larger segments mean less merge work at the
         * end, at the cost of heap while building. Default: 256.
         */
        public Builder indexingBufferMb(int indexingBufferMb) {
            this.indexingBufferMb = indexingBufferMb;
            return this;
        }

        /** Optional. Threads that merge HNSW graphs at the end of the build, positive. Default: 1. */
        public Builder mergeThreads(int mergeThreads) {
            this.mergeThreads = mergeThreads;
            return this;
        }

        /** Optional. Told after every 1024 entries written how many are done. Default: none. */
        public Builder progress(ProgressListener progress) {
            this.progress = Arguments.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Builds a bank of {@code captions.get(i)} with the direction of {@code embeddings.get(i)}, in order.
         *
         * @throws InvalidInputException  if the lists are empty or differ in length, or an entry is refused (the
         *                                message names it)
         * @throws ConfigurationException if a setting is out of range or the directory is not empty
         * @throws ModelException         if the index cannot be written
         */
        public LuceneMemoryBank build(List<String> captions, List<float[]> embeddings) {
            Arguments.requireNonNull(captions, "captions");
            Arguments.requireNonNull(embeddings, "embeddings");
            if (captions.size() != embeddings.size()) {
                throw new InvalidInputException("captions and embeddings differ in number: expected "
                        + captions.size() + " embeddings (one per caption), found " + embeddings.size());
            }
            if (captions.isEmpty()) {
                throw new InvalidInputException("a memory bank needs at least one entry; pass captions with their "
                        + "embeddings");
            }
            int d = Vectors.requireFinite(embeddings.get(0), "embedding of memory entry 0").length;
            return write(captions.size(), d, captions::get, embeddings::get);
        }

        /**
         * Builds a bank holding the entries of {@code source}, in order (for example an
         * {@link dev.decap.memory.InMemoryMemoryBank} encoded from a corpus).
         *
         * @throws ConfigurationException if a setting is out of range or the directory is not empty
         * @throws ModelException         if the index cannot be written
         */
        public LuceneMemoryBank build(MemoryBank source) {
            Arguments.requireNonNull(source, "source");
            return write(source.size(), source.dimension(), source::caption, source::embedding);
        }

        private interface Entries<T> {
            T get(int index);
        }

        private LuceneMemoryBank write(int count, int dimension, Entries<String> captions, Entries<float[]> vectors) {
            validate(dimension);
            Directory dir = null;
            ExecutorService mergePool = mergeThreads > 1 ? Executors.newFixedThreadPool(mergeThreads) : null;
            try {
                if (directory != null) {
                    Files.createDirectories(directory);
                }
                dir = openDirectory(directory);
                KnnVectorsFormat format = mergePool == null ? new Lucene99HnswVectorsFormat(maxConn, beamWidth)
                        : new Lucene99HnswVectorsFormat(maxConn, beamWidth, mergeThreads, mergePool);
                IndexWriterConfig config = new IndexWriterConfig()
                        .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                        .setCodec(new Lucene912Codec() {
                            @Override
                            public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                                return format;
                            }
                        })
                        // Merges of adjacent segments only, so documents stay in entry order.
                        .setMergePolicy(new LogByteSizeMergePolicy())
                        .setRAMBufferSizeMB(indexingBufferMb)
                        .setUseCompoundFile(false)
                        .setCommitOnClose(false);
                try (IndexWriter writer = new IndexWriter(dir, config)) {
                    progress.progress(0, count);
                    for (int i = 0; i < count; i++) {
                        writer.addDocument(document(i, dimension, captions.get(i), vectors.get(i)));
                        if ((i + 1) % 1024 == 0 || i + 1 == count) {
                            progress.progress(i + 1, count);
                        }
                    }
                    writer.forceMerge(1);
                    writer.setLiveCommitData(Map.of(
                            KEY_FORMAT, FORMAT,
                            KEY_VERSION, Integer.toString(FORMAT_VERSION),
                            KEY_DIMENSION, Integer.toString(dimension),
                            KEY_COUNT, Integer.toString(count),
                            KEY_SIMILARITY, similarity.name(),
                            KEY_MAX_CONN, Integer.toString(maxConn),
                            KEY_BEAM_WIDTH, Integer.toString(beamWidth)).entrySet());
                    writer.commit();
                }
                DirectoryReader reader = DirectoryReader.open(dir);
                try {
                    return new LuceneMemoryBank(dir, directory, reader, efSearch);
                } catch (RuntimeException e) {
                    reader.close();
                    throw e;
                }
            } catch (IOException e) {
                closeQuietly(null, dir);
                throw new ModelException("could not write the Lucene memory bank to " + describe(directory) + ": "
                        + e.getMessage() + "; check the disk space and permissions", e);
            } catch (RuntimeException e) {
                closeQuietly(null, dir);
                throw e;
            } finally {
                if (mergePool != null) {
                    mergePool.shutdownNow();
                }
            }
        }

        private Document document(int index, int dimension, String caption, float[] vector) {
            if (caption == null) {
                throw new InvalidInputException("memory entry " + index + " has a null caption; pass the caption text");
            }
            String what = "embedding of memory entry " + index + " (\"" + abbreviate(caption) + "\")";
            Vectors.requireDimension(vector, dimension, what);
            float[] unit = Vectors.normalized(vector, what);
            Document doc = new Document();
            doc.add(new KnnFloatVectorField(VECTOR_FIELD, unit, similarity.lucene));
            doc.add(new BinaryDocValuesField(CAPTION_FIELD, new BytesRef(caption.getBytes(StandardCharsets.UTF_8))));
            doc.add(new NumericDocValuesField(INDEX_FIELD, index));
            return doc;
        }

        private void validate(int dimension) {
            int maxDimension = new Lucene99HnswVectorsFormat().getMaxDimensions(VECTOR_FIELD);
            if (dimension <= 0 || dimension > maxDimension) {
                throw new ConfigurationException("Lucene's HNSW index takes embeddings of 1 to " + maxDimension
                        + " floats, found " + dimension);
            }
            if (maxConn < 1 || maxConn > Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN) {
                throw new ConfigurationException("maxConn must be 1 to " + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN
                        + ", found " + maxConn + "; Lucene's default is 16");
            }
            if (beamWidth < 1 || beamWidth > Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH) {
                throw new ConfigurationException("beamWidth must be 1 to "
                        + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH + ", found " + beamWidth
                        + "; Lucene's default is 100");
            }
            requirePositive("efSearch", efSearch);
            requirePositive("mergeThreads", mergeThreads);
            if (indexingBufferMb < 1 || indexingBufferMb > 2000) {
                throw new ConfigurationException("indexingBufferMb must be 1 to 2000, found " + indexingBufferMb);
            }
            if (directory != null && Files.exists(directory)) {
                if (!Files.isDirectory(directory)) {
                    throw new ConfigurationException(directory + " is a file, not a directory; pass a new or empty "
                            + "directory for the memory bank");
                }
                try (Stream<Path> entries = Files.list(directory)) {
                    if (entries.findAny().isPresent()) {
                        throw new ConfigurationException("directory " + directory + " is not empty; pass a new or "
                                + "empty directory (a built bank is reopened with LuceneMemoryBank.open)");
                    }
                } catch (IOException e) {
                    throw new ConfigurationException("cannot list directory " + directory + ": " + e.getMessage());
                }
            }
        }

        private static String abbreviate(String caption) {
            return caption.length() <= 60 ? caption : caption.substring(0, 57) + "...";
        }
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new ConfigurationException(name + " must be positive, found " + value);
        }
    }

    private static void closeQuietly(DirectoryReader reader, Directory directory) {
        for (AutoCloseable c : Arrays.asList(reader, directory)) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already failing; the first error is the one to report
                }
            }
        }
    }
}
