package dev.decap.projection;

import dev.decap.spi.Arguments;

/**
 * A memory entry that contributed to a projection, so users can see why a caption came out.
 *
 * @param index      the entry's position in the memory bank
 * @param caption    the entry's caption
 * @param similarity cosine similarity between the image embedding and the entry
 * @param weight     the entry's share of the projection; the weights of one projection sum to 1 over all
 *                   entries (only the largest are listed)
 */
public record Contribution(int index, String caption, float similarity, float weight) {
    /** Refuses null components (the null policy, docs/reliability.md). */
    public Contribution {
        Arguments.requireNonNull(caption, "caption");
    }

}
