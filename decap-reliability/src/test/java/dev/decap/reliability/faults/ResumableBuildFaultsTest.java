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
 * verify; a split ({@link MemoryBanks#split}) over an earlier split, crashed at every operation, leaves a manifest
 * that opens to the old split or the new one.
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
        for (long at = 1, crashes = 1; crashes > 0; at++) {
            assertTrue(at < 100 * ops, "the build never completed");
            crashes = 0;
            for (long seed = 0; seed < 2; seed++) {
                Path dir = Files.createDirectories(tmp.resolve("crash-" + at + "-" + seed));
                FaultyFileSystem fs = new FaultyFileSystem(dir, seed).crashAt(at).shortIo(0.2);
                try {
                    build(fs.root().resolve("bank.dmb"), false, new HashEncoder());
                } catch (DecapException e) {
                    // the crash surfaced as a library exception
                }
                COUNTS.record("MemoryBankBuild, crash then resume", fs);
                crashes += fs.crashed() ? 1 : 0;
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
    void a_split_crashed_at_any_operation_leaves_the_old_split_or_the_new_one() throws IOException {
        Path source = Files.createDirectories(tmp.resolve("source"));
        BankWriteFaultsTest.writeBank(source.resolve("bank.dmb"), "entry", 60, 8, 10);
        FaultyFileSystem counter = new FaultyFileSystem(Files.createDirectories(tmp.resolve("count")), 0);
        Files.copy(source.resolve("bank.dmb"), tmp.resolve("count/bank.dmb"));
        MemoryBanks.split(tmp.resolve("count/bank.dmb"), 2, tmp.resolve("count/shards.json"));
        MemoryBanks.split(counter.root().resolve("bank.dmb"), 3, counter.root().resolve("shards.json"));
        long ops = counter.operations();
        int oldSplit = 0;
        int newSplit = 0;
        for (long at = 1, crashes = 1; crashes > 0; at++) {
            assertTrue(at < 100 * ops, "the split never completed");
            Path dir = Files.createDirectories(tmp.resolve("split-" + at));
            Files.copy(source.resolve("bank.dmb"), dir.resolve("bank.dmb"));
            MemoryBanks.split(dir.resolve("bank.dmb"), 2, dir.resolve("shards.json"));   // the previous split
            FaultyFileSystem fs = new FaultyFileSystem(dir, 1).crashAt(at).shortIo(0.2);
            try {
                MemoryBanks.split(fs.root().resolve("bank.dmb"), 3, fs.root().resolve("shards.json"));
            } catch (DecapException e) {
                // the crash surfaced as a library exception
            }
            COUNTS.record("MemoryBanks.split over a split, crash", fs);
            crashes = fs.crashed() ? 1 : 0;
            fs.recoverAfterCrash();
            try (ShardedMemoryBank bank = ShardedMemoryBank.open(dir.resolve("shards.json"), true)) {
                assertEquals(60, bank.size(), "crash at operation " + at);
                for (int i = 0; i < 60; i++) {
                    assertEquals("entry caption number " + i, bank.caption(i), "crash at operation " + at);
                }
                if (bank.shards().size() == 2) {
                    oldSplit++;
                } else {
                    newSplit++;
                }
            }
        }
        System.err.printf("faults split over a split: %d crash points, %d left the old split, %d the new one%n",
                oldSplit + newSplit, oldSplit, newSplit);
        assertTrue(oldSplit > 0 && newSplit > 0, "both outcomes occur: " + oldSplit + " old, " + newSplit + " new");
    }

    @Test
    void a_completed_split_over_a_split_leaves_only_the_new_shards() throws IOException {
        BankWriteFaultsTest.writeBank(tmp.resolve("bank.dmb"), "entry", 30, 4, 12);
        MemoryBanks.split(tmp.resolve("bank.dmb"), 3, tmp.resolve("shards.json"));
        List<Path> second = MemoryBanks.split(tmp.resolve("bank.dmb"), 2, tmp.resolve("shards.json"));
        List<Path> third = MemoryBanks.split(tmp.resolve("bank.dmb"), 2, tmp.resolve("shards.json"));
        try (java.util.stream.Stream<Path> files = Files.list(tmp)) {
            assertEquals(new java.util.TreeSet<>(List.of("bank.dmb", "shards.json", "shards-00000.dmb",
                    "shards-00001.dmb")), files.map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new)));
        }
        assertEquals("shards-1-00000.dmb", second.get(0).getFileName().toString());
        assertEquals("shards-00000.dmb", third.get(0).getFileName().toString());
    }
}
