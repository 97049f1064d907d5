package dev.decap.reliability.fuzz;

import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.MemoryBanks;
import dev.decap.memory.file.VectorType;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** Small, deterministic memory banks for seeds and for the shard manifest target. */
final class FuzzFixtures {
    static final EncoderIdentity ENCODER = new EncoderIdentity("fuzz-encoder", "ab".repeat(32));
    static final List<String> CAPTIONS = List.of("a dog runs on the beach", "two cats on a sofa",
            "a red bus in the street", "a man rides a horse", "a plate of food", "ein Hund im Schnee — ça va");

    private FuzzFixtures() {
    }

    /** Writes a bank of {@link #CAPTIONS} with seeded random embeddings. */
    static void writeBank(Path file, int dimension, VectorType type, boolean metadata, int entries) {
        SplittableRandom random = new SplittableRandom(dimension * 31L + entries);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(dimension).encoder(ENCODER)
                .vectorType(type).build()) {
            for (int i = 0; i < entries; i++) {
                float[] e = new float[dimension];
                for (int j = 0; j < dimension; j++) {
                    e[j] = (float) random.nextGaussian();
                }
                String caption = CAPTIONS.get(i % CAPTIONS.size()) + (i < CAPTIONS.size() ? "" : " " + i);
                w.add(caption, e, metadata ? "{\"id\": " + i + "}" : null);
            }
            w.commit();
        }
    }

    /** A bank split into two shards with their manifest {@code shards.json} in {@code dir}. */
    static Path writeShards(Path dir) {
        Path bank = dir.resolve("whole.dmb");
        writeBank(bank, 4, VectorType.FP32, false, 5);
        Path manifest = dir.resolve("shards.json");
        MemoryBanks.split(bank, 2, manifest);
        return manifest;
    }
}
