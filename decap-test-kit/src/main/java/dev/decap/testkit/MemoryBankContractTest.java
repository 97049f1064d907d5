package dev.decap.testkit;

import dev.decap.InvalidInputException;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link MemoryBank} must do. Extend it and implement {@link #createBank}; all tests then run against
 * your bank. Published in {@code decap-test-kit}:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>dev.decap</groupId><artifactId>decap-test-kit</artifactId>
 *   <scope>test</scope>
 * </dependency>
 * }</pre>
 *
 * <p>The data handed to {@link #createBank} is deliberately not unit length: the bank must normalise it.
 *
 * <p><b>Precision and capabilities.</b> A bank that stores reduced precision (fp16, int8) overrides
 * {@link #embeddingTolerance()} and {@link #similarityTolerance()}; a bank whose {@code search} is approximate
 * (HNSW, IVF) overrides {@link #exactSearch()} and {@link #minimumRecall()}: the search tests then check recall
 * against the exact answer instead of exact order. Every test is {@code protected}, so a subclass may also
 * override one to document a deliberate difference (and must say why).
 */
public abstract class MemoryBankContractTest {
    /** Dimension of the standard test data (odd, so that kernels' remainder loops are exercised). */
    protected static final int DIMENSION = 37;
    /** Entries in the standard test data (not a multiple of any likely block size). */
    protected static final int SIZE = 1031;
    /** Default allowed difference between a bank's similarity and the double-precision reference. */
    protected static final double TOLERANCE = 1e-5;

    /**
     * Allowed difference between a stored unit embedding's components and the double-precision unit vector of the
     * added data. Default 1e-6 (fp32 storage); an fp16 bank returns about 1e-3.
     */
    protected double embeddingTolerance() {
        return 1e-6;
    }

    /**
     * Allowed difference between a search hit's similarity and the double-precision cosine. Default 1e-5; an fp16
     * bank returns about 2e-3.
     */
    protected double similarityTolerance() {
        return TOLERANCE;
    }

    /**
     * Whether {@link MemoryBank#search} is exact (the default). Approximate banks return false: the search tests
     * then require a recall of at least {@link #minimumRecall()} and skip the exact-order and tie-breaking checks.
     */
    protected boolean exactSearch() {
        return true;
    }

    /** The recall of the true top-k that an approximate search must reach on the standard data. Default 0.9. */
    protected double minimumRecall() {
        return 0.9;
    }

    /**
     * Creates a bank holding {@code captions.get(i)} with the direction of {@code vectors.get(i)}, in order. The
     * vectors are finite and non-zero but not unit length; they have the same dimension.
     */
    protected abstract MemoryBank createBank(List<String> captions, List<float[]> vectors);

    private final List<float[]> vectors = TestVectors.gaussian(SIZE, DIMENSION, 42);
    private final List<String> captions = TestVectors.captions(SIZE);

    private MemoryBank standardBank() {
        return createBank(captions, vectors);
    }

    @Test
    protected void size_dimension_and_captions_are_those_added_in_order() {
        MemoryBank bank = standardBank();
        assertEquals(SIZE, bank.size());
        assertEquals(DIMENSION, bank.dimension());
        for (int i = 0; i < SIZE; i++) {
            assertEquals(captions.get(i), bank.caption(i));
        }
    }

    @Test
    protected void embeddings_are_unit_length_with_the_added_direction() {
        MemoryBank bank = standardBank();
        for (int i = 0; i < SIZE; i++) {
            float[] e = bank.embedding(i);
            assertEquals(DIMENSION, e.length);
            double[] expected = TestVectors.unit(vectors.get(i));
            for (int j = 0; j < DIMENSION; j++) {
                assertEquals(expected[j], e[j], embeddingTolerance(), "entry " + i + ", component " + j);
            }
            assertEquals(1.0, norm(e), Math.max(1e-6, embeddingTolerance() * 4), "entry " + i
                    + " is not unit length");
        }
    }

    @Test
    protected void embedding_returns_a_copy_the_caller_may_change() {
        MemoryBank bank = standardBank();
        float[] first = bank.embedding(3);
        float[] kept = first.clone();
        first[0] = 1234f;
        assertArrayEquals(kept, bank.embedding(3));
        assertNotSame(bank.embedding(3), bank.embedding(3));
    }

    @Test
    protected void out_of_range_indices_are_refused() {
        MemoryBank bank = standardBank();
        assertThrows(RuntimeException.class, () -> bank.caption(-1));
        assertThrows(RuntimeException.class, () -> bank.caption(SIZE));
        assertThrows(RuntimeException.class, () -> bank.embedding(-1));
        assertThrows(RuntimeException.class, () -> bank.embedding(SIZE));
    }

    @Test
    protected void search_returns_the_exact_top_k_by_cosine_similarity_in_decreasing_order() {
        MemoryBank bank = standardBank();
        List<float[]> queries = TestVectors.gaussian(8, DIMENSION, 7);
        if (!exactSearch()) {
            checkRecall(bank, queries);
            return;
        }
        double tolerance = similarityTolerance();
        for (float[] query : queries) {
            double[] reference = referenceSimilarities(query);
            for (int k : new int[] {1, 5, 50}) {
                List<MemoryHit> hits = bank.search(query, k);
                assertEquals(k, hits.size());
                Set<Integer> returned = new HashSet<>();
                for (int h = 0; h < hits.size(); h++) {
                    MemoryHit hit = hits.get(h);
                    assertTrue(returned.add(hit.index()), "index " + hit.index() + " returned twice");
                    assertEquals(captions.get(hit.index()), hit.caption());
                    assertEquals(reference[hit.index()], hit.similarity(), tolerance,
                            "similarity of entry " + hit.index());
                    if (h > 0) {
                        MemoryHit previous = hits.get(h - 1);
                        assertTrue(previous.similarity() > hit.similarity()
                                        || (previous.similarity() == hit.similarity()
                                        && previous.index() < hit.index()),
                                "hits out of order at position " + h + ": " + previous + " before " + hit);
                    }
                }
                double weakestReturned = hits.get(hits.size() - 1).similarity();
                for (int i = 0; i < SIZE; i++) {
                    if (!returned.contains(i)) {
                        assertTrue(reference[i] <= weakestReturned + 2 * tolerance,
                                "entry " + i + " (similarity " + reference[i] + ") is missing from the top " + k);
                    }
                }
            }
        }
    }

    @Test
    protected void search_breaks_ties_by_increasing_index() {
        if (!exactSearch()) {
            return; // approximate search promises no order among equal similarities
        }
        List<float[]> data = new ArrayList<>(TestVectors.gaussian(40, DIMENSION, 3));
        float[] twin = data.get(5).clone();
        data.set(17, twin.clone());
        data.set(29, twin.clone());
        data.set(33, twin.clone());
        MemoryBank bank = createBank(TestVectors.captions(40), data);
        List<MemoryHit> hits = bank.search(twin, 4);
        assertEquals(List.of(5, 17, 29, 33), hits.stream().map(MemoryHit::index).toList());
        assertEquals(List.of(5, 17), bank.search(twin, 2).stream().map(MemoryHit::index).toList());
    }

    @Test
    protected void search_with_k_beyond_the_size_returns_every_entry_once() {
        MemoryBank bank = createBank(TestVectors.captions(9), TestVectors.gaussian(9, DIMENSION, 5));
        List<MemoryHit> hits = bank.search(TestVectors.gaussian(1, DIMENSION, 6).get(0), 100);
        assertEquals(9, hits.size());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8),
                new HashSet<>(hits.stream().map(MemoryHit::index).toList()));
    }

    @Test
    protected void search_normalises_the_query() {
        MemoryBank bank = standardBank();
        float[] query = TestVectors.gaussian(1, DIMENSION, 11).get(0);
        float[] scaled = query.clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= 250f;
        }
        List<MemoryHit> a = bank.search(query, 10);
        List<MemoryHit> b = bank.search(scaled, 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(a.get(i).index(), b.get(i).index());
            assertEquals(a.get(i).similarity(), b.get(i).similarity(), Math.max(1e-6, similarityTolerance() / 10));
        }
    }

    @Test
    protected void a_bank_of_one_entry_finds_it() {
        MemoryBank bank = createBank(List.of("only"), TestVectors.gaussian(1, DIMENSION, 9));
        List<MemoryHit> hits = bank.search(TestVectors.gaussian(1, DIMENSION, 10).get(0), 3);
        assertEquals(1, hits.size());
        assertEquals("only", hits.get(0).caption());
    }

    @Test
    protected void scan_covers_every_row_once_in_order_for_any_block_size() {
        MemoryBank bank = standardBank();
        for (int blockRows : new int[] {1, 2, 3, 4, 7, 64, 256, SIZE - 1, SIZE, SIZE + 1, 1 << 20}) {
            checkScan(bank, 0, SIZE, blockRows, consumer -> bank.scan(blockRows, consumer));
        }
    }

    @Test
    protected void scan_of_a_range_covers_exactly_that_range() {
        MemoryBank bank = standardBank();
        int[][] ranges = {{0, 0}, {0, 1}, {5, 17}, {300, 1000}, {SIZE - 1, SIZE}, {0, SIZE}};
        for (int[] range : ranges) {
            for (int blockRows : new int[] {1, 3, 256}) {
                checkScan(bank, range[0], range[1], blockRows,
                        consumer -> bank.scan(range[0], range[1], blockRows, consumer));
            }
        }
    }

    @Test
    protected void scan_refuses_bad_block_sizes_and_ranges() {
        MemoryBank bank = standardBank();
        BlockConsumer ignore = (first, rows, data, offset) -> { };
        assertThrows(InvalidInputException.class, () -> bank.scan(0, ignore));
        assertThrows(InvalidInputException.class, () -> bank.scan(-4, ignore));
        assertThrows(InvalidInputException.class, () -> bank.scan(-1, 5, 8, ignore));
        assertThrows(InvalidInputException.class, () -> bank.scan(0, SIZE + 1, 8, ignore));
        assertThrows(InvalidInputException.class, () -> bank.scan(10, 5, 8, ignore));
    }

    @Test
    protected void bad_queries_are_refused_with_a_message_naming_the_problem() {
        MemoryBank bank = standardBank();
        assertThrows(InvalidInputException.class, () -> bank.search(null, 3));
        assertThrows(InvalidInputException.class, () -> bank.search(new float[0], 3));
        assertThrows(InvalidInputException.class, () -> bank.search(new float[DIMENSION], 3));
        float[] nan = TestVectors.gaussian(1, DIMENSION, 1).get(0);
        nan[4] = Float.NaN;
        assertThrows(InvalidInputException.class, () -> bank.search(nan, 3));
        float[] inf = TestVectors.gaussian(1, DIMENSION, 1).get(0);
        inf[0] = Float.POSITIVE_INFINITY;
        assertThrows(InvalidInputException.class, () -> bank.search(inf, 3));
        InvalidInputException wrong = assertThrows(InvalidInputException.class,
                () -> bank.search(new float[DIMENSION + 2], 3));
        assertTrue(wrong.getMessage().contains("expected " + DIMENSION + ", found " + (DIMENSION + 2)),
                wrong.getMessage());
        float[] fine = TestVectors.gaussian(1, DIMENSION, 1).get(0);
        assertThrows(InvalidInputException.class, () -> bank.search(fine, 0));
        assertThrows(InvalidInputException.class, () -> bank.search(fine, -2));
    }

    @Test
    protected void concurrent_readers_see_the_same_results_as_one_reader() throws Exception {
        MemoryBank bank = standardBank();
        List<float[]> queries = TestVectors.gaussian(16, DIMENSION, 99);
        List<List<MemoryHit>> expected = new ArrayList<>();
        for (float[] q : queries) {
            expected.add(bank.search(q, 7));
        }
        double expectedChecksum = scanChecksum(bank, 100);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t;
                Callable<Boolean> task = () -> {
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < queries.size(); i++) {
                            int q = (i + offset) % queries.size();
                            if (!bank.search(queries.get(q), 7).equals(expected.get(q))) {
                                return false;
                            }
                        }
                        if (scanChecksum(bank, 37 + offset) != expectedChecksum) {
                            return false;
                        }
                    }
                    return true;
                };
                results.add(pool.submit(task));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(60, TimeUnit.SECONDS), "a concurrent reader saw different results");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Approximate search: every hit is real and correctly scored, and most of the true top-k is found. */
    private void checkRecall(MemoryBank bank, List<float[]> queries) {
        int found = 0;
        int wanted = 0;
        for (float[] query : queries) {
            double[] reference = referenceSimilarities(query);
            Integer[] order = new Integer[SIZE];
            for (int i = 0; i < SIZE; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (x, y) -> Double.compare(reference[y], reference[x]));
            for (int k : new int[] {5, 50}) {
                List<MemoryHit> hits = bank.search(query, k);
                assertEquals(k, hits.size());
                Set<Integer> truth = new HashSet<>(java.util.Arrays.asList(order).subList(0, k));
                Set<Integer> returned = new HashSet<>();
                for (MemoryHit hit : hits) {
                    assertTrue(returned.add(hit.index()), "index " + hit.index() + " returned twice");
                    assertEquals(captions.get(hit.index()), hit.caption());
                    assertEquals(reference[hit.index()], hit.similarity(), similarityTolerance(),
                            "similarity of entry " + hit.index());
                    if (truth.contains(hit.index())) {
                        found++;
                    }
                }
                wanted += k;
            }
        }
        double recall = found / (double) wanted;
        assertTrue(recall >= minimumRecall(), "recall " + recall + " is below the declared " + minimumRecall());
    }

    private double[] referenceSimilarities(float[] query) {
        double[] q = TestVectors.unit(query);
        double[] out = new double[SIZE];
        for (int i = 0; i < SIZE; i++) {
            out[i] = TestVectors.dot(TestVectors.unit(vectors.get(i)), q);
        }
        return out;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /** Sum of every stored float weighted by its position: the same for any block size when rows come in order. */
    private static double scanChecksum(MemoryBank bank, int blockRows) {
        int d = bank.dimension();
        double[] sum = new double[1];
        bank.scan(blockRows, (first, rows, data, offset) -> {
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < d; j++) {
                    sum[0] += data[offset + r * d + j] * (double) ((first + r) % 97 + j);
                }
            }
        });
        return sum[0];
    }

    private interface ScanCall {
        void run(BlockConsumer consumer);
    }

    private static void checkScan(MemoryBank bank, int from, int to, int blockRows, ScanCall call) {
        int d = bank.dimension();
        int[] next = {from};
        call.run((first, rows, data, offset) -> {
            assertEquals(next[0], first, "blocks must come in index order without gaps (block rows " + blockRows
                    + ")");
            assertTrue(rows > 0 && rows <= blockRows, "block of " + rows + " rows for blockRows " + blockRows);
            assertTrue(offset >= 0 && offset + rows * d <= data.length, "block outside its array");
            for (int r = 0; r < rows; r++) {
                float[] row = new float[d];
                System.arraycopy(data, offset + r * d, row, 0, d);
                assertArrayEquals(bank.embedding(first + r), row, "row " + (first + r));
            }
            next[0] += rows;
        });
        assertEquals(to, next[0], "scan of [" + from + ", " + to + ") with blocks of " + blockRows
                + " rows stopped early");
    }
}
