package dev.decap.decoding;

import java.util.Arrays;

/**
 * A finished search result in the language model's own ids: the searches' internal result, which
 * {@link StepCaptionDecoder} turns into the public {@link DecodedCaption}. Not API.
 *
 * @param tokens            the generated model ids, including the final end-of-text id when the sequence ended with
 *                          it
 * @param logProbs          the natural-log probability of each token (masked and normalised as the search saw it)
 * @param score             the score the search ranked by: the plain sum of {@code logProbs} for greedy decoding;
 *                          {@code sum / tokens.length^lengthPenalty} for beam search
 * @param endedWithEndOfText whether the last token is the end-of-text id (false when the token limit stopped it)
 */
record Hypothesis(int[] tokens, float[] logProbs, double score, boolean endedWithEndOfText) {
    public Hypothesis {
        tokens = tokens.clone();
        logProbs = logProbs.clone();
        if (tokens.length != logProbs.length) {
            throw new IllegalArgumentException("tokens and logProbs differ in length: " + tokens.length + " vs "
                    + logProbs.length);
        }
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public float[] logProbs() {
        return logProbs.clone();
    }

    /** Number of tokens, the end-of-text id included. */
    public int length() {
        return tokens.length;
    }

    /** Sum of the per-token log-probabilities, accumulated in float32 from left to right. */
    public float logProbSum() {
        float s = 0f;
        for (float lp : logProbs) {
            s += lp;
        }
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hypothesis h && Arrays.equals(tokens, h.tokens) && Arrays.equals(logProbs, h.logProbs)
                && Double.compare(score, h.score) == 0 && endedWithEndOfText == h.endedWithEndOfText;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(logProbs);
    }

    @Override
    public String toString() {
        return "Hypothesis[tokens=" + Arrays.toString(tokens) + ", logProbs=" + Arrays.toString(logProbs)
                + ", score=" + score + ", endedWithEndOfText=" + endedWithEndOfText + "]";
    }
}
