package dev.decap.reliability.faults;

import dev.decap.DecapException;
import dev.decap.encoding.TextEncoder;
import dev.decap.memory.file.BankInfo;
import dev.decap.memory.file.MemoryBankBuild;
import dev.decap.memory.file.MemoryBanks;
import dev.decap.memory.file.ShardedMemoryBank;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A resumable corpus build ({@link MemoryBankBuild}) crashed at every I/O operation, then resumed on a healthy
 * disk, gives exactly the bank of an uninterrupted build (same content hash), reusing only checkpoints that
 * verify; a split ({@link MemoryBanks#split}) crashed at every operation leaves a manifest that opens to the old or
 * the new shards, or none.
 */
class ResumableBuildFaultsTest {
    private static final FaultCounts COUNTS = new FaultCounts("resumable build and split");
    private static final List<String> CORPUS = corpus();

    @TempDir
    Path tmp;

    @AfterAll
    static void report() {
        COUNTS.print();
    }

    private static List<String> corpus() {
        List<String> c = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            c.add("a photo of thing " + i + (i % 7 == 0 ? " on a table" : ""));
        }
        c.add("a photo of thing 3");   // a duplicate, removed by the build
        return c;
    }

    /** A deterministic encoder: the embedding is a function of the caption's bytes. */
    private static final class HashEncoder implements TextEncoder {
        int encoded;

        @Override
        public int dimension() {
            return 8;
        }

        @Override
        public float[] encode(String text) {
            encoded++;
            SplittableRandom r = new SplittableRandom(java.util.Arrays.hashCode(text.getBytes(StandardCharsets.UTF_8)));
            float[] e = new float[8];
            for (int i = 0; i < 8; i++) {
                e[i] = (float) r.nextGaussian();
            }
            return e;
        }
    }

    private static BankInfo build(Path output, boolean resume, HashEncoder encoder) {
        return MemoryBankBuild.builder().encoder(encoder).encoderIdentity(BankWriteFaultsTest.ENCODER)
                .captions(CORPUS).output(output).batchSize(4).chunkSize(16).resume(resume).build().run();
    }

    @Test
    void a_build_crashed_at_any_operation_resumes_to_the_bank_of_an_uninterrupted_build() throws IOException {
        String expected = build(Files.createDirectories(tmp.resolve("reference")).resolve("bank.dmb"), false,
                new HashEncoder()).contentSha256();
        FaultyFileSystem counter = new FaultyFileSystem(Files.createDirectories(tmp.resolve("count")), 0);
        build(counter.root().resolve("bank.dmb"), false, new HashEncoder());
        long ops = counter.operations();
        int unique = (int) CORPUS.stream().distinct().count();
        long reused = 0;
        for (long at = 1; at <= ops + 1; at++) {
            for (long seed = 0; seed < 2; seed++) {
                Path dir = Files.createDirectories(tmp.resolve("crash-" + at + "-" + seed));
                FaultyFileSystem fs = new FaultyFileSystem(dir, at * 7 + seed).crashAt(at).shortIo(0.2);
                try {
                    build(fs.root().resolve("bank.dmb"), false, new HashEncoder());
                } catch (DecapException e) {
                    // the crash surfaced as a library exception
                }
                COUNTS.record("MemoryBankBuild, crash then resume", fs);
                fs.recoverAfterCrash();
                String where = "crash at operation " + at + " of " + ops + " (seed " + seed + ")";
                String found = BankWriteFaultsTest.verifiedContent(dir.resolve("bank.dmb"));
                if (found != null) {
                    assertEquals(expected, found, where + ": a bank that exists is the complete one");
                }
                HashEncoder resumedEncoder = new HashEncoder();
                BankInfo resumed = build(dir.resolve("bank.dmb"), true, resumedEncoder);
                assertEquals(expected, resumed.contentSha256(), where + ": the resumed build");
                assertEquals(expected, BankWriteFaultsTest.verifiedContent(dir.resolve("bank.dmb")), where);
                assertTrue(resumedEncoder.encoded <= unique, where + ": encoded " + resumedEncoder.encoded);
                reused += unique - resumedEncoder.encoded;
            }
        }
        assertTrue(reused > 0, "some resumed builds reused checkpoints");
    }

    @Test
    void a_split_crashed_at_any_operation_opens_to_the_old_or_the_new_shards_or_not_at_all() throws IOException {
        Path source = Files.createDirectories(tmp.resolve("source"));
        BankWriteFaultsTest.writeBank(source.resolve("bank.dmb"), "entry", 60, 8, 10);
        FaultyFileSystem counter = new FaultyFileSystem(Files.createDirectories(tmp.resolve("count")), 0);
        Files.copy(source.resolve("bank.dmb"), tmp.resolve("count/bank.dmb"));
        MemoryBanks.split(counter.root().resolve("bank.dmb"), 3, counter.root().resolve("shards.json"));
        long ops = counter.operations();
        int oldOrNew = 0;
        int refused = 0;
        for (long at = 1; at <= ops + 1; at++) {
            Path dir = Files.createDirectories(tmp.resolve("split-" + at));
            Files.copy(source.resolve("bank.dmb"), dir.resolve("bank.dmb"));
            MemoryBanks.split(dir.resolve("bank.dmb"), 2, dir.resolve("shards.json"));   // the previous split
            FaultyFileSystem fs = new FaultyFileSystem(dir, at).crashAt(at).shortIo(0.2);
            try {
                MemoryBanks.split(fs.root().resolve("bank.dmb"), 3, fs.root().resolve("shards.json"));
            } catch (DecapException e) {
                // the crash surfaced as a library exception
            }
            COUNTS.record("MemoryBanks.split, crash", fs);
            fs.recoverAfterCrash();
            try (ShardedMemoryBank bank = ShardedMemoryBank.open(dir.resolve("shards.json"), true)) {
                assertEquals(60, bank.size(), "crash at operation " + at);
                for (int i = 0; i < 60; i++) {
                    assertEquals("entry caption number " + i, bank.caption(i), "crash at operation " + at);
                }
                oldOrNew++;
            } catch (DecapException e) {
                // refused: a shard the manifest lists was replaced before the new manifest was written
                assertTrue(e.getMessage().contains("shards"), e.getMessage());
                refused++;
            }
        }
        System.err.printf("faults split: %d crash points, %d opened to a complete split, %d refused%n", ops + 1,
                oldOrNew, refused);
    }
}
