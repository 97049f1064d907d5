package dev.decap.projection;

import dev.decap.spi.Arguments;
import dev.decap.memory.MemoryBank;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps a CLIP image embedding into the text embedding space the decoder was trained on.
 *
 * <p>DeCap's projection-based decoding, nearest-neighbour decoding and visual decoding are the standard
 * implementations. Projectors are immutable and thread-safe.
 *
 * <p><b>Vectors in and out:</b> a projector receives <em>unit</em> image embeddings of the bank's dimension: the
 * captioner ({@code DeCap}) checks and normalises every embedding once, before projecting, so projectors do not
 * normalise again. Implementations may check cheaply (dimension, finite, length 1 within
 * {@link dev.decap.Vectors#UNIT_TOLERANCE}: {@link dev.decap.projection.spi.ProjectionInputs#unitQueries}) and
 * refuse anything else with {@link dev.decap.InvalidInputException}; callers that use a projector directly normalise
 * with {@link dev.decap.Vectors#normalized}. The {@link Projection#vector() projected vector} is a unit vector.
 * The memory bank's rows are unit vectors ({@link MemoryBank}); a similarity that is NaN or above 1 is refused
 * ({@link dev.decap.memory.MemoryBankChecks#requireSimilarity}).
 */
public interface Projector {

    /**
     * Projects one embedding.
     *
     * @param imageEmbedding a unit image embedding of the bank's dimension (not normalised again here)
     * @param memory         the memory bank to project onto (ignored by visual decoding)
     */
    Projection project(float[] imageEmbedding, MemoryBank memory);

    /**
     * Projects several unit embeddings; dense implementations override this to use one pass over the memory.
     * One projection per embedding, in order.
     */
    default List<Projection> projectAll(List<float[]> imageEmbeddings, MemoryBank memory) {
        Arguments.requireNonNull(imageEmbeddings, "imageEmbeddings");
        List<Projection> out = new ArrayList<>(imageEmbeddings.size());
        for (float[] e : imageEmbeddings) {
            out.add(project(e, memory));
        }
        return out;
    }

    /** Whether this projector reads the memory bank (false for visual decoding, which needs no bank). */
    default boolean usesMemory() {
        return true;
    }
}
