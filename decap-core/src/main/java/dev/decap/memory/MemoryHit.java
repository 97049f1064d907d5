package dev.decap.memory;

import dev.decap.spi.Arguments;

/**
 * One memory entry found by a search.
 *
 * @param index      position of the entry in its bank, {@code 0 <= index < size()}
 * @param caption    the entry's caption text
 * @param similarity cosine similarity between the query and the entry (both unit vectors)
 */
public record MemoryHit(int index, String caption, float similarity) {
    /** Refuses null components (the null policy, docs/reliability.md). */
    public MemoryHit {
        Arguments.requireNonNull(caption, "caption");
    }

}
