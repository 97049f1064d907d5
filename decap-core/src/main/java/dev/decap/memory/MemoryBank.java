package dev.decap.memory;

import dev.decap.InvalidInputException;
import dev.decap.Vectors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * DeCap's memory: N captions with their unit-length CLIP text embeddings. Projection-based decoding mixes these
 * embeddings; retrieval returns their captions. Swapping the bank adapts a captioner to a new domain.
 *
 * <p>A custom bank only has to implement {@link #size()}, {@link #dimension()}, {@link #caption(int)} and
 * {@link #embedding(int)}; search and bulk access have brute-force defaults that faster banks override. Every bank
 * should pass the shared contract test ({@code MemoryBankContractTest} in decap-core's test-jar).
 *
 * <p>Banks are read-only once built and must be safe for concurrent readers. Embeddings are unit vectors
 * (normalised by the bank, not trusted from the caller).
 */
public interface MemoryBank {

    /** Number of entries. */
    int size();

    /** Length of each embedding. */
    int dimension();

    /** Caption of entry {@code index}. */
    String caption(int index);

    /** A copy of the unit embedding of entry {@code index}. */
    float[] embedding(int index);

    /**
     * Streams all embeddings in blocks of at most {@code blockRows} rows, in index order. The default copies
     * rows one by one; in-memory and memory-mapped banks override it to hand out their storage directly.
     */
    default void scan(int blockRows, BlockConsumer consumer) {
        if (blockRows <= 0) {
            throw new InvalidInputException("blockRows must be positive, found " + blockRows);
        }
        int d = dimension();
        int n = size();
        float[] block = new float[Math.min(blockRows, Math.max(n, 1)) * d];
        for (int start = 0; start < n; start += blockRows) {
            int rows = Math.min(blockRows, n - start);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(embedding(start + r), 0, block, r * d, d);
            }
            consumer.accept(start, rows, block, 0);
        }
    }

    /**
     * Exact top-{@code k} search by cosine similarity.
     *
     * @param query a vector of {@link #dimension()} floats; normalised here, so any non-zero length is fine
     * @param k     number of hits wanted; fewer come back when the bank is smaller
     * @return hits ordered by decreasing similarity, ties by increasing index
     */
    default List<MemoryHit> search(float[] query, int k) {
        float[] q = Vectors.normalized(Vectors.requireDimension(query, dimension(), "query"), "query");
        if (k <= 0) {
            throw new InvalidInputException("k must be positive, found " + k);
        }
        int d = dimension();
        int keep = Math.min(k, size());
        // Min-heap on (similarity, -index): the root is the weakest hit kept so far.
        Comparator<long[]> weakestFirst = Comparator.<long[]>comparingDouble(e -> Float.intBitsToFloat((int) e[0]))
                .thenComparing(e -> -e[1]);
        PriorityQueue<long[]> heap = new PriorityQueue<>(keep + 1, weakestFirst);
        scan(4096, (first, rows, data, offset) -> {
            for (int r = 0; r < rows; r++) {
                float s = Vectors.dot(q, 0, data, offset + r * d, d);
                if (heap.size() < keep) {
                    heap.add(new long[] {Float.floatToIntBits(s), first + r});
                } else if (s > Float.intBitsToFloat((int) heap.peek()[0])) {
                    heap.poll();
                    heap.add(new long[] {Float.floatToIntBits(s), first + r});
                }
            }
        });
        List<MemoryHit> hits = new ArrayList<>(heap.size());
        while (!heap.isEmpty()) {
            long[] e = heap.poll();
            hits.add(new MemoryHit((int) e[1], caption((int) e[1]), Float.intBitsToFloat((int) e[0])));
        }
        java.util.Collections.reverse(hits);
        return hits;
    }
}
