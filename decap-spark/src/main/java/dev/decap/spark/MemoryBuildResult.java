package dev.decap.spark;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link DecapSpark#buildMemory} committed. Immutable.
 *
 * @param directory      the bank directory
 * @param manifest       its shard manifest ({@code manifest.json}), the commit point of the build
 * @param corpusCaptions captions read from the corpus, duplicates included
 * @param count          unique captions in the bank (after normalisation and deduplication)
 * @param shards         the shard files, in order
 */
public record MemoryBuildResult(Path directory, Path manifest, long corpusCaptions, long count, List<Path> shards) {
    public MemoryBuildResult {
        shards = List.copyOf(shards);
    }
}
