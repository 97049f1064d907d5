package dev.decap.projection;

import dev.decap.Vectors;
import dev.decap.projection.spi.ProjectionInputs;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.util.List;

/**
 * Nearest-neighbour decoding (NND in the DeCap paper): the projection is the memory embedding most similar to the
 * image embedding, which then contributes with weight 1. Equivalent to projection decoding as τ → 0, and the
 * decoder then usually reproduces that entry's caption. Uses {@link MemoryBank#search}, so banks with their own
 * index are used as they are. Stateless and thread-safe.
 */
public final class NearestNeighbourProjector implements Projector {

    /** A nearest-neighbour projector. */
    public NearestNeighbourProjector() {
    }

    /**
     * {@inheritDoc}
     *
     * @throws dev.decap.InvalidInputException if the bank is missing or empty, or the embedding is not finite,
     *                                         not of unit length or of the wrong dimension
     */
    @Override
    public Projection project(float[] imageEmbedding, MemoryBank memory) {
        dev.decap.spi.Arguments.requireNonNull(imageEmbedding, "imageEmbedding");
        ProjectionInputs.requireMemory(memory);
        float[] v = Vectors.requireUnit(imageEmbedding, memory.dimension(), "image embedding");
        MemoryHit best = memory.search(v, 1).get(0);
        return new Projection(memory.embedding(best.index()),
                List.of(new Contribution(best.index(), best.caption(), best.similarity(), 1f)));
    }

    @Override
    public String toString() {
        return "NearestNeighbourProjector";
    }
}
