package dev.decap.decoding;

import dev.decap.spi.Arguments;
import java.util.Arrays;

/**
 * Everything a {@link StepCaptionDecoder} knows about one decoded prefix, end-of-text token included (what the
 * reference implementation reports and what the parity tests compare).
 *
 * @deprecated {@link DecodedCaption} now carries the whole sequence too ({@link DecodedCaption#sequenceTokenIds()},
 *             {@link DecodedCaption#modelIds()}, ...): use it and {@code decodeAll(..)}; this record goes in the next
 *             release
 *
 * @param modelIds           the generated ids in the decoder's vocabulary, including the final end-of-text id when
 *                           the sequence ended with it
 * @param tokenIds           the same tokens as tokenizer ids; a token without a decodable tokenizer id (map entry -1,
 *                           or an id the tokenizer does not know; possible only with masking off) is -1, and its raw
 *                           id is in {@code modelIds}
 * @param logProbs           natural-log probability of each token
 * @param score              the search's score (see {@link DecodedCaption#score()})
 * @param endedWithEndOfText whether the last token is end-of-text
 * @param text               the detokenised caption (tokens the tokenizer cannot decode are left out), or null when
 *                           the decoder has no tokenizer
 */
@Deprecated
public record DecodedSequence(int[] modelIds, int[] tokenIds, float[] logProbs, double score,
                              boolean endedWithEndOfText, String text) {
    public DecodedSequence {
        Arguments.requireNonNull(modelIds, "modelIds");
        Arguments.requireNonNull(tokenIds, "tokenIds");
        Arguments.requireNonNull(logProbs, "logProbs");
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

    /** The same sequence as the one public decoded record. */
    public DecodedCaption toCaption() {
        return new DecodedCaption(text, tokenIds, logProbs, modelIds, score, endedWithEndOfText);
    }

    /** The sequence form of a decoded caption. */
    public static DecodedSequence of(DecodedCaption c) {
        Arguments.requireNonNull(c, "c");
        return new DecodedSequence(c.modelIds(), c.sequenceTokenIds(), c.sequenceLogProbs(), c.score(),
                c.endedWithEndOfText(), c.text());
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
