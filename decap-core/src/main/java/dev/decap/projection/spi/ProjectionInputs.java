package dev.decap.projection.spi;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.memory.MemoryBank;

import java.util.List;

/**
 * Input checks shared by the projectors, so that every implementation refuses bad input with the same messages.
 * A service-provider interface for implementers of {@link dev.decap.projection.Projector}.
 */
public final class ProjectionInputs {
    private ProjectionInputs() {
    }

    /**
     * Checks the bank and a batch of unit image embeddings (the {@link dev.decap.projection.Projector} contract:
     * the captioner normalised them once) and returns them row-major. Nothing is normalised here: the checks are
     * cheap (dimension, finite, length 1 within {@link Vectors#UNIT_TOLERANCE}).
     *
     * @throws InvalidInputException if the bank is null or empty, or an embedding is null, not finite, of the wrong
     *                               dimension ("expected 512, found 768") or not of unit length
     */
    public static float[] unitQueries(List<float[]> imageEmbeddings, MemoryBank memory) {
        requireMemory(memory);
        Arguments.requireNonNull(imageEmbeddings, "imageEmbeddings");
        int d = memory.dimension();
        float[] queries = new float[imageEmbeddings.size() * d];
        for (int i = 0; i < imageEmbeddings.size(); i++) {
            String what = imageEmbeddings.size() == 1 ? "image embedding" : "image embedding " + i;
            System.arraycopy(Vectors.requireUnit(imageEmbeddings.get(i), d, what), 0, queries, i * d, d);
        }
        return queries;
    }

    /**
     * Checks that a projector that reads the memory was given a non-empty bank.
     *
     * @throws InvalidInputException otherwise
     */
    public static MemoryBank requireMemory(MemoryBank memory) {
        if (memory == null) {
            throw new InvalidInputException("this projector needs a memory bank; pass one, or use visual "
                    + "decoding (IdentityProjector) to decode the image embedding directly");
        }
        if (memory.size() <= 0) {
            throw new InvalidInputException("the memory bank is empty; add captions to it first");
        }
        return memory;
    }
}
