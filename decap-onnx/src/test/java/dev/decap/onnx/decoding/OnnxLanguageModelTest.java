package dev.decap.onnx.decoding;

import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import dev.decap.decoding.LanguageModel;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.internal.GatherGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxLanguageModelTest {
    private static OnnxLanguageModel gather;
    private static OnnxLanguageModel copy;

    @BeforeAll
    static void load() {
        Path decoder = Fixtures.require(Fixtures.tiny().resolve("decoder.onnx"));
        gather = OnnxLanguageModel.open(decoder);
        copy = OnnxLanguageModel.builder().model(decoder)
                .cacheReorder(OnnxLanguageModel.CacheReorder.JAVA_COPY).build();
    }

    @AfterAll
    static void close() {
        if (gather != null) {
            gather.close();
            copy.close();
        }
    }

    static float[][] prefixes(int n, int dim, long seed) {
        Random r = new Random(seed);
        float[][] p = new float[n][dim];
        for (float[] row : p) {
            double norm = 0;
            for (int i = 0; i < dim; i++) {
                row[i] = (float) r.nextGaussian();
                norm += row[i] * row[i];
            }
            for (int i = 0; i < dim; i++) {
                row[i] /= (float) Math.sqrt(norm);
            }
        }
        return p;
    }

    /** Logits of one prefix fed alone, token by token. */
    private static float[] alone(OnnxLanguageModel m, float[] prefix, int... tokens) {
        try (LanguageModel.Session s = m.start(new float[][] {prefix})) {
            for (int t : tokens) {
                s.advance(new int[] {t}, new int[] {0});
            }
            return s.logits()[0];
        }
    }

    @Test
    void the_model_reports_the_dimensions_of_its_inputs_and_outputs() {
        assertTrue(gather.layers() > 0);
        assertTrue(gather.heads() > 0);
        assertTrue(gather.prefixDimension() > 0);
        assertTrue(gather.vocabularySize() > 0);
    }

    @Test
    void a_row_in_a_batch_scores_like_the_same_prefix_alone_at_every_step() {
        float[][] p = prefixes(3, gather.prefixDimension(), 1);
        try (LanguageModel.Session s = gather.start(p)) {
            float[][] first = s.logits();
            assertEquals(3, first.length);
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(alone(gather, p[r]), first[r], 1e-4f, "row " + r);
            }
            s.advance(new int[] {5, 6, 7}, new int[] {0, 1, 2});
            s.advance(new int[] {8, 9, 10}, new int[] {0, 1, 2});
            float[][] third = s.logits();
            assertArrayEquals(alone(gather, p[1], 6, 9), third[1], 1e-4f);
        }
    }

    @Test
    void reordered_and_duplicated_rows_continue_their_parents_cache() {
        float[][] p = prefixes(3, gather.prefixDimension(), 2);
        for (OnnxLanguageModel m : new OnnxLanguageModel[] {gather, copy}) {
            try (LanguageModel.Session s = m.start(p)) {
                s.advance(new int[] {11, 12, 13}, new int[] {0, 1, 2});
                // row 0 <- old 2, rows 1 and 2 <- old 0 (duplicated), old 1 dropped
                s.advance(new int[] {21, 22, 23}, new int[] {2, 0, 0});
                assertEquals(3, s.rows());
                float[][] l = s.logits();
                assertArrayEquals(alone(m, p[2], 13, 21), l[0], 1e-4f, m.cacheReorder().toString());
                assertArrayEquals(alone(m, p[0], 11, 22), l[1], 1e-4f);
                assertArrayEquals(alone(m, p[0], 11, 23), l[2], 1e-4f);
                s.advance(new int[] {31}, new int[] {1});
                assertArrayEquals(alone(m, p[0], 11, 22, 31), s.logits()[0], 1e-4f);
            }
        }
    }

    @Test
    void both_cache_reorder_strategies_give_identical_logits() {
        float[][] p = prefixes(2, gather.prefixDimension(), 3);
        try (LanguageModel.Session a = gather.start(p); LanguageModel.Session b = copy.start(p)) {
            for (int step = 0; step < 6; step++) {
                float[][] la = a.logits();
                float[][] lb = b.logits();
                for (int r = 0; r < la.length; r++) {
                    assertArrayEquals(la[r], lb[r], 0f);
                }
                int[] parents = step % 2 == 0 ? new int[] {1, 0} : new int[] {0, 0};
                int[] tokens = {step + 1, step + 40};
                a.advance(tokens, parents);
                b.advance(tokens, parents);
            }
        }
    }

    @Test
    void bad_advance_arguments_are_refused_before_changing_the_session_and_closed_sessions_fail_clearly() {
        float[][] p = prefixes(2, gather.prefixDimension(), 4);
        LanguageModel.Session s = gather.start(p);
        InvalidInputException range = assertThrows(InvalidInputException.class,
                () -> s.advance(new int[] {1}, new int[] {2}));
        assertTrue(range.getMessage().contains("expected 0..1"), range.getMessage());
        // arguments are checked before anything changes: the session is still usable
        assertEquals(2, s.logits().length);
        s.close();
        assertThrows(ClosedException.class, s::logits);
        LanguageModel.Session t = gather.start(p);
        assertThrows(InvalidInputException.class,
                () -> t.advance(new int[] {gather.vocabularySize()}, new int[] {0}));
        t.close();
        InvalidInputException dim = assertThrows(InvalidInputException.class,
                () -> gather.start(new float[][] {new float[3]}));
        assertTrue(dim.getMessage().contains("expected " + gather.prefixDimension() + ", found 3"));
    }

    @Test
    void a_closed_model_refuses_new_sessions_and_steps() {
        OnnxLanguageModel m = OnnxLanguageModel.open(Fixtures.tiny().resolve("decoder.onnx"));
        LanguageModel.Session s = m.start(prefixes(1, m.prefixDimension(), 5));
        m.close();
        m.close();
        assertThrows(ClosedException.class, () -> s.advance(new int[] {1}, new int[] {0}));
        s.close();
        ClosedException e = assertThrows(ClosedException.class, () -> m.start(prefixes(1, m.prefixDimension(), 5)));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void missing_corrupt_and_foreign_model_files_fail_with_the_file_named(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nothing.onnx");
        ModelException m1 = assertThrows(ModelException.class, () -> OnnxLanguageModel.open(missing));
        assertTrue(m1.getMessage().contains(missing.toString()), m1.getMessage());
        Path corrupt = Files.write(dir.resolve("corrupt.onnx"), new byte[] {1, 2, 3, 4, 5, 6, 7});
        ModelException m2 = assertThrows(ModelException.class, () -> OnnxLanguageModel.open(corrupt));
        assertTrue(m2.getMessage().contains(corrupt.toString()), m2.getMessage());
        Path foreign = Files.write(dir.resolve("gather.onnx"), GatherGraph.model(2, 4));
        ModelException m3 = assertThrows(ModelException.class, () -> OnnxLanguageModel.open(foreign));
        assertTrue(m3.getMessage().contains("prefix"), m3.getMessage());
    }
}
