package dev.decap.examples.eval;

import java.util.List;
import java.util.Map;

/**
 * Corpus-level caption metrics of candidates against references (image id to captions), by metric name
 * ({@code Bleu_4}, {@code CIDEr}, ... as pycocoevalcap names them). The evaluation calls it once per row.
 */
@FunctionalInterface
public interface CaptionScorer {
    /** Scores nothing: the evaluation then reports facts only. */
    CaptionScorer NONE = (references, candidates) -> Map.of();

    /** Corpus scores by metric name; empty when this scorer computes none. */
    Map<String, Double> score(Map<String, List<String>> references, Map<String, String> candidates);
}
