package dev.decap.projection;

import dev.decap.memory.MemoryBank;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps a CLIP image embedding into the text embedding space the decoder was trained on.
 *
 * <p>DeCap's projection-based decoding, nearest-neighbour decoding and visual decoding are the standard
 * implementations. Projectors are immutable and thread-safe.
 */
public interface Projector {

    /**
     * Projects one embedding.
     *
     * @param imageEmbedding an image embedding of the bank's dimension; normalised by the projector
     * @param memory         the memory bank to project onto (ignored by visual decoding)
     */
    Projection project(float[] imageEmbedding, MemoryBank memory);

    /** Projects several embeddings; dense implementations override this to use one pass over the memory. */
    default List<Projection> projectAll(List<float[]> imageEmbeddings, MemoryBank memory) {
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
