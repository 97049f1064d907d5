package dev.decap.image;

import dev.decap.DecapException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import dev.decap.tokenization.ClipTokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 12: an image path that is a FIFO blocked forever; only regular files are read. */
class OnlyRegularFilesAreReadTest {

    /** Hang guard only: before the fix, reading a FIFO with no writer never returned. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    static Path fifo(Path dir) throws Exception {
        Path fifo = dir.resolve("image.png");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("mkfifo is not available: " + e.getMessage());
            throw e;
        }
        Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.exists(fifo),
                "mkfifo could not make a FIFO here");
        return fifo;
    }

    @Test
    void an_image_path_that_is_a_fifo_is_refused_at_once_instead_of_blocking() throws Exception {
        Path fifo = fifo(dir);
        ImageLoader loader = ImageLoader.defaults();
        InvalidInputException load = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(InvalidInputException.class, () -> loader.load(fifo)));
        assertTrue(load.getMessage().contains("not a regular file") && load.getMessage().contains(fifo.toString()),
                load.getMessage());
        assertTimeoutPreemptively(HANG_GUARD, () -> assertThrows(InvalidInputException.class, () -> loader.decode(fifo)));
    }

    @Test
    void an_image_path_that_is_a_directory_is_refused_naming_it() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImageLoader.defaults().load(dir));
        assertTrue(e.getMessage().contains("a directory"), e.getMessage());
    }

    @Test
    void a_vocabulary_path_that_is_a_fifo_is_refused_at_once_instead_of_blocking() throws Exception {
        Path fifo = fifo(dir);
        ModelException e = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(ModelException.class, () -> ClipTokenizer.fromOpenAiVocabulary(fifo)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        DecapException hf = assertTimeoutPreemptively(HANG_GUARD,
                () -> assertThrows(ModelException.class, () -> ClipTokenizer.fromHuggingFace(fifo, fifo)));
        assertTrue(hf.getMessage().contains("not a regular file"), hf.getMessage());
    }
}
