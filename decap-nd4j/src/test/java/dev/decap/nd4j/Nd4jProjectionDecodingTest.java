package dev.decap.nd4j;

import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.testkit.ForwardingMemoryBank;
import dev.decap.testkit.TestVectors;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.testkit.ReferenceProjection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Nd4jProjectionDecodingTest {
    private static final int D = 64;
    private final List<float[]> raw = TestVectors.gaussian(5003, D, 21);
    private final MemoryBank bank = InMemoryMemoryBank.builder().addAll(TestVectors.captions(raw.size()), raw).build();
    private Nd4jProjectionDecoding nd4j;

    @AfterEach
    void close() {
        if (nd4j != null) {
            nd4j.close();
        }
    }

    @Test
    void top_k_projection_onto_a_bank_that_prefers_search_searches_it_instead_of_copying_it() {
        int[] searches = {0};
        MemoryBank searchable = new ForwardingMemoryBank(bank) {
                        @Override
            public void scan(int fromIndex, int toIndex, int blockRows, dev.decap.memory.BlockConsumer consumer) {
                throw new AssertionError("a bank that prefers search is not scanned (nor copied) for top-k");
            }

            @Override
            public List<dev.decap.memory.MemoryHit> search(float[] query, int k) {
                searches[0]++;
                return bank.search(query, k);
            }

            @Override
            public boolean prefersSearchForTopK() {
                return true;
            }
        };
        nd4j = Nd4jProjectionDecoding.builder().topK(9).pureJavaBatchLimit(0).build();
        List<float[]> queries = TestVectors.unitGaussian(6, D, 8);
        List<Projection> viaSearch = nd4j.projectAll(queries, searchable);
        List<Projection> viaScan = ProjectionDecoding.builder().topK(9).build().projectAll(queries, bank);
        assertEquals(queries.size(), searches[0]);
        for (int i = 0; i < queries.size(); i++) {
            assertArrayEquals(viaScan.get(i).vector(), viaSearch.get(i).vector(), 1e-6f);
        }
    }

    @Test
    void batched_projection_matches_the_pure_java_projector_and_the_double_reference() {
        List<float[]> queries = TestVectors.unitGaussian(13, D, 5);
        for (double tau : new double[] {0.01, 0.1, 2}) {
            for (int topK : new int[] {0, 7}) {
                nd4j = Nd4jProjectionDecoding.builder().temperature(tau).topK(topK).maxContributions(12)
                        .blockRows(1000).pureJavaBatchLimit(0).build();
                ProjectionDecoding java = ProjectionDecoding.builder().temperature(tau).topK(topK)
                        .maxContributions(12).build();
                List<Projection> fast = nd4j.projectAll(queries, bank);
                List<Projection> plain = java.projectAll(queries, bank);
                for (int i = 0; i < queries.size(); i++) {
                    String what = "tau " + tau + ", topK " + topK + ", query " + i;
                    assertArrayEquals(plain.get(i).vector(), fast.get(i).vector(), 1e-5f, what);
                    ReferenceProjection ref = ReferenceProjection.of(raw, queries.get(i), tau, topK);
                    float[] v = fast.get(i).vector();
                    for (int j = 0; j < D; j++) {
                        assertEquals(ref.vector[j], v[j], 1e-5, what + ", component " + j);
                    }
                    List<Contribution> a = plain.get(i).contributions();
                    List<Contribution> b = fast.get(i).contributions();
                    assertEquals(a.size(), b.size(), what);
                    for (int c = 0; c < a.size(); c++) {
                        assertEquals(a.get(c).index(), b.get(c).index(), what);
                        assertEquals(a.get(c).caption(), b.get(c).caption());
                        assertEquals(a.get(c).weight(), b.get(c).weight(), 1e-5, what);
                        assertEquals(a.get(c).similarity(), b.get(c).similarity(), 1e-5, what);
                    }
                }
                nd4j.close();
            }
        }
    }

    @Test
    void single_queries_on_a_large_bank_use_a_split_java_scan_that_agrees_with_one_thread() {
        List<float[]> many = TestVectors.gaussian(40_000, 16, 4);
        MemoryBank big = InMemoryMemoryBank.builder().addAll(TestVectors.captions(many.size()), many).build();
        nd4j = Nd4jProjectionDecoding.builder().pureJavaParallelism(3).build();
        float[] query = TestVectors.unitGaussian(1, 16, 5).get(0);
        Projection split = nd4j.project(query, big);
        Projection one = ProjectionDecoding.create().project(query, big);
        assertArrayEquals(one.vector(), split.vector(), 1e-6f);
        assertEquals(one.contributions().get(0).index(), split.contributions().get(0).index());
        assertEquals(0, nd4j.cachedBanks());
    }

    @Test
    void one_query_on_nd4j_matches_one_query_on_java() {
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).build();
        float[] query = TestVectors.unitGaussian(1, D, 6).get(0);
        assertArrayEquals(ProjectionDecoding.create().project(query, bank).vector(),
                nd4j.project(query, bank).vector(), 1e-5f);
    }

    @Test
    void single_queries_and_small_batches_are_delegated_to_the_pure_java_projector_by_default() {
        nd4j = Nd4jProjectionDecoding.builder().build();
        float[] query = TestVectors.unitGaussian(1, D, 6).get(0);
        Projection expected = ProjectionDecoding.create().project(query, bank);
        Projection actual = nd4j.project(query, bank);
        assertArrayEquals(expected.vector(), actual.vector());
        assertEquals(expected.contributions(), actual.contributions());
        assertEquals(0, nd4j.cachedBanks(), "a single query must not copy the bank off-heap");
        nd4j.projectAll(TestVectors.unitGaussian(Nd4jProjectionDecoding.DEFAULT_PURE_JAVA_BATCH_LIMIT, D, 3), bank);
        assertEquals(0, nd4j.cachedBanks(), "small batches run in pure Java by default");
        nd4j.projectAll(TestVectors.unitGaussian(Nd4jProjectionDecoding.DEFAULT_PURE_JAVA_BATCH_LIMIT + 1, D, 3), bank);
        assertEquals(1, nd4j.cachedBanks(), "larger batches run on ND4J by default");
        nd4j.close();
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(3).build();
        List<float[]> three = TestVectors.unitGaussian(3, D, 7);
        List<Projection> small = nd4j.projectAll(three, bank);
        assertEquals(0, nd4j.cachedBanks(), "batches up to the limit run in pure Java");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(ProjectionDecoding.create().project(three.get(i), bank).vector(), small.get(i).vector());
        }
        nd4j.projectAll(TestVectors.unitGaussian(4, D, 7), bank);
        assertEquals(1, nd4j.cachedBanks(), "larger batches run on ND4J");
    }

    @Test
    void the_off_heap_copy_is_made_once_per_bank_and_freed_on_close() {
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).build();
        List<float[]> queries = TestVectors.unitGaussian(3, D, 7);
        nd4j.projectAll(queries, bank);
        nd4j.projectAll(queries, bank);
        assertEquals(1, nd4j.cachedBanks());
        MemoryBank other = InMemoryMemoryBank.builder().addAll(TestVectors.captions(10),
                TestVectors.gaussian(10, D, 8)).build();
        nd4j.projectAll(queries, other);
        assertEquals(2, nd4j.cachedBanks());
        nd4j.close();
        nd4j.close();
        assertEquals(0, nd4j.cachedBanks());
        assertThrows(ClosedException.class, () -> nd4j.projectAll(queries, bank));
    }

    @Test
    void a_bank_that_becomes_unreachable_loses_its_copy() throws InterruptedException {
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).build();
        List<float[]> queries = TestVectors.unitGaussian(2, D, 7);
        projectOnTemporaryBank(queries);
        assertEquals(1, nd4j.cachedBanks());
        for (int i = 0; i < 50 && nd4j.cachedBanks() > 0; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, nd4j.cachedBanks(), "the copy of a collected bank must be dropped");
    }

    private void projectOnTemporaryBank(List<float[]> queries) {
        MemoryBank temporary = InMemoryMemoryBank.builder().addAll(TestVectors.captions(100),
                TestVectors.gaussian(100, D, 9)).build();
        assertEquals(2, nd4j.projectAll(queries, temporary).size());
    }

    @Test
    void concurrent_batches_share_one_copy_and_agree_with_a_single_caller() throws Exception {
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).blockRows(700).build();
        List<List<float[]>> batches = new java.util.ArrayList<>();
        for (int t = 0; t < 6; t++) {
            batches.add(TestVectors.unitGaussian(5, D, 300 + t));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6);
        java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
        try {
            List<java.util.concurrent.Future<List<Projection>>> futures = new java.util.ArrayList<>();
            for (List<float[]> batch : batches) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return nd4j.projectAll(batch, bank);
                }));
            }
            start.countDown();
            ProjectionDecoding plain = ProjectionDecoding.create();
            for (int t = 0; t < batches.size(); t++) {
                List<Projection> got = futures.get(t).get(120, java.util.concurrent.TimeUnit.SECONDS);
                for (int i = 0; i < 5; i++) {
                    assertArrayEquals(plain.project(batches.get(t).get(i), bank).vector(), got.get(i).vector(), 1e-5f);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, nd4j.cachedBanks(), "concurrent first uses must share one off-heap copy");
    }

    @Test
    void bad_input_and_settings_are_refused() {
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).build();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> nd4j.projectAll(List.of(new float[D], new float[5]), bank));
        assertTrue(e.getMessage().contains("image embedding 0"), e.getMessage());
        InvalidInputException wrong = assertThrows(InvalidInputException.class,
                () -> nd4j.projectAll(List.of(TestVectors.unitGaussian(1, D, 1).get(0), new float[5]), bank));
        assertTrue(wrong.getMessage().contains("expected 64, found 5"), wrong.getMessage());
        assertThrows(InvalidInputException.class, () -> nd4j.project(TestVectors.unitGaussian(1, D, 1).get(0), null));
        assertThrows(ConfigurationException.class, () -> Nd4jProjectionDecoding.builder().blockRows(0).build());
        assertThrows(ConfigurationException.class,
                () -> Nd4jProjectionDecoding.builder().pureJavaBatchLimit(-1).build());
        assertThrows(ConfigurationException.class,
                () -> Nd4jProjectionDecoding.builder().pureJavaParallelism(0).build());
        assertThrows(ConfigurationException.class, () -> Nd4jProjectionDecoding.builder().temperature(0).build());
        assertTrue(nd4j.projectAll(List.of(), bank).isEmpty());
    }
}
