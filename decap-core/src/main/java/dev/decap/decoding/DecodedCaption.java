package dev.decap.decoding;

/**
 * A caption produced by a {@link CaptionDecoder}.
 *
 * @param text          the detokenised caption, without start/end markers and trimmed
 * @param tokenIds      tokenizer ids of the caption, without the end-of-text token
 * @param tokenLogProbs natural-log probability of each token in {@code tokenIds} under the decoder
 * @param score         the sequence score the search ranked by: the sum of log-probabilities divided by
 *                      {@code length^lengthPenalty} for beam search, the plain sum for greedy decoding
 */
public record DecodedCaption(String text, int[] tokenIds, float[] tokenLogProbs, double score) {
    public DecodedCaption {
        tokenIds = tokenIds.clone();
        tokenLogProbs = tokenLogProbs.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public float[] tokenLogProbs() {
        return tokenLogProbs.clone();
    }
}
