package dev.decap.memory;

/**
 * Receives consecutive rows of a memory bank during a {@link MemoryBank#scan} pass.
 *
 * <p>{@code data} holds {@code rows} unit vectors of {@code dimension} floats each, row-major, starting at
 * {@code offset}; row {@code r} of the block is memory entry {@code firstIndex + r}. The array may be the bank's
 * own storage: read it, never write it, and do not keep it after the call returns.
 */
@FunctionalInterface
public interface BlockConsumer {
    void accept(int firstIndex, int rows, float[] data, int offset);
}
