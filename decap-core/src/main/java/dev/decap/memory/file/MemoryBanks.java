package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
            List<Path> shards = new ArrayList<>();
            for (int s = 0; s < shardCount; s++) {
                int from = (int) ((long) source.size() * s / shardCount);
                int to = (int) ((long) source.size() * (s + 1) / shardCount);
                Path out = m.resolveSibling(String.format("%s-%05d.dmb", base, s));
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
            return shards;
        }
    }
}
