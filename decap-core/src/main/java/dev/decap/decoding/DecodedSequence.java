package dev.decap.decoding;

import java.util.Arrays;

/**
 * Everything a {@link StepCaptionDecoder} knows about one decoded prefix, end-of-text token included (what the
 * reference implementation reports and what the parity tests compare).
 *
 * @param modelIds           the generated ids in the decoder's vocabulary, including the final end-of-text id when
 *                           the sequence ended with it
 * @param tokenIds           the same tokens as tokenizer ids; a token without a decodable tokenizer id (map entry -1,
 *                           or an id the tokenizer does not know; possible only with masking off) is -1, and its raw
 *                           id is in {@code modelIds}
 * @param logProbs           natural-log probability of each token
 * @param score              the search's score (see {@link Hypothesis#score()})
 * @param endedWithEndOfText whether the last token is end-of-text
 * @param text               the detokenised caption (tokens the tokenizer cannot decode are left out), or null when
 *                           the decoder has no tokenizer
 */
public record DecodedSequence(int[] modelIds, int[] tokenIds, float[] logProbs, double score,
                              boolean endedWithEndOfText, String text) {
    public DecodedSequence {
        modelIds = modelIds.clone();
        tokenIds = tokenIds.clone();
        logProbs = logProbs.clone();
    }

    @Override
    public int[] modelIds() {
        return modelIds.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public float[] logProbs() {
        return logProbs.clone();
    }

    /** The caption form: tokens and log-probabilities without the end-of-text token. */
    public DecodedCaption toCaption() {
        int n = endedWithEndOfText ? tokenIds.length - 1 : tokenIds.length;
        return new DecodedCaption(text, Arrays.copyOf(tokenIds, n), Arrays.copyOf(logProbs, n), score);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedSequence d && Arrays.equals(modelIds, d.modelIds)
                && Arrays.equals(tokenIds, d.tokenIds) && Arrays.equals(logProbs, d.logProbs)
                && Double.compare(score, d.score) == 0 && endedWithEndOfText == d.endedWithEndOfText
                && java.util.Objects.equals(text, d.text);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(modelIds) + Arrays.hashCode(logProbs);
    }

    @Override
    public String toString() {
        return "DecodedSequence[tokenIds=" + Arrays.toString(tokenIds) + ", score=" + score + ", text=" + text + "]";
    }
}
