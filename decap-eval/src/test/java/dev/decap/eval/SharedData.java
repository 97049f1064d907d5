package dev.decap.eval;

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

    static Path metricsCases() {
        return dir().resolve("golden/metrics_cases.json");
    }

    /** Skips the calling test with a clear message when {@code file} is absent. */
    static Path require(Path file) {
        Assumptions.assumeTrue(Files.isRegularFile(file), "../shared/data not found: " + file
                + " is missing (set -Ddecap.shared.dir to the directory that holds data/)");
        return file;
    }
}
