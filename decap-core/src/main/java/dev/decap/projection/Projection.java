package dev.decap.projection;

import dev.decap.spi.Arguments;
import java.util.List;

/**
 * The result of projecting an image embedding into the text embedding space.
 *
 * @param vector        the projected unit vector, handed to the caption decoder as its prefix
 * @param contributions the memory entries that contributed, by decreasing weight (empty for visual decoding)
 */
public record Projection(float[] vector, List<Contribution> contributions) {
    public Projection {
        Arguments.requireNonNull(vector, "vector");
        Arguments.requireNonNull(contributions, "contributions");
        vector = vector.clone();
        contributions = List.copyOf(contributions);
    }

    /** A copy of the projected vector. */
    @Override
    public float[] vector() {
        return vector.clone();
    }
}
