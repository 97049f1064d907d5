package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import java.nio.file.Path;

/**
 * What a memory bank file's header says about it. Immutable.
 *
 * @param file           the file
 * @param formatVersion  the format version it was written with
 * @param count          number of entries
 * @param dimension      embedding dimension
 * @param vectorType     how components are stored
 * @param encoder        the text encoder that produced the embeddings
 * @param contentSha256  SHA-256 identifying the captions and vectors (64 hex digits), independent of how and when
 *                       the file was written; see {@code docs/memory-bank-format.md}
 * @param hasMetadata    whether entries carry an id/metadata string
 * @param fileSize       the file's length in bytes
 */
public record BankInfo(Path file, int formatVersion, long count, int dimension, VectorType vectorType,
                       EncoderIdentity encoder, String contentSha256, boolean hasMetadata, long fileSize) {
    /** Refuses null components (the null policy, docs/reliability.md). */
    public BankInfo {
        Arguments.requireNonNull(file, "file");
        Arguments.requireNonNull(vectorType, "vectorType");
        Arguments.requireNonNull(encoder, "encoder");
        Arguments.requireNonNull(contentSha256, "contentSha256");
    }

}
