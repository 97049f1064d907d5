package dev.decap.memory.file;

import java.nio.file.Path;
import java.util.List;

/** Writes small bank files for tests. */
final class BankFiles {
    static final EncoderIdentity ENCODER = new EncoderIdentity("test-encoder", "ab".repeat(32));
    static final EncoderIdentity OTHER = new EncoderIdentity("other-encoder", "cd".repeat(32));

    private BankFiles() {
    }

    static BankInfo write(Path file, List<String> captions, List<float[]> vectors, VectorType type) {
        return write(file, captions, vectors, type, null);
    }

    static BankInfo write(Path file, List<String> captions, List<float[]> vectors, VectorType type,
                          List<String> metadata) {
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(vectors.get(0).length)
                .encoder(ENCODER).vectorType(type).build()) {
            for (int i = 0; i < captions.size(); i++) {
                w.add(captions.get(i), vectors.get(i), metadata == null ? null : metadata.get(i));
            }
            return w.commit();
        }
    }
}
