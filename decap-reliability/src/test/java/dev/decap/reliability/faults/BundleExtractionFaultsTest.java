package dev.decap.reliability.faults;

import dev.decap.DecapException;
import dev.decap.ModelException;
import dev.decap.miniature.MiniatureExtraction;
import dev.decap.onnx.bundle.ModelBundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Extraction of the miniature bundle into its cache directory under faults: an I/O error fails the extraction with
 * a {@link ModelException} and the next extraction succeeds; after a crash at any of the sampled operations (every
 * directory operation and force, and writes spread over the files), the next extraction gives a bundle that
 * verifies file by file: a damaged copy is never reused. (No short transfers here, so that the sampled operations are
 * those of the counting run; the other fault tests have them.)
 */
class BundleExtractionFaultsTest {
    private static final FaultCounts COUNTS = new FaultCounts("bundle extraction");

    @TempDir
    Path tmp;

    @AfterAll
    static void report() {
        COUNTS.print();
    }

    private static TreeSet<Long> sampledOperations(long ops) {
        TreeSet<Long> points = new TreeSet<>();
        for (long at = 1; at <= ops + 1; at += Math.max(1, ops / 15)) {
            points.add(at);
        }
        for (long at = Math.max(1, ops - 20); at <= ops + 1; at++) {
            points.add(at);   // the renames, deletes and forces come last
        }
        for (long at = 1; at <= 12; at++) {
            points.add(at);   // directory creation, lock, manifest
        }
        return points;
    }

    private long operationsOfOneExtraction() throws IOException {
        FaultyFileSystem counter = new FaultyFileSystem(Files.createDirectories(tmp.resolve("count")), 0);
        MiniatureExtraction.extract(counter.root().resolve("cache"));
        return counter.operations();
    }

    @Test
    void an_io_error_fails_the_extraction_and_the_next_one_succeeds() throws IOException {
        for (long at : sampledOperations(operationsOfOneExtraction())) {
            Path dir = Files.createDirectories(tmp.resolve("error-" + at));
            FaultyFileSystem fs = new FaultyFileSystem(dir, at).failAt(at);
            try {
                Path extracted = MiniatureExtraction.extract(fs.root().resolve("cache"));
                ModelBundle.open(FaultPath.unwrapIfFaulty(extracted), true);
            } catch (DecapException e) {
                assertEquals(ModelException.class, e.getClass(), e.getMessage());
            }
            COUNTS.record("Miniature extraction, I/O error", fs);
            Path again = MiniatureExtraction.extract(dir.resolve("cache"));
            ModelBundle.open(again, true);
        }
    }

    @Test
    void after_a_crash_at_any_point_the_next_extraction_gives_a_bundle_that_verifies() throws IOException {
        for (long at : sampledOperations(operationsOfOneExtraction())) {
            for (long seed = 0; seed < 2; seed++) {
                Path dir = Files.createDirectories(tmp.resolve("crash-" + at + "-" + seed));
                FaultyFileSystem fs = new FaultyFileSystem(dir, at * 3 + seed).crashAt(at);
                try {
                    MiniatureExtraction.extract(fs.root().resolve("cache"));
                } catch (DecapException e) {
                    // the crash surfaced as a library exception
                }
                COUNTS.record("Miniature extraction, crash", fs);
                fs.recoverAfterCrash();
                Path again = MiniatureExtraction.extract(dir.resolve("cache"));
                ModelBundle.open(again, true);   // every file matches the manifest's SHA-256
            }
        }
    }

    @Test
    void a_damaged_earlier_copy_is_replaced_not_reused() throws IOException {
        Path cache = tmp.resolve("cache");
        Path dir = MiniatureExtraction.extract(cache);
        Files.write(dir.resolve("decoder.onnx"), new byte[] {1, 2, 3});
        assertThrows(ModelException.class, () -> ModelBundle.open(dir, true));
        ModelBundle.open(MiniatureExtraction.extract(cache), true);
    }
}
