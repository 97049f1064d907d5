package dev.decap.testkit;

import dev.decap.InvalidInputException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.Projector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Projector} must do. Extend it, implement {@link #createProjector()} and
 * {@link #expectedProjection}, and every test runs against your projector:
 *
 * <pre>{@code
 * class MyProjectorTest extends ProjectorContractTest {
 *     protected Projector createProjector() { return new MyProjector(); }
 *     protected double[] expectedProjection(List<float[]> memory, float[] query) {
 *         return ReferenceProjection.of(memory, query, 0.01, 0).vector;   // it computes DeCap's PD
 *     }
 * }
 * }</pre>
 *
 * <p>The contract: projections are unit vectors equal to the reference within {@link #projectionTolerance()};
 * {@code projectAll} gives the results of {@code project} one by one; contributions name real entries with their
 * caption, in decreasing weight, with weights in [0, 1] summing to at most 1; bad input is refused with
 * {@link InvalidInputException}; concurrent callers see the serial results; {@code close()} of a closeable
 * projector is idempotent. Queries handed to a projector are unit vectors (the captioner normalises them once).
 * Every test is {@code protected} so that a subclass can override one to document a deliberate difference.
 */
public abstract class ProjectorContractTest {
    /** Dimension of the standard test data (odd, to exercise kernels' remainder loops). */
    protected static final int DIMENSION = 29;
    /** Entries of the standard memory bank. */
    protected static final int SIZE = 777;

    private final List<float[]> memoryVectors = TestVectors.gaussian(SIZE, DIMENSION, 21);
    private MemoryBank bank;
    private final List<Projector> created = new ArrayList<>();

    /** A new projector to test; the kit closes it after each test when it is {@link AutoCloseable}. */
    protected abstract Projector createProjector();

    /**
     * What the projector should produce for {@code query} over the raw {@code memory} vectors (not unit length), in
     * double precision; see {@link ReferenceProjection} for PD, NND and visual decoding.
     */
    protected abstract double[] expectedProjection(List<float[]> memory, float[] query);

    /** Allowed per-component difference from the reference. Default 1e-5 (float arithmetic). */
    protected double projectionTolerance() {
        return 1e-5;
    }

    /**
     * Allowed difference between a contribution's similarity and the exact cosine. Default 1e-4; a bank of
     * reduced precision ({@link #createBank}) needs its own.
     */
    protected double similarityTolerance() {
        return 1e-4;
    }

    /** Allowed per-component difference between a batch result and the single result. Default 1e-5. */
    protected double batchTolerance() {
        return 1e-5;
    }

    private Projector projector() {
        Projector p = createProjector();
        created.add(p);
        return p;
    }

    /**
     * Creates the bank every test projects onto, holding {@code captions.get(i)} with the direction of
     * {@code vectors.get(i)} (not unit length). Default: an {@link InMemoryMemoryBank}. Override it to hold a
     * projector to the contract over another storage (a bank file of reduced precision, say), and
     * {@link #projectionTolerance()} to that storage's precision: the reference is computed from the vectors as
     * given.
     */
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        return InMemoryMemoryBank.builder().addAll(captions, vectors).build();
    }

    /** The standard memory bank (777 entries of dimension 29), created once per test by {@link #createBank}. */
    protected MemoryBank standardBank() {
        if (bank == null) {
            bank = createBank(TestVectors.captions(SIZE), memoryVectors);
        }
        return bank;
    }

    /** Unit queries of the standard dimension. */
    protected static List<float[]> unitQueries(int count, long seed) {
        List<float[]> out = new ArrayList<>();
        for (float[] q : TestVectors.gaussian(count, DIMENSION, seed)) {
            double[] u = TestVectors.unit(q);
            float[] f = new float[u.length];
            for (int i = 0; i < u.length; i++) {
                f[i] = (float) u[i];
            }
            out.add(f);
        }
        return out;
    }

    @AfterEach
    void closeCreated() throws Exception {
        for (Projector p : created) {
            if (p instanceof AutoCloseable c) {
                c.close();
            }
        }
    }

    @Test
    protected void projections_are_unit_vectors_equal_to_the_reference() {
        Projector p = projector();
        for (float[] q : unitQueries(6, 3)) {
            Projection projection = p.project(q, standardBank());
            double[] expected = expectedProjection(memoryVectors, q);
            float[] v = projection.vector();
            assertEquals(DIMENSION, v.length);
            assertEquals(1.0, Math.sqrt(TestVectors.dot(toDouble(v), toDouble(v))), 1e-5, "not a unit vector");
            for (int j = 0; j < DIMENSION; j++) {
                assertEquals(expected[j], v[j], projectionTolerance(), "component " + j);
            }
        }
    }

    @Test
    protected void a_batch_gives_the_single_results_in_order() {
        Projector p = projector();
        for (int size : new int[] {1, 2, 3, 5, 17}) {
            List<float[]> queries = unitQueries(size, 40 + size);
            List<Projection> batch = p.projectAll(queries, standardBank());
            assertEquals(size, batch.size());
            for (int i = 0; i < size; i++) {
                float[] single = p.project(queries.get(i), standardBank()).vector();
                float[] inBatch = batch.get(i).vector();
                for (int j = 0; j < DIMENSION; j++) {
                    assertEquals(single[j], inBatch[j], batchTolerance(), "query " + i + " of " + size
                            + ", component " + j);
                }
            }
        }
        assertEquals(List.of(), p.projectAll(List.of(), standardBank()));
    }

    @Test
    protected void contributions_name_real_entries_in_decreasing_weight() {
        Projector p = projector();
        for (float[] q : unitQueries(4, 8)) {
            List<Contribution> contributions = p.project(q, standardBank()).contributions();
            double total = 0;
            for (int i = 0; i < contributions.size(); i++) {
                Contribution c = contributions.get(i);
                assertTrue(c.index() >= 0 && c.index() < SIZE, "index " + c.index());
                assertEquals(standardBank().caption(c.index()), c.caption());
                assertTrue(c.weight() >= 0 && c.weight() <= 1 + 1e-6, "weight " + c.weight());
                if (i > 0) {
                    assertTrue(contributions.get(i - 1).weight() >= c.weight(), "contributions out of order");
                }
                double sim = TestVectors.dot(TestVectors.unit(memoryVectors.get(c.index())), toDouble(q));
                assertEquals(sim, c.similarity(), similarityTolerance(), "similarity of entry " + c.index());
                total += c.weight();
            }
            assertTrue(total <= 1 + 1e-5, "weights sum to " + total);
        }
    }

    @Test
    protected void bad_input_is_refused_with_a_message() {
        Projector p = projector();
        InvalidInputException wrong = assertThrows(InvalidInputException.class,
                () -> p.project(new float[DIMENSION + 3], standardBank()));
        assertTrue(wrong.getMessage().contains("expected " + DIMENSION + ", found " + (DIMENSION + 3)),
                wrong.getMessage());
        float[] nan = unitQueries(1, 5).get(0);
        nan[2] = Float.NaN;
        assertThrows(InvalidInputException.class, () -> p.project(nan, standardBank()));
        assertThrows(RuntimeException.class, () -> p.project(null, standardBank()));
        if (p.usesMemory()) {
            assertThrows(InvalidInputException.class, () -> p.project(unitQueries(1, 6).get(0), null));
        }
    }

    @Test
    protected void concurrent_callers_see_the_serial_results() throws Exception {
        Projector p = projector();
        List<float[]> queries = unitQueries(12, 77);
        List<float[]> expected = new ArrayList<>();
        for (float[] q : queries) {
            expected.add(p.project(q, standardBank()).vector());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int offset = t;
                Callable<Boolean> task = () -> {
                    for (int round = 0; round < 3; round++) {
                        for (int i = 0; i < queries.size(); i++) {
                            int q = (i + offset) % queries.size();
                            float[] v = p.project(queries.get(q), standardBank()).vector();
                            for (int j = 0; j < DIMENSION; j++) {
                                if (Math.abs(v[j] - expected.get(q)[j]) > batchTolerance()) {
                                    return false;
                                }
                            }
                        }
                        List<Projection> all = p.projectAll(queries, standardBank());
                        for (int i = 0; i < queries.size(); i++) {
                            for (int j = 0; j < DIMENSION; j++) {
                                if (Math.abs(all.get(i).vector()[j] - expected.get(i)[j]) > batchTolerance()) {
                                    return false;
                                }
                            }
                        }
                    }
                    return true;
                };
                results.add(pool.submit(task));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(120, TimeUnit.SECONDS), "a concurrent caller saw different results");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    protected void close_is_idempotent_when_closeable() {
        Projector p = projector();
        if (p instanceof AutoCloseable c) {
            assertDoesNotThrow(() -> {
                c.close();
                c.close();
            });
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
