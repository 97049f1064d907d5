package dev.decap.onnx;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the committed test fixtures (written by tools/make_fixtures.py) and of ../shared. */
public final class Fixtures {
    private Fixtures() {
    }

    /** {@code src/test/resources/fixtures}, resolved against the module directory. */
    public static Path root() {
        return Path.of("src", "test", "resources", "fixtures").toAbsolutePath();
    }

    /** The tiny random bundle. */
    public static Path tiny() {
        return root().resolve("tiny");
    }

    /** A fixture file; the test is skipped with a message when it has not been generated. */
    public static Path require(Path p) {
        Assumptions.assumeTrue(Files.exists(p), "fixture not found: " + p
                + " (generate with tools/make_fixtures.py)");
        return p;
    }

    /** ../shared, from the system property Maven sets; skips the test when absent. */
    public static Path shared() {
        String dir = System.getProperty("decap.shared.dir", "../shared");
        Path p = Path.of(dir).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(p.resolve("data")), "../shared/data not found: " + p.resolve("data")
                + "; the tests that need reference data are skipped");
        return p;
    }

    /** CLIP's BPE vocabulary in ../shared; skips when absent. */
    public static Path clipVocabulary() {
        Path p = shared().resolve("data/clip/bpe_simple_vocab_16e6.txt.gz");
        Assumptions.assumeTrue(Files.exists(p), "../shared/data not found: " + p);
        return p;
    }
}
