package dev.decap.internal.kernels;

/**
 * A memory bank that decodes its stored rows straight into a {@link RowBlock}, in whatever layout its storage
 * converts to fastest, instead of handing out float rows through {@code MemoryBank.scan}. Projection decoding uses
 * it where a bank offers it. Not public API. Implementations are safe for concurrent readers, each with its own
 * block.
 */
public interface RowSource {
    /**
     * Decodes rows {@code first ..} into {@code block}: at least one, at most {@code block.capacity()} and at
     * most up to {@code to} (exclusive); fewer when the storage ends a region there.
     *
     * @return the number of rows decoded
     */
    int decode(int first, int to, RowBlock block);
}
