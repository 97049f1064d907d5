package dev.decap.eval;

import dev.decap.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small cases computed by hand from coco-caption's formulas. */
class CaptionMetricsTest {

    private static final double EPS = 1e-9;

    private static CaptionEvaluation one(String candidate, String... references) {
        return CaptionMetrics.evaluateTokenized(Map.of("1", List.of(references)), Map.of("1", candidate));
    }

    @Test
    void bleu_of_an_exact_match_is_one() {
        CaptionScores s = one("a b c d", "a b c d").corpus();
        for (int n = 1; n <= 4; n++) {
            assertEquals(1.0, s.bleu(n), 1e-8);
        }
    }

    @Test
    void bleu_applies_the_brevity_penalty_of_the_closest_reference() {
        // 3 words against 6: every n-gram matches, penalty exp(1 - 6/3) = e^-1
        CaptionScores s = one("the cat sat", "the cat sat on the mat").corpus();
        assertEquals(Math.exp(-1), s.bleu1(), 1e-8);
        assertEquals(Math.exp(-1), s.bleu2(), 1e-8);
        // lengths 3 and 5 are equally close to 4: the shorter wins, so there is no penalty
        assertEquals(1.0, one("a b c d", "a b c", "a b c d e").corpus().bleu1(), 1e-8);
    }

    @Test
    void bleu_clips_candidate_counts_by_the_reference_counts() {
        assertEquals(1.0 / 3, one("the the the", "the cat").corpus().bleu1(), 1e-8);
    }

    @Test
    void corpus_bleu_sums_counts_over_images_instead_of_averaging() {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        refs.put("1", List.of("a b"));
        refs.put("2", List.of("c d e f"));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a b");
        cands.put("2", "c x y z");
        CaptionEvaluation r = CaptionMetrics.evaluateTokenized(refs, cands);
        assertEquals(3.0 / 6, r.corpus().bleu1(), 1e-8); // (2 + 1) matches of (2 + 4) words
        assertEquals(0.25, r.perImage().get("2").bleu1(), 1e-8);
    }

    @Test
    void rouge_l_is_the_lcs_f_measure_with_beta_1_2() {
        // LCS("a b c d", "a c d e f") = 3: P = 3/4, R = 3/5
        double p = 0.75;
        double r = 0.6;
        assertEquals((1 + 1.44) * p * r / (r + 1.44 * p), one("a b c d", "a c d e f").corpus().rougeL(), EPS);
    }

    @Test
    void rouge_l_takes_the_best_precision_and_the_best_recall_separately() {
        // "a b": P = 1/2, R = 1; "a b c d e f g h": P = 1, R = 1/2; maxima P = 1 and R = 1 give F = 1
        assertEquals(1.0, one("a b c d", "a b", "a b c d e f g h").corpus().rougeL(), EPS);
        assertEquals(0.0, one("", "a b").corpus().rougeL(), EPS);
    }

    @Test
    void cider_d_is_zero_for_a_single_image_because_every_idf_is_zero() {
        assertEquals(0.0, one("a b", "a b").corpus().cider(), EPS);
    }

    @Test
    void cider_d_of_exact_matches_counts_only_the_orders_present() {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        refs.put("1", List.of("a b"));
        refs.put("2", List.of("c d"));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a b");
        cands.put("2", "c d");
        CaptionEvaluation r = CaptionMetrics.evaluateTokenized(refs, cands);
        // cosine 1 for unigrams and bigrams, 0 for the empty 3- and 4-gram vectors: 10 * (1 + 1) / 4
        assertEquals(5.0, r.perImage().get("1").cider(), EPS);
        assertEquals(5.0, r.corpus().cider(), EPS);
    }

    @Test
    void cider_d_applies_the_gaussian_length_penalty() {
        Map<String, List<String>> refs = new LinkedHashMap<>();
        refs.put("1", List.of("a b c"));
        refs.put("2", List.of("x y"));
        Map<String, String> cands = new LinkedHashMap<>();
        cands.put("1", "a b c a b c");
        cands.put("2", "x y");
        CaptionEvaluation r = CaptionMetrics.evaluateTokenized(refs, cands);
        // every weight is tf * log 2 (N = 2, each n-gram in one image at most). Clipped cosines: unigrams
        // a,b,c:2 vs 1 -> 3/(2*3) = 1/2; bigrams ab:2 bc:2 ca:1 vs ab bc -> 2/(3*sqrt 2); trigrams abc:2 bca cab vs
        // abc -> 1/sqrt 6; no 4-grams in the reference -> 0. 5 bigrams against 2: penalty e^(-9/72)
        double penalty = Math.exp(-9.0 / 72);
        double expected = 10 * (0.5 + 2 / (3 * Math.sqrt(2)) + 1 / Math.sqrt(6) + 0) / 4 * penalty;
        assertEquals(expected, r.perImage().get("1").cider(), 1e-9);
    }

    @Test
    void evaluate_tokenises_before_scoring() {
        CaptionEvaluation r = CaptionMetrics.evaluate(Map.of("7", List.of("A Dog, running!")), Map.of("7", "a dog running"));
        assertEquals("a dog running", r.tokenizedCandidates().get("7"));
        assertEquals(List.of("a dog running"), r.tokenizedReferences().get("7"));
        assertEquals(1.0, r.corpus().rougeL(), EPS);
        assertEquals(List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"),
                List.copyOf(r.corpus().asMap().keySet()));
    }

    @Test
    void scores_only_images_with_a_candidate() {
        Map<String, List<String>> refs = Map.of("1", List.of("a b"), "2", List.of("c d"));
        CaptionEvaluation r = CaptionMetrics.evaluate(refs, Map.of("1", "a b"));
        assertEquals(1, r.size());
        assertEquals(0.0, r.corpus().cider(), EPS); // one image scored: N = 1
    }

    @Test
    void rejects_empty_maps_and_images_without_references() {
        InvalidInputException noRefs = assertThrows(InvalidInputException.class,
                () -> CaptionMetrics.evaluate(Map.of("1", List.of("a")), Map.of("2", "a")));
        assertTrue(noRefs.getMessage().contains("image 2 has a candidate but no references"), noRefs.getMessage());
        assertThrows(InvalidInputException.class, () -> CaptionMetrics.evaluate(Map.of(), Map.of("1", "a")));
        assertThrows(InvalidInputException.class, () -> CaptionMetrics.evaluate(Map.of("1", List.of("a")), Map.of()));
        assertThrows(InvalidInputException.class, () -> CaptionMetrics.evaluate(null, Map.of("1", "a")));
        assertThrows(InvalidInputException.class,
                () -> CaptionMetrics.evaluate(Map.of("1", List.of()), Map.of("1", "a")));
    }

    @Test
    void results_are_immutable() {
        CaptionEvaluation r = one("a b", "a b");
        assertThrows(UnsupportedOperationException.class, () -> r.perImage().clear());
        assertThrows(UnsupportedOperationException.class, () -> r.tokenizedReferences().get("1").clear());
    }
}
