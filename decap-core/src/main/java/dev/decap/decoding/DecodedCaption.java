package dev.decap.decoding;

import dev.decap.spi.Arguments;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a {@link CaptionDecoder} produces for one prefix: the caption, and the whole generated sequence as the
 * search saw it (what parity tests compare). The one public decoded record: the search's internal hypothesis
 * becomes this, and the captioner turns this into a {@link dev.decap.Caption}.
 *
 * <p>The caption form, {@link #tokenIds()} and {@link #tokenLogProbs()}, leaves the end-of-text token out; the
 * sequence form ({@link #sequenceTokenIds()}, {@link #sequenceLogProbs()}, {@link #modelIds()}) keeps it when the
 * sequence ended with it.
 *
 * @param text               the detokenised caption (tokens the tokenizer cannot decode are left out), trimmed; null
 *                           when the decoder has no tokenizer
 * @param sequenceTokenIds   every generated token as a tokenizer id, the end-of-text token included; a token without
 *                           a decodable tokenizer id (map entry -1, or an id the tokenizer does not know; possible
 *                           only with masking off) is -1, and its raw id is in {@code modelIds}
 * @param sequenceLogProbs   the natural-log probability of each generated token (masked and normalised as the search
 *                           saw it)
 * @param modelIds           the generated ids in the decoder's own vocabulary, the end-of-text id included
 * @param score              the score the search ranked by: the plain sum of log-probabilities for greedy decoding,
 *                           {@code sum / length^lengthPenalty} for beam search (length counts the end-of-text token)
 * @param endedWithEndOfText whether the last token is end-of-text (false when the token limit stopped it)
 */
public record DecodedCaption(String text, int[] sequenceTokenIds, float[] sequenceLogProbs, int[] modelIds,
                             double score, boolean endedWithEndOfText) {
    public DecodedCaption {
        Arguments.requireNonNull(sequenceTokenIds, "sequenceTokenIds");
        Arguments.requireNonNull(sequenceLogProbs, "sequenceLogProbs");
        Arguments.requireNonNull(modelIds, "modelIds");
        sequenceTokenIds = sequenceTokenIds.clone();
        sequenceLogProbs = sequenceLogProbs.clone();
        modelIds = modelIds.clone();
        if (sequenceTokenIds.length != sequenceLogProbs.length || modelIds.length != sequenceTokenIds.length) {
            throw new dev.decap.InvalidInputException("token ids, log-probabilities and model ids differ in length: "
                    + sequenceTokenIds.length + ", " + sequenceLogProbs.length + ", " + modelIds.length);
        }
        if (endedWithEndOfText && sequenceTokenIds.length == 0) {
            throw new dev.decap.InvalidInputException("a sequence that ended with end-of-text has at least one token");
        }
    }

    /**
     * A decoded caption without end-of-text token, for decoders whose model ids are tokenizer ids (custom
     * decoders, test fakes).
     */
    public DecodedCaption(String text, int[] tokenIds, float[] tokenLogProbs, double score) {
        this(text, Arguments.requireNonNull(tokenIds, "tokenIds"),
                Arguments.requireNonNull(tokenLogProbs, "tokenLogProbs"), tokenIds, score, false);
    }

    /** Tokenizer ids of the caption, without the end-of-text token. */
    public int[] tokenIds() {
        return Arrays.copyOf(sequenceTokenIds, captionLength());
    }

    /** Natural-log probability of each token of {@link #tokenIds()}. */
    public float[] tokenLogProbs() {
        return Arrays.copyOf(sequenceLogProbs, captionLength());
    }

    @Override
    public int[] sequenceTokenIds() {
        return sequenceTokenIds.clone();
    }

    @Override
    public float[] sequenceLogProbs() {
        return sequenceLogProbs.clone();
    }

    @Override
    public int[] modelIds() {
        return modelIds.clone();
    }

    private int captionLength() {
        return endedWithEndOfText ? sequenceTokenIds.length - 1 : sequenceTokenIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedCaption d && Objects.equals(text, d.text)
                && Arrays.equals(sequenceTokenIds, d.sequenceTokenIds)
                && Arrays.equals(sequenceLogProbs, d.sequenceLogProbs) && Arrays.equals(modelIds, d.modelIds)
                && Double.compare(score, d.score) == 0 && endedWithEndOfText == d.endedWithEndOfText;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(modelIds) + Arrays.hashCode(sequenceLogProbs);
    }

    @Override
    public String toString() {
        return "DecodedCaption[text=" + text + ", tokenIds=" + Arrays.toString(sequenceTokenIds) + ", score=" + score
                + ", endedWithEndOfText=" + endedWithEndOfText + "]";
    }
}
