package dev.decap.reliability.faults;

import dev.decap.DecapException;
import dev.decap.memory.file.BankInfo;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.MemoryBanks;
import dev.decap.memory.file.VectorType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Memory bank writes ({@link MemoryBankWriter} over an existing bank, {@link MemoryBanks#merge}) under injected
 * faults, at every I/O operation of the write: an I/O error leaves the old bank (and the writer throws a
 * library exception) or the new one (and the write reported success); a crash leaves, after recovery, the old bank
 * or the new one, verified in full, never a file that opens but is wrong.
 */
class BankWriteFaultsTest {
    static final EncoderIdentity ENCODER = new EncoderIdentity("faults", "cd".repeat(32));
    private static final FaultCounts COUNTS = new FaultCounts("bank writes");

    @TempDir
    Path tmp;

    @AfterAll
    static void report() {
        COUNTS.print();
    }

    /** Writes a bank of {@code n} entries whose captions start with {@code prefix} through {@code output}'s FS. */
    static BankInfo writeBank(Path output, String prefix, int n, int dimension, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(output).dimension(dimension).encoder(ENCODER)
                .vectorType(seed % 2 == 0 ? VectorType.FP32 : VectorType.FP16).build()) {
            for (int i = 0; i < n; i++) {
                float[] e = new float[dimension];
                for (int j = 0; j < dimension; j++) {
                    e[j] = (float) r.nextGaussian();
                }
                w.add(prefix + " caption number " + i, e, i % 3 == 0 ? "{\"i\": " + i + "}" : null);
            }
            return w.commit();
        }
    }

    /** The content hash of the verified bank at {@code file}, or null if there is none. */
    static String verifiedContent(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            for (int i = 0; i < bank.size(); i++) {
                bank.caption(i);
                bank.embedding(i);
            }
            return bank.contentSha256();
        }
    }

    /** Operations a fault-free run of {@code write} takes. */
    private long operationsOf(Path dir, java.util.function.Consumer<Path> write) throws IOException {
        Path clean = Files.createDirectories(dir);
        FaultyFileSystem fs = new FaultyFileSystem(clean, 0);
        write.accept(fs.root());
        return fs.operations();
    }

    @Test
    void an_io_error_at_any_operation_of_a_bank_write_leaves_the_old_bank_or_the_new_one() throws IOException {
        String newContent = writeBank(Files.createDirectories(tmp.resolve("reference")).resolve("bank.dmb"), "new",
                300, 16, 2).contentSha256();
        long ops = operationsOf(tmp.resolve("count"), root -> writeBank(root.resolve("bank.dmb"), "new", 300, 16, 2));
        // until a run gets through without a fault (short writes add operations beyond the count)
        for (long at = 1, injected = 1; injected > 0; at++) {
            assertTrue(at < 100 * ops, "the write never completed");
            Path dir = Files.createDirectories(tmp.resolve("error-" + at));
            String oldContent = writeBank(dir.resolve("bank.dmb"), "old", 50, 16, 2).contentSha256();
            FaultyFileSystem fs = new FaultyFileSystem(dir, 1).failAt(at).shortIo(0.3);
            boolean committed;
            try {
                writeBank(fs.root().resolve("bank.dmb"), "new", 300, 16, 2);
                committed = true;
            } catch (DecapException e) {
                // a failed directory fsync after the rename: the new bank is in place but reported as not durable
                committed = e.getMessage().contains("renamed into place");
                assertTrue(e.getMessage().contains("bank.dmb"), "the message names the bank: " + e.getMessage());
            }
            COUNTS.record("MemoryBankWriter, I/O error", fs);
            injected = fs.faultsInjected;
            assertEquals(committed ? newContent : oldContent, verifiedContent(dir.resolve("bank.dmb")),
                    "fault at operation " + at + " of " + ops + (committed ? " (committed)" : " (refused)"));
            assertNoTemporaryFilesUnlessTheirDeleteFailed(dir, fs);
        }
    }

    @Test
    void a_crash_at_any_operation_of_a_bank_write_leaves_the_old_bank_or_the_new_one() throws IOException {
        String newContent = writeBank(Files.createDirectories(tmp.resolve("reference")).resolve("bank.dmb"), "new",
                300, 16, 2).contentSha256();
        long ops = operationsOf(tmp.resolve("count"), root -> writeBank(root.resolve("bank.dmb"), "new", 300, 16, 2));
        for (long at = 1, crashes = 1; crashes > 0; at++) {
            assertTrue(at < 100 * ops, "the write never completed");
            crashes = 0;
            for (long seed = 0; seed < 4; seed++) {
                Path dir = Files.createDirectories(tmp.resolve("crash-" + at + "-" + seed));
                String oldContent = writeBank(dir.resolve("bank.dmb"), "old", 50, 16, 2).contentSha256();
                FaultyFileSystem fs = new FaultyFileSystem(dir, seed).crashAt(at).shortIo(0.2);
                boolean reportedCommitted = false;
                try {
                    writeBank(fs.root().resolve("bank.dmb"), "new", 300, 16, 2);
                    reportedCommitted = true;
                } catch (DecapException e) {
                    // the crash surfaced as the writer's exception
                }
                COUNTS.record("MemoryBankWriter, crash", fs);
                boolean crashedDuringWrite = fs.crashed();
                crashes += crashedDuringWrite ? 1 : 0;
                fs.recoverAfterCrash();
                String found = verifiedContent(dir.resolve("bank.dmb"));
                String where = "crash at operation " + at + " of " + ops + " (seed " + seed + ")";
                if (reportedCommitted && !crashedDuringWrite) {
                    assertEquals(newContent, found, where + ": a committed bank survives");
                } else if (!(oldContent.equals(found) || newContent.equals(found))) {
                    fail(where + ": found " + found + ", expected the old bank " + oldContent + " or the new "
                            + newContent + (reportedCommitted ? " (the write reported success)" : ""));
                }
            }
        }
    }

    @Test
    void a_crash_at_any_operation_of_a_merge_leaves_the_old_output_or_the_merged_bank() throws IOException {
        Path inputs = Files.createDirectories(tmp.resolve("inputs"));
        writeBank(inputs.resolve("a.dmb"), "a", 40, 8, 4);
        writeBank(inputs.resolve("b.dmb"), "b", 30, 8, 6);
        String merged = MemoryBanks.merge(List.of(inputs.resolve("a.dmb"), inputs.resolve("b.dmb")),
                inputs.resolve("merged.dmb"), VectorType.FP32).contentSha256();
        long ops = operationsOf(tmp.resolve("count"), root -> {
            copyInputs(inputs, root);
            MemoryBanks.merge(List.of(root.resolve("a.dmb"), root.resolve("b.dmb")), root.resolve("out.dmb"),
                    VectorType.FP32);
        });
        for (long at = 1, crashes = 1; crashes > 0; at++) {
            assertTrue(at < 100 * ops, "the merge never completed");
            Path dir = Files.createDirectories(tmp.resolve("merge-" + at));
            copyInputs(inputs, dir);
            String old = writeBank(dir.resolve("out.dmb"), "previous", 5, 8, 8).contentSha256();
            FaultyFileSystem fs = new FaultyFileSystem(dir, 1).crashAt(at).shortIo(0.2);
            try {
                MemoryBanks.merge(List.of(fs.root().resolve("a.dmb"), fs.root().resolve("b.dmb")),
                        fs.root().resolve("out.dmb"), VectorType.FP32);
            } catch (DecapException e) {
                // the crash surfaced as a library exception
            }
            COUNTS.record("MemoryBanks.merge, crash", fs);
            crashes = fs.crashed() ? 1 : 0;
            fs.recoverAfterCrash();
            String found = verifiedContent(dir.resolve("out.dmb"));
            assertTrue(old.equals(found) || merged.equals(found), "crash at operation " + at + " of " + ops
                    + ": found " + found);
        }
    }

    private static void copyInputs(Path from, Path to) {
        try {
            for (String name : List.of("a.dmb", "b.dmb")) {
                Files.copy(from.resolve(name), FaultPath.unwrapIfFaulty(to).resolve(name));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertNoTemporaryFilesUnlessTheirDeleteFailed(Path dir, FaultyFileSystem fs)
            throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> left = files.filter(p -> p.getFileName().toString().contains(".tmp-")).toList();
            assertTrue(left.isEmpty() || fs.faultsInjected > 0, "temporary files left: " + left);
        }
    }
}
