package dev.decap.projection;

import dev.decap.Vectors;
import dev.decap.memory.MemoryBank;

import java.util.List;

/**
 * Visual decoding: the decoder is fed the (unit) image embedding itself, without any memory. Shows the
 * modality gap that projection decoding closes (the decoder was trained on text embeddings only). Lists no
 * contributions and {@link #usesMemory() uses no memory}. Stateless and thread-safe.
 */
public final class IdentityProjector implements Projector {

    /** A visual-decoding projector. */
    public IdentityProjector() {
    }

    /**
     * Returns the unit image embedding itself.
     *
     * @param memory ignored, may be null; when given, the embedding must match its dimension
     * @throws dev.decap.InvalidInputException if the embedding is null, empty, not finite, not of unit length, or
     *                                         of another dimension than a given bank's
     */
    @Override
    public Projection project(float[] imageEmbedding, MemoryBank memory) {
        dev.decap.spi.Arguments.requireNonNull(imageEmbedding, "imageEmbedding");
        int d = memory != null ? memory.dimension()
                : Vectors.requireFinite(imageEmbedding, "image embedding").length;
        return new Projection(Vectors.requireUnit(imageEmbedding, d, "image embedding"), List.of());
    }

    /** Always false: visual decoding needs no memory bank. */
    @Override
    public boolean usesMemory() {
        return false;
    }

    @Override
    public String toString() {
        return "IdentityProjector";
    }
}
