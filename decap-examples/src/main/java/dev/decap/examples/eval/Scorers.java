package dev.decap.examples.eval;

import dev.decap.eval.CaptionMetrics;

/** The caption scorers available to the evaluation. */
public final class Scorers {
    private Scorers() {
    }

    /**
     * pycocoevalcap's corpus metrics ({@code Bleu_1} .. {@code Bleu_4}, {@code ROUGE_L}, {@code CIDEr}, the last
     * being CIDEr-D) from decap-eval's {@link CaptionMetrics}.
     */
    public static CaptionScorer cocoMetrics() {
        return (references, candidates) -> CaptionMetrics.evaluate(references, candidates).corpus().asMap();
    }
}
