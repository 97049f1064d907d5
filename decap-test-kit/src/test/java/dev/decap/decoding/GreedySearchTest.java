package dev.decap.decoding;

import dev.decap.InferenceException;
import dev.decap.testkit.FakeLanguageModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GreedySearchTest {
    private static final int EOT = 3;
    private static final float[][] ONE_PREFIX = {{1f}};

    private static FakeLanguageModel fixed(float[] logits) {
        return new FakeLanguageModel(1, logits.length, (p, h) -> logits.clone());
    }

    @Test
    void greedy_picks_the_argmax_and_the_first_index_on_ties() {
        FakeLanguageModel model = fixed(new float[] {0.5f, 2f, 2f, -1f, 2f});
        Hypothesis h = GreedySearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 4, 0)).get(0);
        assertArrayEquals(new int[] {1, 1, 1, 1}, h.tokens());
        assertFalse(h.endedWithEndOfText());
    }

    @Test
    void greedy_stops_after_appending_end_of_text_and_reports_it() {
        Map<List<Integer>, double[]> table = Map.of(
                List.of(), new double[] {0.1, 0.6, 0.2, 0.1},
                List.of(1), new double[] {0.1, 0.1, 0.7, 0.1},
                List.of(1, 2), new double[] {0.2, 0.1, 0.1, 0.6});
        FakeLanguageModel model = FakeLanguageModel.ofProbabilities(4, table, new double[] {.25, .25, .25, .25});
        Hypothesis h = GreedySearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 30, 0)).get(0);
        assertArrayEquals(new int[] {1, 2, EOT}, h.tokens());
        assertTrue(h.endedWithEndOfText());
        float[] lp = h.logProbs();
        assertEquals(Math.log(0.6), lp[0], 1e-6);
        assertEquals(Math.log(0.7), lp[1], 1e-6);
        assertEquals(Math.log(0.6), lp[2], 1e-6);
        assertEquals(Math.log(0.6 * 0.7 * 0.6), h.score(), 1e-5);
        assertEquals(List.of(1, 1, 1), model.rowsPerStep());
        assertEquals(0, model.openSessions());
    }

    @Test
    void greedy_stops_at_max_tokens() {
        FakeLanguageModel model = fixed(new float[] {0f, 5f, 0f, 0f});
        Hypothesis h = GreedySearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 7, 0)).get(0);
        assertEquals(7, h.length());
        assertFalse(h.endedWithEndOfText());
        assertEquals(7, model.rowsPerStep().size());
    }

    @Test
    void min_tokens_blocks_end_of_text_until_enough_tokens_were_generated() {
        FakeLanguageModel model = fixed(new float[] {1f, 0f, 0f, 5f});
        Hypothesis h = GreedySearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 30, 3)).get(0);
        assertArrayEquals(new int[] {0, 0, 0, EOT}, h.tokens());
        // While EOT is blocked, its probability mass goes to the other ids: log-softmax of (1, 0, 0).
        double lse = Math.log(Math.exp(1) + 2);
        assertEquals(1 - lse, h.logProbs()[0], 1e-6);
        double lse4 = Math.log(Math.exp(1) + 2 + Math.exp(5));
        assertEquals(5 - lse4, h.logProbs()[3], 1e-6);
    }

    @Test
    void masked_ids_are_never_chosen_and_their_mass_is_removed() {
        FakeLanguageModel model = fixed(new float[] {1f, 9f, 2f, 0f});
        boolean[] mask = {false, true, false, false};
        Hypothesis h = GreedySearch.search(model, ONE_PREFIX, new SearchConstraints(EOT, mask, 2, 0)).get(0);
        assertArrayEquals(new int[] {2, 2}, h.tokens());
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(0));
        assertEquals(2 - lse, h.logProbs()[0], 1e-6);
    }

    @Test
    void a_batch_decodes_like_each_prefix_alone_and_finished_rows_leave_it() {
        // Prefix k emits token 0 k times, then EOT; the fourth never ends.
        FakeLanguageModel model = new FakeLanguageModel(1, 5, (p, h) -> {
            int k = (int) p[0];
            float[] logits = new float[5];
            logits[h.length < k || k < 0 ? 0 : EOT] = 3f;
            logits[4] = 1f;
            return logits;
        });
        float[][] prefixes = {{2f}, {0f}, {5f}, {-1f}};
        SearchConstraints c = SearchConstraints.of(EOT, 8, 0);
        List<Hypothesis> batch = GreedySearch.search(model, prefixes, c);
        assertEquals(List.of(4, 3, 3, 2, 2, 2, 1, 1), model.rowsPerStep());
        for (int i = 0; i < prefixes.length; i++) {
            Hypothesis alone = GreedySearch.search(model, new float[][] {prefixes[i]}, c).get(0);
            assertEquals(alone, batch.get(i), "prefix " + i);
        }
        assertArrayEquals(new int[] {0, 0, EOT}, batch.get(0).tokens());
        assertArrayEquals(new int[] {EOT}, batch.get(1).tokens());
        assertEquals(8, batch.get(3).length());
    }

    @Test
    void nan_logits_fail_with_an_inference_exception_and_the_session_is_closed() {
        FakeLanguageModel model = fixed(new float[] {0f, Float.NaN, 0f, 0f});
        InferenceException e = assertThrows(InferenceException.class,
                () -> GreedySearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 3, 0)));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertEquals(0, model.openSessions());
    }
}
