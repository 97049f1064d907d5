package dev.decap.memory.file;

import dev.decap.InvalidInputException;
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

/** Issue 12: only regular files are opened as memory banks (opening a FIFO blocks until a writer appears). */
class OnlyRegularBankFilesAreOpenedTest {

    @TempDir
    Path dir;

    @Test
    void a_bank_path_that_is_a_fifo_is_refused_at_once_instead_of_blocking() throws Exception {
        Path fifo = dir.resolve("bank.decapmem");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Assumptions.abort("mkfifo is not available: " + e.getMessage());
            return;
        }
        Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.exists(fifo),
                "mkfifo could not make a FIFO here");
        InvalidInputException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(InvalidInputException.class, () -> MemoryBankFile.open(fifo)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void a_bank_path_that_is_a_directory_is_refused_naming_it() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> MemoryBankFile.open(dir));
        assertTrue(e.getMessage().contains("a directory"), e.getMessage());
    }
}
