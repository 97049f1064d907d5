package dev.decap.tokenization;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference data in {@code ../shared/data} (system property {@code decap.shared.dir}). */
final class SharedData {

    private SharedData() {
    }

    static Path dir() {
        return Path.of(System.getProperty("decap.shared.dir", "../shared")).toAbsolutePath().normalize()
                .resolve("data");
    }

    static Path vocabulary() {
        return dir().resolve("clip/bpe_simple_vocab_16e6.txt.gz");
    }

    static Path goldenCases() {
        return dir().resolve("golden/clip_tokenizer_cases.jsonl");
    }

    static boolean has(Path file) {
        return Files.isRegularFile(file);
    }

    /** Skips the calling test with a clear message when {@code file} is absent. */
    static Path require(Path file) {
        Assumptions.assumeTrue(has(file), "../shared/data not found: " + file
                + " is missing (set -Ddecap.shared.dir to the directory that holds data/)");
        return file;
    }
}
