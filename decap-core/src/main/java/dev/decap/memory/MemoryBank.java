package dev.decap.memory;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.internal.kernels.DotKernels;
import dev.decap.internal.kernels.TopK;

import java.util.ArrayList;
import java.util.List;

/**
 * DeCap's memory: N captions with their unit-length CLIP text embeddings. Projection-based decoding mixes these
 * embeddings; retrieval returns their captions. Swapping the bank adapts a captioner to a new domain.
 *
 * <p>A custom bank only has to implement {@link #size()}, {@link #dimension()}, {@link #caption(int)} and
 * {@link #embedding(int)}; search and bulk access have exact brute-force defaults that faster banks override.
 * Every bank should pass the shared contract test ({@code dev.decap.testkit.MemoryBankContractTest} in
 * {@code decap-test-kit}), which states what the methods below promise.
 *
 * <p>Banks are read-only once built and must be safe for concurrent readers. Embeddings are unit vectors
 * (normalised by the bank, not trusted from the caller): captioners check a sample of rows when they are built
 * ({@link MemoryBankChecks#requireUnitSample}) and every similarity at use, so a bank of unnormalised or NaN
 * vectors is refused with a message instead of giving wrong captions. Indices run from 0 to {@code size() - 1}; a bank has at
 * least one entry.
 */
public interface MemoryBank {

    /** Rows per block that the default {@link #search} asks {@link #scan} for. */
    int DEFAULT_BLOCK_ROWS = 256;

    /** Number of entries, at least 1. */
    int size();

    /** Length of each embedding. */
    int dimension();

    /** Caption of entry {@code index}. */
    String caption(int index);

    /** A copy of the unit embedding of entry {@code index}; the caller owns it. */
    float[] embedding(int index);

    /**
     * Streams all embeddings in blocks of at most {@code blockRows} rows, in index order, each row exactly once.
     * Equivalent to {@code scan(0, size(), blockRows, consumer)}.
     *
     * @throws InvalidInputException if {@code blockRows} is not positive
     */
    default void scan(int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        scan(0, size(), blockRows, consumer);
    }

    /**
     * Streams the embeddings of entries {@code fromIndex} (inclusive) to {@code toIndex} (exclusive) in blocks of
     * at most {@code blockRows} rows, in index order. Lets callers split one scan across threads.
     *
     * <p>The default copies rows one by one through {@link #embedding(int)} into a reused block; in-memory and
     * memory-mapped banks override it to hand out their storage directly.
     *
     * @throws InvalidInputException if the range is outside {@code [0, size()]} or {@code blockRows <= 0}
     */
    default void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        checkScan(this, fromIndex, toIndex, blockRows);
        int d = dimension();
        float[] block = new float[Math.min(blockRows, Math.max(toIndex - fromIndex, 1)) * d];
        for (int start = fromIndex; start < toIndex; start += blockRows) {
            int rows = Math.min(blockRows, toIndex - start);
            for (int r = 0; r < rows; r++) {
                float[] e = embedding(start + r);
                if (e.length != d) {
                    throw new dev.decap.InferenceException("the memory bank " + getClass().getName() + " returned "
                            + "entry " + (start + r) + " with the wrong dimension: expected " + d + ", found "
                            + e.length + "; the bank implementation is broken");
                }
                System.arraycopy(e, 0, block, r * d, d);
            }
            consumer.accept(start, rows, block, 0);
        }
    }

    /**
     * Exact top-{@code k} search by cosine similarity (a full scan with a bounded heap).
     *
     * @param query a finite, non-zero vector of {@link #dimension()} floats; normalised here
     * @param k     number of hits wanted, positive; fewer come back when the bank is smaller
     * @return {@code min(k, size())} hits ordered by decreasing similarity, ties by increasing index
     * @throws InvalidInputException if the query is null, empty, not finite, zero, of the wrong dimension, or
     *                               {@code k <= 0}; or if a similarity is NaN or above 1 (the bank's rows are not
     *                               finite unit vectors)
     */
    default List<MemoryHit> search(float[] query, int k) {
        dev.decap.spi.Arguments.requireNonNull(query, "query");
        int d = dimension();
        float[] q = Vectors.normalized(Vectors.requireDimension(query, d, "query"), "query");
        if (k <= 0) {
            throw new InvalidInputException("k must be positive, found " + k + "; ask for at least one hit");
        }
        TopK top = new TopK(Math.min(k, size()));
        float[] scores = new float[DEFAULT_BLOCK_ROWS];
        scan(DEFAULT_BLOCK_ROWS, (first, rows, data, offset) -> {
            DotKernels.dots(q, 0, data, offset, rows, d, scores, 0);
            float threshold = top.threshold();
            for (int r = 0; r < rows; r++) {
                MemoryBankChecks.requireSimilarity(scores[r], first + r);
                if (scores[r] >= threshold && top.offer(scores[r], first + r)) {
                    threshold = top.threshold();
                }
            }
        });
        int[] idx = new int[top.size()];
        float[] sim = new float[top.size()];
        top.sorted(idx, sim);
        List<MemoryHit> hits = new ArrayList<>(idx.length);
        for (int i = 0; i < idx.length; i++) {
            hits.add(new MemoryHit(idx[i], caption(idx[i]), sim[i]));
        }
        return hits;
    }

    /**
     * Whether {@link #search} is much faster than a full {@link #scan} and should replace it wherever only the
     * most similar entries are needed, typically because the bank is backed by an approximate nearest-neighbour
     * index. Top-k projection decoding ({@code ProjectionDecoding.builder().topK(k)}) then mixes the k hits of
     * {@code search(query, k)} instead of scanning every entry, so it is exactly as precise as the bank's search:
     * an approximate index may miss some of the true k most similar entries. Dense projection (all entries)
     * always scans.
     *
     * <p>Default: {@code false}, so top-k projection scans the whole bank and is exact. A bank that returns
     * {@code true} must still return true cosine similarities from {@code search}, in decreasing order.
     */
    default boolean prefersSearchForTopK() {
        return false;
    }

    /**
     * Checks the arguments of {@link #scan(int, int, int, BlockConsumer)}; for implementations.
     *
     * @throws InvalidInputException naming the bad argument
     */
    static void checkScan(MemoryBank bank, int fromIndex, int toIndex, int blockRows) {
        Arguments.requireNonNull(bank, "bank");
        if (blockRows <= 0) {
            throw new InvalidInputException("blockRows must be positive, found " + blockRows);
        }
        if (fromIndex < 0 || toIndex > bank.size() || fromIndex > toIndex) {
            throw new InvalidInputException("scan range [" + fromIndex + ", " + toIndex + ") is outside the bank's "
                    + "entries [0, " + bank.size() + ")");
        }
    }
}
