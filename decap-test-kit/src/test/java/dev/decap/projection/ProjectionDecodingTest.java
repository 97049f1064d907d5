package dev.decap.projection;

import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.testkit.ForwardingMemoryBank;
import dev.decap.testkit.TestVectors;
import dev.decap.testkit.ReferenceProjection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProjectionDecodingTest {
    private static final int D = 64;
    private final List<float[]> raw = TestVectors.gaussian(2003, D, 17);
    private final MemoryBank bank = InMemoryMemoryBank.builder().addAll(TestVectors.captions(raw.size()), raw).build();

    @Test
    void projection_equals_the_double_precision_reference_on_random_data() {
        for (double tau : new double[] {0.01, 0.03, 0.3, 5}) {
            ProjectionDecoding pd = ProjectionDecoding.builder().temperature(tau).maxContributions(25).build();
            for (float[] query : TestVectors.unitGaussian(6, D, 100 + (long) (tau * 100))) {
                ReferenceProjection ref = ReferenceProjection.of(raw, query, tau, 0);
                Projection p = pd.project(query, bank);
                assertClose(ref.vector, p.vector(), 1e-5, "tau " + tau);
                assertEquals(25, p.contributions().size());
                for (Contribution c : p.contributions()) {
                    assertEquals(ref.weights[c.index()], c.weight(), 1e-5, "weight of entry " + c.index());
                    assertEquals(ref.similarities[c.index()], c.similarity(), 1e-5);
                    assertEquals("caption " + c.index(), c.caption());
                }
            }
        }
    }

    @Test
    void top_k_and_max_contributions_of_integer_max_value_are_clamped_to_the_bank_and_behave_as_all() {
        float[] query = TestVectors.unitGaussian(1, D, 31).get(0);
        Projection all = ProjectionDecoding.builder().maxContributions(raw.size()).build().project(query, bank);
        Projection huge = ProjectionDecoding.builder().maxContributions(Integer.MAX_VALUE).build()
                .project(query, bank);
        assertArrayEquals(all.vector(), huge.vector());
        assertEquals(raw.size(), huge.contributions().size());
        assertEquals(all.contributions(), huge.contributions());
        Projection topAll = ProjectionDecoding.builder().topK(raw.size()).maxContributions(raw.size()).build()
                .project(query, bank);
        Projection topHuge = ProjectionDecoding.builder().topK(Integer.MAX_VALUE).maxContributions(Integer.MAX_VALUE)
                .build().project(query, bank);
        assertArrayEquals(topAll.vector(), topHuge.vector());
        assertEquals(topAll.contributions(), topHuge.contributions());
        for (int i = 0; i < D; i++) {
            assertEquals(all.vector()[i], topHuge.vector()[i], 1e-5, "topK = all entries mixes what topK = 0 mixes");
        }
        // The settings record (shared with decap-nd4j) accepts the same values.
        ProjectionSettings settings = new ProjectionSettings(0.01, Integer.MAX_VALUE, Integer.MAX_VALUE);
        assertEquals(raw.size(), ProjectionDecoding.builder().settings(settings).build().project(query, bank)
                .contributions().size());
    }

    @Test
    void projection_weights_sum_to_one() {
        List<float[]> small = TestVectors.gaussian(40, 8, 4);
        MemoryBank b = InMemoryMemoryBank.builder().addAll(TestVectors.captions(40), small).build();
        for (double tau : new double[] {0.01, 0.1, 1}) {
            Projection p = ProjectionDecoding.builder().temperature(tau).maxContributions(40).build()
                    .project(TestVectors.unitGaussian(1, 8, 5).get(0), b);
            assertEquals(40, p.contributions().size());
            double sum = p.contributions().stream().mapToDouble(Contribution::weight).sum();
            assertEquals(1.0, sum, 1e-5, "tau " + tau);
        }
    }

    @Test
    void contributions_are_ordered_by_decreasing_weight_and_similarity() {
        Projection p = ProjectionDecoding.create().project(TestVectors.unitGaussian(1, D, 8).get(0), bank);
        assertEquals(ProjectionDecoding.DEFAULT_MAX_CONTRIBUTIONS, p.contributions().size());
        for (int i = 1; i < p.contributions().size(); i++) {
            Contribution a = p.contributions().get(i - 1);
            Contribution b = p.contributions().get(i);
            assertTrue(a.weight() >= b.weight() && a.similarity() >= b.similarity(), a + " before " + b);
        }
        assertEquals(bank.search(TestVectors.unitGaussian(1, D, 8).get(0), 1).get(0).index(),
                p.contributions().get(0).index());
    }

    @Test
    void projection_is_a_unit_vector() {
        float[] v = ProjectionDecoding.create().project(TestVectors.unitGaussian(1, D, 9).get(0), bank).vector();
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        assertEquals(1.0, Math.sqrt(n), 1e-6);
    }

    @Test
    void a_tiny_temperature_approaches_nearest_neighbour_decoding() {
        float[] query = TestVectors.unitGaussian(1, D, 12).get(0);
        Projection nnd = new NearestNeighbourProjector().project(query, bank);
        Projection pd = ProjectionDecoding.builder().temperature(1e-5).build().project(query, bank);
        assertArrayEquals(nnd.vector(), pd.vector(), 1e-6f);
        assertEquals(nnd.contributions().get(0).index(), pd.contributions().get(0).index());
        assertEquals(1.0, pd.contributions().get(0).weight(), 1e-6);
    }

    @Test
    void a_large_temperature_approaches_the_normalised_mean_of_the_memory() {
        List<float[]> units = new ArrayList<>();
        for (int i = 0; i < bank.size(); i++) {
            units.add(bank.embedding(i));
        }
        float[] mean = dev.decap.Vectors.normalizedMean(units, "memory");
        Projection pd = ProjectionDecoding.builder().temperature(1e6).build()
                .project(TestVectors.unitGaussian(1, D, 13).get(0), bank);
        assertArrayEquals(mean, pd.vector(), 1e-4f);
        assertEquals(1.0 / bank.size(), pd.contributions().get(0).weight(), 1e-6);
    }

    @Test
    void top_k_restriction_mixes_only_the_k_most_similar_entries() {
        for (int k : new int[] {1, 3, 50}) {
            ProjectionDecoding pd = ProjectionDecoding.builder().temperature(0.05).topK(k).maxContributions(100)
                    .build();
            float[] query = TestVectors.unitGaussian(1, D, 20 + k).get(0);
            ReferenceProjection ref = ReferenceProjection.of(raw, query, 0.05, k);
            Projection p = pd.project(query, bank);
            assertClose(ref.vector, p.vector(), 1e-5, "topK " + k);
            assertEquals(k, p.contributions().size(), "only the top-k entries have a weight");
            double sum = 0;
            for (Contribution c : p.contributions()) {
                assertTrue(ref.weights[c.index()] > 0, "entry " + c.index() + " is outside the top " + k);
                assertEquals(ref.weights[c.index()], c.weight(), 1e-5);
                sum += c.weight();
            }
            assertEquals(1.0, sum, 1e-5);
        }
        float[] query = TestVectors.unitGaussian(1, D, 77).get(0);
        assertArrayEquals(new NearestNeighbourProjector().project(query, bank).vector(),
                ProjectionDecoding.builder().topK(1).build().project(query, bank).vector(), 1e-6f);
    }

    /**
     * A bank whose search is "approximate" in a known way: it only ever finds odd entries (exactly ranked among
     * them), and counts how it is read.
     */
    private final class OddOnlySearchBank extends ForwardingMemoryBank {
        int searches;
        int scans;

        OddOnlySearchBank() {
            super(bank);
        }

        @Override
        public void scan(int fromIndex, int toIndex, int blockRows, dev.decap.memory.BlockConsumer consumer) {
            scans++;
            bank.scan(fromIndex, toIndex, blockRows, consumer);
        }

        @Override
        public List<MemoryHit> search(float[] query, int k) {
            searches++;
            float[] q = dev.decap.Vectors.normalized(query, "query");
            List<MemoryHit> hits = new ArrayList<>();
            for (int i = 1; i < size(); i += 2) {
                hits.add(new MemoryHit(i, caption(i), dev.decap.Vectors.dot(q, embedding(i))));
            }
            hits.sort(java.util.Comparator.comparingDouble((MemoryHit h) -> -h.similarity())
                    .thenComparingInt(MemoryHit::index));
            return List.copyOf(hits.subList(0, Math.min(k, hits.size())));
        }

        @Override
        public boolean prefersSearchForTopK() {
            return true;
        }
    }

    @Test
    void top_k_projection_mixes_the_search_hits_of_a_bank_that_prefers_search_without_scanning_it() {
        OddOnlySearchBank approximate = new OddOnlySearchBank();
        List<float[]> odd = new ArrayList<>();
        for (int i = 1; i < raw.size(); i += 2) {
            odd.add(raw.get(i));
        }
        int k = 40;
        ProjectionDecoding pd = ProjectionDecoding.builder().temperature(0.05).topK(k).maxContributions(100).build();
        List<float[]> queries = TestVectors.unitGaussian(3, D, 61);
        List<Projection> projections = pd.projectAll(queries, approximate);
        assertEquals(0, approximate.scans, "a bank that prefers search is not scanned for top-k projection");
        assertEquals(queries.size(), approximate.searches);
        for (int q = 0; q < queries.size(); q++) {
            ReferenceProjection ref = ReferenceProjection.of(odd, queries.get(q), 0.05, k);
            Projection p = projections.get(q);
            assertClose(ref.vector, p.vector(), 1e-5, "query " + q);
            assertEquals(k, p.contributions().size());
            double sum = 0;
            for (Contribution c : p.contributions()) {
                assertEquals(1, c.index() % 2, "only entries the search found are mixed");
                assertEquals(ref.weights[(c.index() - 1) / 2], c.weight(), 1e-5);
                sum += c.weight();
            }
            assertEquals(1.0, sum, 1e-5, "the weights sum to one over the hits");
        }
    }

    @Test
    void dense_projection_scans_even_a_bank_that_prefers_search() {
        OddOnlySearchBank approximate = new OddOnlySearchBank();
        float[] query = TestVectors.unitGaussian(1, D, 62).get(0);
        Projection p = ProjectionDecoding.create().project(query, approximate);
        assertEquals(0, approximate.searches);
        assertEquals(1, approximate.scans);
        assertArrayEquals(ProjectionDecoding.create().project(query, bank).vector(), p.vector());
    }

    @Test
    void banks_scan_for_top_k_projection_unless_they_prefer_search() {
        assertFalse(bank.prefersSearchForTopK(), "the in-memory bank keeps exact top-k projection");
        int[] scans = {0};
        MemoryBank counting = new ForwardingMemoryBank(bank) {
                        @Override
            public void scan(int blockRows, dev.decap.memory.BlockConsumer consumer) {
                scans[0]++;
                bank.scan(blockRows, consumer);
            }

            @Override
            public List<MemoryHit> search(float[] query, int k) {
                throw new AssertionError("top-k projection must scan a bank that does not prefer search");
            }
        };
        float[] query = TestVectors.unitGaussian(1, D, 63).get(0);
        ProjectionDecoding pd = ProjectionDecoding.builder().topK(7).build();
        assertArrayEquals(pd.project(query, bank).vector(), pd.project(query, counting).vector());
        assertEquals(1, scans[0]);
    }

    @Test
    void a_batch_gives_bit_identical_results_to_one_query_at_a_time() {
        List<float[]> queries = TestVectors.unitGaussian(70, D, 30);
        for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                ProjectionDecoding.builder().topK(5).temperature(0.1).build())) {
            List<Projection> batch = pd.projectAll(queries, bank);
            assertEquals(queries.size(), batch.size());
            for (int i = 0; i < queries.size(); i++) {
                Projection single = pd.project(queries.get(i), bank);
                assertArrayEquals(single.vector(), batch.get(i).vector(), "query " + i);
                assertEquals(single.contributions(), batch.get(i).contributions());
            }
        }
    }

    @Test
    void a_custom_bank_with_default_scan_gives_the_same_projection() {
        MemoryBank minimal = new MemoryBank() {
            @Override
            public int size() {
                return bank.size();
            }

            @Override
            public int dimension() {
                return bank.dimension();
            }

            @Override
            public String caption(int index) {
                return bank.caption(index);
            }

            @Override
            public float[] embedding(int index) {
                return bank.embedding(index);
            }
        };
        float[] query = TestVectors.unitGaussian(1, D, 31).get(0);
        ProjectionDecoding pd = ProjectionDecoding.create();
        Projection a = pd.project(query, bank);
        Projection b = pd.project(query, minimal);
        assertArrayEquals(a.vector(), b.vector());
        assertEquals(a.contributions(), b.contributions());
    }

    @Test
    void a_bank_that_overrides_only_the_whole_bank_scan_is_read_through_it() {
        int[] wholeScans = {0};
        MemoryBank streaming = new MemoryBank() {
            @Override
            public int size() {
                return bank.size();
            }

            @Override
            public int dimension() {
                return bank.dimension();
            }

            @Override
            public String caption(int index) {
                return bank.caption(index);
            }

            @Override
            public float[] embedding(int index) {
                throw new AssertionError("projection decoding must stream through scan, not embedding(" + index + ")");
            }

            @Override
            public void scan(int blockRows, dev.decap.memory.BlockConsumer consumer) {
                wholeScans[0]++;
                bank.scan(blockRows, consumer);
            }
        };
        float[] query = TestVectors.unitGaussian(1, D, 32).get(0);
        Projection p = ProjectionDecoding.create().project(query, streaming);
        assertEquals(1, wholeScans[0]);
        assertArrayEquals(ProjectionDecoding.create().project(query, bank).vector(), p.vector());
    }

    @Test
    void a_scan_split_across_threads_agrees_with_one_thread() {
        List<float[]> many = TestVectors.gaussian(40_000, 16, 3);
        MemoryBank big = InMemoryMemoryBank.builder().addAll(TestVectors.captions(many.size()), many).build();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            ProjectionDecoding one = ProjectionDecoding.builder().temperature(0.02).build();
            ProjectionDecoding four = ProjectionDecoding.builder().temperature(0.02).parallelism(4).executor(pool)
                    .build();
            List<float[]> queries = TestVectors.unitGaussian(5, 16, 4);
            List<Projection> a = one.projectAll(queries, big);
            List<Projection> b = four.projectAll(queries, big);
            for (int i = 0; i < queries.size(); i++) {
                assertArrayEquals(a.get(i).vector(), b.get(i).vector(), 1e-6f);
                assertEquals(indices(a.get(i)), indices(b.get(i)));
                for (int c = 0; c < a.get(i).contributions().size(); c++) {
                    assertEquals(a.get(i).contributions().get(c).weight(),
                            b.get(i).contributions().get(c).weight(), 1e-6);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrent_callers_get_exactly_the_projections_of_a_single_caller() throws Exception {
        ProjectionDecoding pd = ProjectionDecoding.builder().maxContributions(5).build();
        List<float[]> queries = TestVectors.unitGaussian(24, D, 50);
        List<Projection> expected = new ArrayList<>();
        for (float[] q : queries) {
            expected.add(pd.project(q, bank));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int shift = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < queries.size(); i++) {
                        int q = (i + shift * 5) % queries.size();
                        Projection p = pd.project(queries.get(q), bank);
                        if (!java.util.Arrays.equals(p.vector(), expected.get(q).vector())
                                || !p.contributions().equals(expected.get(q).contributions())) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertTrue(r.get(60, java.util.concurrent.TimeUnit.SECONDS), "a concurrent caller got another result");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void extreme_similarity_gaps_neither_overflow_nor_underflow() {
        float[] query = TestVectors.unitGaussian(1, D, 40).get(0);
        for (double tau : new double[] {1e-9, 1e-30}) {
            Projection p = ProjectionDecoding.builder().temperature(tau).build().project(query, bank);
            for (float x : p.vector()) {
                assertTrue(Float.isFinite(x));
            }
            assertEquals(1.0, p.contributions().get(0).weight(), 1e-6);
        }
    }

    @Test
    void bad_image_embeddings_are_refused() {
        ProjectionDecoding pd = ProjectionDecoding.create();
        InvalidInputException wrong = assertThrows(InvalidInputException.class,
                () -> pd.project(new float[] {1, 2, 3}, bank));
        assertTrue(wrong.getMessage().contains("expected 64, found 3"), wrong.getMessage());
        assertThrows(InvalidInputException.class, () -> pd.project(new float[D], bank));
        float[] nan = TestVectors.unitGaussian(1, D, 1).get(0);
        nan[3] = Float.NaN;
        assertThrows(InvalidInputException.class, () -> pd.project(nan, bank));
        float[] inf = TestVectors.unitGaussian(1, D, 1).get(0);
        inf[3] = Float.NEGATIVE_INFINITY;
        assertThrows(InvalidInputException.class, () -> pd.project(inf, bank));
        assertThrows(InvalidInputException.class, () -> pd.project(TestVectors.unitGaussian(1, D, 1).get(0), null));
        InvalidInputException inBatch = assertThrows(InvalidInputException.class,
                () -> pd.projectAll(List.of(TestVectors.unitGaussian(1, D, 1).get(0), new float[D]), bank));
        assertTrue(inBatch.getMessage().contains("image embedding 1"), inBatch.getMessage());
        InvalidInputException notUnit = assertThrows(InvalidInputException.class,
                () -> pd.project(TestVectors.gaussian(1, D, 1).get(0), bank));
        assertTrue(notUnit.getMessage().contains("Vectors.normalized"), notUnit.getMessage());
    }

    @Test
    void builder_refuses_settings_out_of_range() {
        assertThrows(ConfigurationException.class, () -> ProjectionDecoding.builder().temperature(0).build());
        assertThrows(ConfigurationException.class, () -> ProjectionDecoding.builder().temperature(-1).build());
        assertThrows(ConfigurationException.class,
                () -> ProjectionDecoding.builder().temperature(Double.NaN).build());
        assertThrows(ConfigurationException.class,
                () -> ProjectionDecoding.builder().temperature(Double.POSITIVE_INFINITY).build());
        assertThrows(ConfigurationException.class,
                () -> ProjectionDecoding.builder().temperature(Double.MIN_VALUE).build());
        assertThrows(ConfigurationException.class, () -> ProjectionDecoding.builder().topK(-1).build());
        assertThrows(ConfigurationException.class, () -> ProjectionDecoding.builder().maxContributions(-1).build());
        assertThrows(ConfigurationException.class, () -> ProjectionDecoding.builder().parallelism(0).build());
        ProjectionDecoding defaults = ProjectionDecoding.create();
        assertEquals(0.01, defaults.temperature());
        assertEquals(0, defaults.topK());
        assertEquals(10, defaults.maxContributions());
        assertTrue(defaults.usesMemory());
        assertEquals(0, ProjectionDecoding.builder().maxContributions(0).build()
                .project(TestVectors.unitGaussian(1, D, 2).get(0), bank).contributions().size());
    }

    @Test
    void an_empty_batch_gives_no_projections() {
        assertFalse(ProjectionDecoding.create().projectAll(List.of(), bank).iterator().hasNext());
    }

    private static List<Integer> indices(Projection p) {
        return p.contributions().stream().map(Contribution::index).toList();
    }

    static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, what + ", component " + i);
        }
    }
}
