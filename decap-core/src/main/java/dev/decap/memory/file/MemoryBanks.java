package dev.decap.memory.file;

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
}
