package dev.decap.memory.file;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a child JVM that is writing a bank ({@code Process.destroyForcibly}, SIGKILL on POSIX) at many moments and
 * checks that what is left is never a file that verifies with the wrong content.
 */
class KillMidWriteTest {
    private static final int ENTRIES = 20_000;

    @TempDir
    Path dir;

    private static Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                KillChild.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Starts the child, waits for it to be up, lets it run {@code millis}, then kills it (if still running). */
    private static boolean runAndKill(long millis, String... args) throws Exception {
        Process p = start(args);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertEquals("started", first, "the child JVM did not start");
        if (millis >= 0) {
            Thread.sleep(millis);
        }
        boolean finished = !p.isAlive();
        p.destroyForcibly();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return finished;
    }

    private static long timeChild(String... args) throws Exception {
        Process p = start(args);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("started", out.readLine());
        long t0 = System.nanoTime();
        String rest = out.readLine();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals("done", rest, "the child failed");
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void a_writer_killed_at_any_moment_leaves_the_previous_bank_or_the_complete_new_one() throws Exception {
        Path target = dir.resolve("bank.dmb");
        Path previous = dir.resolve("previous.dmb");
        BankInfo old = BankFiles.write(previous, List.of("the previous bank"),
                List.of(FakeTextEncoder.embed("previous", KillChild.DIMENSION)), VectorType.FP32);
        String expected = KillChild.write(dir.resolve("expected.dmb"), ENTRIES).contentSha256();
        Files.copy(previous, target, StandardCopyOption.REPLACE_EXISTING);
        long work = timeChild("write", target.toString(), String.valueOf(ENTRIES));
        assertEquals(expected, MemoryBankFile.openVerified(target).contentSha256());
        Set<String> outcomes = new HashSet<>();
        int kills = 16;
        for (int k = 0; k < kills; k++) {
            Files.copy(previous, target, StandardCopyOption.REPLACE_EXISTING);
            long delay = work * k / (kills - 4); // the last few let it finish
            runAndKill(delay, "write", target.toString(), String.valueOf(ENTRIES));
            try (MemoryBankFile bank = MemoryBankFile.openVerified(target)) {
                String sha = bank.contentSha256();
                assertTrue(sha.equals(old.contentSha256()) || sha.equals(expected),
                        "kill after " + delay + " ms left a bank with unexpected content " + sha);
                outcomes.add(sha.equals(expected) ? "new" : "previous");
            }
        }
        assertTrue(outcomes.contains("previous"), "no kill landed before the rename: " + outcomes);
        assertTrue(outcomes.contains("new"), "no run finished: " + outcomes);
    }

    @Test
    void a_build_killed_at_any_moment_resumes_from_its_journal_to_the_same_content() throws Exception {
        int n = 1024;
        String expected = KillChild.build(dir.resolve("expected.dmb"), n, new FakeTextEncoder(KillChild.DIMENSION))
                .build().run().contentSha256();
        long work = timeChild("build", dir.resolve("timed.dmb").toString(), String.valueOf(n), "15");
        int kills = 10;
        int resumedSome = 0;
        for (int k = 0; k < kills; k++) {
            Path target = dir.resolve("bank-" + k + ".dmb");
            long delay = work * (k + 1) / (kills + 1);
            runAndKill(delay, "build", target.toString(), String.valueOf(n), "15");
            if (Files.exists(target)) {
                try (MemoryBankFile bank = MemoryBankFile.openVerified(target)) {
                    assertEquals(expected, bank.contentSha256(), "kill after " + delay);
                }
                if (!Files.exists(MemoryBankBuild.partialDirectory(target))) {
                    continue; // the child had finished
                }
            }
            Path journal = MemoryBankBuild.partialDirectory(target).resolve(MemoryBankBuild.JOURNAL);
            Set<Integer> committed = new HashSet<>();
            if (Files.exists(journal)) {
                String text = Files.readString(journal);
                for (String line : text.substring(0, Math.max(0, text.lastIndexOf('\n'))).split("\n")) {
                    if (line.startsWith("chunk ")) {
                        committed.add(Integer.parseInt(line.split(" ")[1]));
                    }
                }
            }
            FakeTextEncoder counting = new FakeTextEncoder(KillChild.DIMENSION);
            BankInfo info = KillChild.build(target, n, counting).build().run();
            assertEquals(expected, info.contentSha256(), "resumed after a kill at " + delay + " ms");
            List<String> all = KillChild.captions(n);
            List<String> wanted = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (!committed.contains(i / 64)) {
                    wanted.add(all.get(i));
                }
            }
            assertEquals(wanted, counting.encoded, "re-encoded finished chunks after a kill at " + delay + " ms");
            if (!committed.isEmpty()) {
                resumedSome++;
            }
        }
        assertTrue(resumedSome > 0, "no kill landed after a checkpoint");
    }
}
