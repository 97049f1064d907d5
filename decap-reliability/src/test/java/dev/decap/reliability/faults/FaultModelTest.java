package dev.decap.reliability.faults;

import dev.decap.DecapException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fault model itself: it must catch the classic mistakes, or the fault tests prove nothing. Overwriting a bank
 * in place, or renaming a temporary file over it without forcing it first, must lose or corrupt the bank at some
 * crash point; forcing the file and then its directory must not.
 */
class FaultModelTest {
    @TempDir
    Path tmp;

    private interface Write {
        void run(Path target, byte[] bytes) throws IOException;
    }

    /** Over all crash points and a few seeds: how often the target was neither the old nor the new bytes. */
    private int damagedOutcomes(Write write) throws IOException {
        byte[] old = new byte[10_000];
        byte[] fresh = new byte[12_000];
        java.util.Arrays.fill(old, (byte) 1);
        java.util.Arrays.fill(fresh, (byte) 2);
        int damaged = 0;
        for (long at = 1; at <= 12; at++) {
            for (long seed = 0; seed < 6; seed++) {
                Path dir = Files.createDirectories(tmp.resolve(write.hashCode() + "-" + at + "-" + seed));
                Files.write(dir.resolve("bank"), old);
                FaultyFileSystem fs = new FaultyFileSystem(dir, seed).crashAt(at).shortIo(0.5);
                try {
                    write.run(fs.root().resolve("bank"), fresh);
                } catch (IOException | DecapException e) {
                    // crashed
                }
                fs.recoverAfterCrash();
                byte[] found = Files.exists(dir.resolve("bank")) ? Files.readAllBytes(dir.resolve("bank")) : null;
                if (found == null || !(java.util.Arrays.equals(found, old) || java.util.Arrays.equals(found, fresh))) {
                    damaged++;
                }
            }
        }
        return damaged;
    }

    private static void writeAll(FileChannel ch, byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    @Test
    void overwriting_in_place_is_caught() throws IOException {
        assertTrue(damagedOutcomes((target, bytes) -> Files.write(target, bytes)) > 0);
    }

    @Test
    void renaming_an_unforced_temporary_file_is_caught() throws IOException {
        assertTrue(damagedOutcomes((target, bytes) -> {
            Path t = target.resolveSibling("bank.tmp");
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(ch, bytes);
            }
            Files.move(t, target, StandardCopyOption.ATOMIC_MOVE);
        }) > 0);
    }

    @Test
    void forcing_then_renaming_then_forcing_the_directory_is_safe() throws IOException {
        assertTrue(damagedOutcomes((target, bytes) -> {
            Path t = target.resolveSibling("bank.tmp");
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeAll(ch, bytes);
                ch.force(true);
            }
            Files.move(t, target, StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
                d.force(true);
            }
        }) == 0);
    }

    @Test
    void without_faults_the_file_system_reads_and_writes_like_the_default_one() throws IOException {
        FaultyFileSystem fs = new FaultyFileSystem(tmp, 1).shortIo(0.5);
        Path dir = Files.createDirectories(fs.root().resolve("a/b"));
        byte[] bytes = new byte[100_000];
        new java.util.Random(3).nextBytes(bytes);
        Files.write(dir.resolve("f"), bytes);
        assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("f")));
        assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("a/b/f")));
        assertTrue(fs.shortTransfers > 0, "short transfers happened");
    }
}
