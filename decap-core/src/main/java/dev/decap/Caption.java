package dev.decap;

import dev.decap.spi.Arguments;
import dev.decap.projection.Contribution;

import java.util.List;

/**
 * A caption for one image (or video), with the evidence behind it. Immutable.
 *
 * @param text          the caption
 * @param method        whether the caption was decoded from a prefix or retrieved from the memory bank
 * @param tokenIds      tokenizer ids of a decoded caption (without end-of-text); empty for a retrieved one
 * @param tokenLogProbs natural-log probability of each token; empty for a retrieved one
 * @param score         the decoder's sequence score for a decoded caption; the cosine similarity of the closest
 *                      memory entry for a retrieved one
 * @param contributions the memory entries that shaped the prefix (or the retrieved entry), largest weight first;
 *                      empty for visual decoding
 */
public record Caption(String text, Method method, int[] tokenIds, float[] tokenLogProbs, double score,
                      List<Contribution> contributions) {

    /** How the caption came about. */
    public enum Method {
        /** Decoded by the caption decoder from a projected (or raw, for visual decoding) embedding. */
        DECODED,
        /** The closest caption of the memory bank, returned as is. */
        RETRIEVED
    }

    public Caption {
        Arguments.requireNonNull(contributions, "contributions");
        Arguments.requireNonNull(tokenLogProbs, "tokenLogProbs");
        Arguments.requireNonNull(tokenIds, "tokenIds");
        Arguments.requireNonNull(method, "method");
        tokenIds = tokenIds.clone();
        tokenLogProbs = tokenLogProbs.clone();
        contributions = List.copyOf(contributions);
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    @Override
    public float[] tokenLogProbs() {
        return tokenLogProbs.clone();
    }

    @Override
    public String toString() {
        return "Caption[" + method + " \"" + text + "\", score=" + score + ", tokens=" + tokenIds.length
                + ", contributions=" + contributions.size() + "]";
    }
}
