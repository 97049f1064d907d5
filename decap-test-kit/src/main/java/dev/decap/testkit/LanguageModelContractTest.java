package dev.decap.testkit;

import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.decoding.LanguageModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link LanguageModel} (the step-wise decoder that greedy and beam search drive) must do. Extend it and
 * implement {@link #createModel()}; every test then runs against your model.
 *
 * <p>The contract: positive dimensions; one logits row of {@code vocabularySize()} per row, never NaN; the same
 * prefix and tokens give the same logits in any session and any batch (rows are independent); {@code advance}
 * reorders, duplicates and drops rows as its parent rows say; bad arguments are refused with
 * {@link InvalidInputException}; closed sessions and models throw {@link ClosedException}; {@code close()} is
 * idempotent; concurrent sessions on one model give the serial results. Every test is {@code protected}.
 */
public abstract class LanguageModelContractTest {
    private final List<LanguageModel> created = new ArrayList<>();

    /** A new model to test; the kit closes it after each test. */
    protected abstract LanguageModel createModel();

    /** Allowed difference between logits of the same row computed in different batches. Default 1e-4. */
    protected double logitTolerance() {
        return 1e-4;
    }

    private LanguageModel model() {
        LanguageModel m = createModel();
        created.add(m);
        return m;
    }

    @AfterEach
    void closeCreated() {
        for (LanguageModel m : created) {
            m.close();
        }
    }

    /** {@code rows} deterministic unit prefixes of dimension {@code d}. */
    protected static float[][] prefixes(int rows, int d, long seed) {
        Random r = new Random(seed);
        float[][] out = new float[rows][d];
        for (int i = 0; i < rows; i++) {
            double n = 0;
            for (int j = 0; j < d; j++) {
                out[i][j] = (float) r.nextGaussian();
                n += out[i][j] * (double) out[i][j];
            }
            for (int j = 0; j < d; j++) {
                out[i][j] /= (float) Math.sqrt(n);
            }
        }
        return out;
    }

    @Test
    protected void dimensions_are_positive() {
        LanguageModel m = model();
        assertTrue(m.prefixDimension() > 0);
        assertTrue(m.vocabularySize() > 1);
    }

    @Test
    protected void logits_have_one_row_per_sequence_of_vocabulary_size_and_no_nan() {
        LanguageModel m = model();
        try (LanguageModel.Session s = m.start(prefixes(3, m.prefixDimension(), 1))) {
            assertEquals(3, s.rows());
            for (int step = 0; step < 4; step++) {
                float[][] logits = s.logits();
                assertEquals(s.rows(), logits.length);
                for (float[] row : logits) {
                    assertEquals(m.vocabularySize(), row.length);
                    for (float x : row) {
                        assertFalse(Float.isNaN(x), "NaN logit");
                    }
                }
                s.advance(new int[] {1, 2, 3}, new int[] {0, 1, 2});
            }
        }
    }

    @Test
    protected void rows_are_independent_of_their_batch() {
        LanguageModel m = model();
        float[][] p = prefixes(3, m.prefixDimension(), 2);
        int[] tokens = {1, Math.min(5, m.vocabularySize() - 1), 2};
        float[][] batchFirst;
        float[][] batchSecond;
        try (LanguageModel.Session s = m.start(p)) {
            batchFirst = s.logits();
            s.advance(tokens, new int[] {0, 1, 2});
            batchSecond = s.logits();
        }
        for (int r = 0; r < 3; r++) {
            try (LanguageModel.Session s = m.start(new float[][] {p[r]})) {
                assertClose(batchFirst[r], s.logits()[0], "row " + r + ", first step");
                s.advance(new int[] {tokens[r]}, new int[] {0});
                assertClose(batchSecond[r], s.logits()[0], "row " + r + ", second step");
            }
        }
    }

    @Test
    protected void advance_reorders_duplicates_and_drops_rows() {
        LanguageModel m = model();
        float[][] p = prefixes(3, m.prefixDimension(), 3);
        try (LanguageModel.Session s = m.start(p)) {
            s.logits();
            s.advance(new int[] {4 % m.vocabularySize(), 4 % m.vocabularySize()}, new int[] {2, 2});
            assertEquals(2, s.rows());
            float[][] twins = s.logits();
            assertClose(twins[0], twins[1], "a duplicated row");
            try (LanguageModel.Session single = m.start(new float[][] {p[2]})) {
                single.advance(new int[] {4 % m.vocabularySize()}, new int[] {0});
                assertClose(single.logits()[0], twins[0], "row 2 continued");
            }
            s.advance(new int[] {1}, new int[] {1});
            assertEquals(1, s.rows());
            assertEquals(m.vocabularySize(), s.logits()[0].length);
        }
    }

    @Test
    protected void the_same_input_gives_the_same_logits() {
        LanguageModel m = model();
        float[][] p = prefixes(2, m.prefixDimension(), 4);
        float[][] a;
        float[][] b;
        try (LanguageModel.Session s = m.start(p)) {
            a = s.logits();
        }
        try (LanguageModel.Session s = m.start(p)) {
            b = s.logits();
        }
        for (int r = 0; r < 2; r++) {
            assertClose(a[r], b[r], "row " + r);
        }
    }

    @Test
    protected void bad_arguments_are_refused() {
        LanguageModel m = model();
        assertThrows(InvalidInputException.class, () -> m.start(new float[0][]));
        assertThrows(InvalidInputException.class, () -> m.start(new float[][] {new float[m.prefixDimension() + 1]}));
        try (LanguageModel.Session s = m.start(prefixes(2, m.prefixDimension(), 5))) {
            s.logits();
            assertThrows(InvalidInputException.class, () -> s.advance(new int[] {1}, new int[] {0, 1}));
            assertThrows(InvalidInputException.class, () -> s.advance(new int[] {1}, new int[] {2}));
            assertThrows(InvalidInputException.class, () -> s.advance(new int[] {m.vocabularySize()},
                    new int[] {0}));
            assertThrows(InvalidInputException.class, () -> s.advance(new int[] {-1}, new int[] {0}));
        }
    }

    @Test
    protected void closed_sessions_and_models_refuse_work_and_close_is_idempotent() {
        LanguageModel m = createModel();
        LanguageModel.Session s = m.start(prefixes(1, m.prefixDimension(), 6));
        s.close();
        assertDoesNotThrow(s::close);
        assertThrows(ClosedException.class, s::logits);
        m.close();
        assertDoesNotThrow(m::close);
        assertThrows(ClosedException.class, () -> m.start(prefixes(1, m.prefixDimension(), 7)));
    }

    @Test
    protected void concurrent_sessions_give_the_serial_results() throws Exception {
        LanguageModel m = model();
        int threads = 4;
        List<float[][]> inputs = new ArrayList<>();
        List<float[][]> expected = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            float[][] p = prefixes(2, m.prefixDimension(), 100 + t);
            inputs.add(p);
            expected.add(run(m, p));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                float[][] p = inputs.get(t);
                results.add(pool.submit(() -> {
                    float[][] last = null;
                    for (int round = 0; round < 5; round++) {
                        last = run(m, p);
                    }
                    return last;
                }));
            }
            for (int t = 0; t < threads; t++) {
                float[][] got = results.get(t).get(120, TimeUnit.SECONDS);
                for (int r = 0; r < got.length; r++) {
                    assertClose(expected.get(t)[r], got[r], "thread " + t + ", row " + r);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static float[][] run(LanguageModel m, float[][] p) {
        try (LanguageModel.Session s = m.start(p)) {
            s.logits();
            s.advance(new int[] {1, 1}, new int[] {1, 0});
            return s.logits();
        }
    }

    private void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isInfinite(expected[i])) {
                assertEquals(expected[i], actual[i], what + ", id " + i);
            } else {
                assertEquals(expected[i], actual[i], logitTolerance(), what + ", id " + i);
            }
        }
    }
}
