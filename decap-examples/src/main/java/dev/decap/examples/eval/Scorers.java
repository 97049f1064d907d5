package dev.decap.examples.eval;

/** The caption scorers available to the evaluation. */
public final class Scorers {
    private Scorers() {
    }

    /** BLEU-4 and CIDEr-D with pycocoevalcap parity, once decap-eval is on the classpath; until then none. */
    public static CaptionScorer cocoMetrics() {
        return CaptionScorer.NONE;
    }
}
