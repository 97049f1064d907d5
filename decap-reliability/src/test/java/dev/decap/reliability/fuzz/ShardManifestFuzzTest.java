package dev.decap.reliability.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.ShardedMemoryBank;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;

/**
 * Shard manifests of any content, beside two real shard files: {@link ShardedMemoryBank#open} opens the shards it
 * lists or throws the library's exceptions. Seed: the manifest {@code MemoryBanks.split} writes for those shards.
 */
class ShardManifestFuzzTest {
    private static final Path DIR = Scratch.directory("decap-fuzz-shards");
    private static final Path MANIFEST = FuzzFixtures.writeShards(DIR);

    @DictionaryEntries({"\\u0000", "\\ud800", "../", "/", "\"\"", "null", "-1", "0", "1.5", "1e400",
            "9223372036854775808", "2147483648", "[]", "{}"})
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void any_shard_manifest_opens_its_shards_or_is_refused(byte[] bytes) {
        Path file = DIR.resolve("fuzz.json");
        Scratch.write(file, bytes);
        for (boolean verify : new boolean[] {false, true}) {
            LibraryContract.onlyLibraryExceptions("ShardedMemoryBank.open(verify=" + verify + ")", () -> {
                try (ShardedMemoryBank bank = ShardedMemoryBank.open(file, verify)) {
                    read(bank);
                }
            });
        }
    }

    private static void read(MemoryBank bank) {
        for (int i = 0; i < bank.size(); i++) {
            bank.caption(i);
            bank.embedding(i);
        }
    }

    static Path manifest() {
        return MANIFEST;
    }
}
