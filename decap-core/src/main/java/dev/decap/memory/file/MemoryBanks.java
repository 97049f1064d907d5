package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Operations on bank files as a whole: merging and appending. Stateless. */
public final class MemoryBanks {
    private MemoryBanks() {
    }

    /**
     * Merges bank files, in order, into {@code output} (which may be one of the inputs: appending a bank to
     * another is {@code merge(List.of(bank, more), bank, type)}). Captions already present are skipped; rows of
     * inputs of the output's vector type are copied bit for bit. Written atomically: on failure the output is
     * untouched.
     *
     * @throws IncompatibleMemoryBankException if the inputs come from different text encoders or dimensions
     * @throws CorruptMemoryBankException     if an input fails verification
     */
    public static BankInfo merge(List<Path> inputs, Path output, VectorType type) {
        Arguments.requireNonNull(inputs, "inputs");
        if (inputs.isEmpty()) {
            throw new InvalidInputException("no banks to merge; pass at least one bank file");
        }
        List<MemoryBankFile> banks = new ArrayList<>();
        try {
            for (Path p : inputs) {
                banks.add(MemoryBankFile.openVerified(p));
            }
            MemoryBankFile first = banks.get(0);
            try (MemoryBankWriter w = MemoryBankWriter.builder().output(output).dimension(first.dimension())
                    .encoder(first.encoder()).vectorType(type).build()) {
                for (MemoryBankFile b : banks) {
                    w.addAll(b);
                }
                return w.commit();
            }
        } finally {
            banks.forEach(MemoryBankFile::close);
        }
    }

    /**
     * Splits a bank file into {@code shardCount} shard files of nearly equal size ({@code NAME-00000.dmb}, ...
     * beside the manifest) and writes a shard manifest listing them (see {@link ShardedMemoryBank}). Rows are
     * copied bit for bit; the bank itself is left as it is.
     *
     * <p>The manifest is the commit point. When it already exists, the new shards get names that it does not list
     * ({@code NAME-1-00000.dmb}, {@code NAME-2-00000.dmb}, ... the first generation free of them), so a failure or a
     * crash before the new manifest is in place leaves the previous split whole; once it is, the shards that only the
     * previous manifest listed (split files beside it, {@code NAME-*.dmb}) are deleted.
     *
     * @return the shard files, in order
     */
    public static List<Path> split(Path bank, int shardCount, Path manifest) {
        Arguments.requireNonNull(bank, "bank");
        try (MemoryBankFile source = MemoryBankFile.openVerified(bank)) {
            if (shardCount < 1 || shardCount > source.size()) {
                throw new InvalidInputException("shard count must be 1 to " + source.size() + " (one entry per shard"
                        + " at least), found " + shardCount);
            }
            Path m = manifest.toAbsolutePath().normalize();
            String base = m.getFileName().toString().replaceFirst("\\.[^.]*$", "");
            Set<Path> previous = ShardedMemoryBank.listedFiles(m);
            String prefix = base;
            for (int g = 1; !free(m, prefix, shardCount, previous); g++) {
                prefix = base + "-" + g;
            }
            List<Path> shards = new ArrayList<>();
            for (int s = 0; s < shardCount; s++) {
                int from = (int) ((long) source.size() * s / shardCount);
                int to = (int) ((long) source.size() * (s + 1) / shardCount);
                Path out = m.resolveSibling(String.format("%s-%05d.dmb", prefix, s));
                try (MemoryBankWriter w = MemoryBankWriter.builder().output(out).dimension(source.dimension())
                        .encoder(source.encoder()).vectorType(source.vectorType()).dedupe(false).build()) {
                    for (int i = from; i < to; i++) {
                        w.addFrom(source, i);
                    }
                    w.commit();
                }
                shards.add(out);
            }
            ShardedMemoryBank.writeManifest(m, shards);
            previous.removeAll(shards);
            previous.remove(bank.toAbsolutePath().normalize());
            for (Path stale : previous) {
                String name = stale.getFileName().toString();
                if (!stale.getParent().equals(m.getParent()) || !name.startsWith(base + "-")
                        || !name.endsWith(".dmb")) {
                    continue;   // only shards a split wrote beside this manifest, never another file it names
                }
                try {
                    Files.deleteIfExists(stale);
                } catch (IOException ignored) {
                    // the new split is committed; a leftover shard of the old one is only disk space
                }
            }
            return shards;
        }
    }

    /** Whether none of the shard names {@code prefix-00000.dmb ...} is listed by the existing manifest. */
    private static boolean free(Path manifest, String prefix, int shardCount, Set<Path> listed) {
        for (int s = 0; s < shardCount; s++) {
            if (listed.contains(manifest.resolveSibling(String.format("%s-%05d.dmb", prefix, s)))) {
                return false;
            }
        }
        return true;
    }
}
