package dev.decap.decoding;

import dev.decap.testkit.FakeLanguageModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BeamSearchTest {
    private static final int EOT = 3;
    private static final float[][] ONE_PREFIX = {{1f}};

    /**
     * The hand-computed example (docs/decoding.md). Step 0: alive [0] (.5), [1] (.3). Step 1: [0,EOT] finishes
     * (.5*.6 = .3), alive [1,1] (.21), [0,2] (.1). Step 2: [1,1,EOT] (.084) and [0,2,EOT] (.08) finish: three
     * finished >= width 2, stop.
     */
    private static FakeLanguageModel handExample() {
        Map<List<Integer>, double[]> table = Map.of(
                List.of(), new double[] {0.5, 0.3, 0.1, 0.1},
                List.of(0), new double[] {0.1, 0.1, 0.2, 0.6},
                List.of(1), new double[] {0.1, 0.7, 0.1, 0.1},
                List.of(1, 1), new double[] {0.25, 0.25, 0.1, 0.4},
                List.of(0, 2), new double[] {0.05, 0.05, 0.1, 0.8});
        return FakeLanguageModel.ofProbabilities(4, table, new double[] {0.25, 0.25, 0.25, 0.25});
    }

    @Test
    void beam_search_follows_the_hand_computed_example() {
        FakeLanguageModel model = handExample();
        Hypothesis h = BeamSearch.search(model, ONE_PREFIX, SearchConstraints.of(EOT, 30, 0), 2, 1.0).get(0);
        assertArrayEquals(new int[] {0, EOT}, h.tokens());
        assertEquals(Math.log(0.3) / 2, h.score(), 1e-6);
        assertEquals(Math.log(0.5), h.logProbs()[0], 1e-6);
        assertEquals(Math.log(0.6), h.logProbs()[1], 1e-6);
        // one row at step 0, two beams afterwards, and the search stops after step 2
        assertEquals(List.of(1, 2, 2), model.rowsPerStep());
        assertEquals(0, model.openSessions());
    }

    @Test
    void a_larger_length_penalty_favours_the_longer_hypothesis() {
        SearchConstraints c = SearchConstraints.of(EOT, 30, 0);
        Hypothesis plain = BeamSearch.search(handExample(), ONE_PREFIX, c, 2, 0.0).get(0);
        assertArrayEquals(new int[] {0, EOT}, plain.tokens());
        assertEquals(Math.log(0.3), plain.score(), 1e-6);
        // ln(.3)/2^2 = -0.301 < ln(.084)/3^2 = -0.275
        Hypothesis strong = BeamSearch.search(handExample(), ONE_PREFIX, c, 2, 2.0).get(0);
        assertArrayEquals(new int[] {1, 1, EOT}, strong.tokens());
        assertEquals(Math.log(0.084) / 9, strong.score(), 1e-6);
    }

    @Test
    void beams_still_alive_at_max_tokens_become_hypotheses_normalised_by_their_length() {
        // max 1 token: nothing finished at step 0, so the alive [0] (.5) and [1] (.3) become hypotheses.
        Hypothesis one = BeamSearch.search(handExample(), ONE_PREFIX, SearchConstraints.of(EOT, 1, 0), 2, 1.0)
                .get(0);
        assertArrayEquals(new int[] {0}, one.tokens());
        assertEquals(Math.log(0.5), one.score(), 1e-6);
        assertEquals(false, one.endedWithEndOfText());
        // max 2 tokens, penalty 0: [0,EOT] (.3) finished at step 1 and beats the alive [1,1] (.21) and [0,2] (.1).
        Hypothesis two = BeamSearch.search(handExample(), ONE_PREFIX, SearchConstraints.of(EOT, 2, 0), 2, 0.0)
                .get(0);
        assertArrayEquals(new int[] {0, EOT}, two.tokens());
        // min tokens 2 blocks EOT at both steps; renormalised without it, [0,2] = (.5/.9)*(.2/.4) = .278 beats
        // [1,1] = (.3/.9)*(.7/.9) = .259.
        Hypothesis blocked = BeamSearch.search(handExample(), ONE_PREFIX, SearchConstraints.of(EOT, 2, 2), 2, 0.0)
                .get(0);
        assertArrayEquals(new int[] {0, 2}, blocked.tokens());
        assertEquals(Math.log(0.5 / 0.9) + Math.log(0.5), blocked.score(), 1e-6);
    }

    @Test
    void ties_between_candidates_go_to_the_lower_token_id() {
        // Uniform logits: every candidate ties; the walk keeps ids 0 and 1 of beam 0 first.
        FakeLanguageModel model = new FakeLanguageModel(1, 5, (p, h) -> new float[5]);
        Hypothesis h = BeamSearch.search(model, ONE_PREFIX, SearchConstraints.of(4, 3, 0), 2, 0.0).get(0);
        assertArrayEquals(new int[] {0, 0, 0}, h.tokens());
    }

    @Test
    void width_one_beam_without_length_penalty_equals_greedy() {
        for (int seed = 0; seed < 20; seed++) {
            FakeLanguageModel model = FakeLanguageModel.random(3, 40, 2.5f);
            float[][] prefixes = {{seed, 1, 2}, {seed, 5, 7}, {-seed, 0, 1}};
            SearchConstraints c = new SearchConstraints(7, maskEvery(40, 5), 12, 2);
            List<Hypothesis> greedy = GreedySearch.search(model, prefixes, c);
            List<Hypothesis> beam = BeamSearch.search(model, prefixes, c, 1, 0.0);
            for (int i = 0; i < prefixes.length; i++) {
                assertArrayEquals(greedy.get(i).tokens(), beam.get(i).tokens(), "seed " + seed + " prefix " + i);
                assertArrayEquals(greedy.get(i).logProbs(), beam.get(i).logProbs(), 0f);
                assertEquals(greedy.get(i).score(), beam.get(i).score(), 1e-4);
            }
        }
    }

    @Test
    void a_batch_of_prefixes_ending_at_different_steps_matches_searching_each_alone() {
        FakeLanguageModel model = FakeLanguageModel.random(2, 12, 3f);
        float[][] prefixes = new float[9][];
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = new float[] {i, i * 0.5f};
        }
        SearchConstraints c = SearchConstraints.of(5, 15, 0);
        List<Hypothesis> batch = BeamSearch.search(model, prefixes, c, 3, 1.0);
        java.util.Set<Integer> lengths = new java.util.HashSet<>();
        for (int i = 0; i < prefixes.length; i++) {
            Hypothesis alone = BeamSearch.search(model, new float[][] {prefixes[i]}, c, 3, 1.0).get(0);
            assertEquals(alone, batch.get(i), "prefix " + i);
            lengths.add(batch.get(i).length());
        }
        assertTrue(lengths.size() > 1, "the example should end at different steps: " + lengths);
        assertEquals(0, model.openSessions());
    }

    @Test
    void beam_log_probs_are_the_chosen_tokens_log_softmax_and_the_score_is_their_normalised_sum() {
        FakeLanguageModel model = FakeLanguageModel.random(2, 30, 2f);
        SearchConstraints c = SearchConstraints.of(2, 10, 0);
        Hypothesis h = BeamSearch.search(model, new float[][] {{1, 2}}, c, 4, 0.7).get(0);
        int[] t = h.tokens();
        float[] lp = h.logProbs();
        for (int i = 0; i < t.length; i++) {
            int[] history = java.util.Arrays.copyOf(t, i);
            float[] expected = LogProbs.logSoftmax(logitsAfter(model, new float[] {1, 2}, history));
            assertEquals(expected[t[i]], lp[i], 1e-6, "token " + i);
        }
        assertEquals(h.logProbSum() / Math.pow(t.length, 0.7), h.score(), 1e-5);
    }

    private static float[] logitsAfter(FakeLanguageModel model, float[] prefix, int[] history) {
        try (LanguageModel.Session s = model.start(new float[][] {prefix})) {
            for (int t : history) {
                s.advance(new int[] {t}, new int[] {0});
            }
            return s.logits()[0];
        }
    }

    private static boolean[] maskEvery(int n, int k) {
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i += k) {
            m[i] = true;
        }
        return m;
    }
}
