package dev.decap.spark;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.InvalidInputException;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.miniature.Miniature;
import org.apache.spark.ExceptionFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.decap.spark.SparkTestSupport.bundle;
import static dev.decap.spark.SparkTestSupport.decap;
import static dev.decap.spark.SparkTestSupport.decapSpark;
import static dev.decap.spark.SparkTestSupport.samples;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Distributed memory-bank builds in local mode ({@code local[2,3]}: two cores, three tries per task), against the
 * single-file bank of {@code decap memory build} on the same corpus.
 */
class SparkMemoryBuildTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path corpus;
    static List<String> captions;
    /** {@code decap memory build} of the corpus. */
    static Path single;
    /** Its entries: the unique captions of the corpus. */
    static long unique;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSupport.session(2, 3);
        List<String> memory = Miniature.memoryCaptions();
        captions = new ArrayList<>(memory.subList(0, 700));
        for (int i = 0; i < 700; i += 17) {
            captions.add("  " + memory.get(i).replace(" ", "   ") + " "); // duplicates once normalised
        }
        captions.add(3, "");  // blank lines are skipped
        corpus = Files.write(dir.resolve("corpus.txt"), captions, StandardCharsets.UTF_8);
        single = dir.resolve("single.dmb");
        decap("memory", "build", "--bundle", bundle().toString(), "--corpus", corpus.toString(), "--out",
                single.toString());
        unique = MemoryBankFile.info(single).count();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static MemoryJob.Builder job(Path out, int shards) {
        return MemoryJob.builder().bundle(bundle().toString()).output(out.toString()).shards(shards).batchSize(64);
    }

    private static List<String> files(Path bankDir) throws IOException {
        try (Stream<Path> s = Files.walk(bankDir)) {
            return s.filter(Files::isRegularFile).map(p -> bankDir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void a_sharded_bank_holds_the_entries_of_the_single_file_bank_in_the_same_order() {
        MemoryBuildResult r = DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()),
                job(dir.resolve("ordered"), 3).build());
        try (MemoryBankFile one = MemoryBankFile.openVerified(single);
             ShardedMemoryBank sharded = ShardedMemoryBank.open(r.directory(), true)) {
            assertEquals(3, sharded.shards().size());
            assertEquals(one.size(), sharded.size());
            assertEquals(one.size(), r.count());
            assertEquals(captions.stream().filter(c -> !c.isBlank()).count(), r.corpusCaptions());
            for (int i = 0; i < one.size(); i++) {
                assertEquals(one.caption(i), sharded.caption(i), "entry " + i);
                assertArrayEquals(one.embedding(i), sharded.embedding(i), 1e-6f, "entry " + i);
            }
            assertEquals(unique / 3, sharded.shards().get(0).size()); // contiguous, nearly equal ranges
        }
    }

    @Test
    void the_cli_captions_with_the_spark_built_bank_directory_as_with_the_single_file_bank() {
        Path bankDir = dir.resolve("cli");
        SparkTestSupport.CliRun build = decapSpark("memory", "build", "--master", "local[2]", "--bundle",
                bundle().toString(), "--corpus", corpus.toString(), "--out", bankDir.toString(), "--shards", "4");
        assertEquals(0, build.exitCode(), build.err());
        assertEquals(unique, SparkTestSupport.parse(build.out().strip()).get("count").asLong());
        List<JsonNode> fromSingle = decap("caption", "--bundle", bundle().toString(), "--bank", single.toString(),
                "--json", samples().toString()).json();
        List<JsonNode> fromShards = decap("caption", "--bundle", bundle().toString(), "--bank", bankDir.toString(),
                "--json", samples().toString()).json();
        assertEquals(8, fromShards.size());
        for (int i = 0; i < fromSingle.size(); i++) {
            assertEquals(fromSingle.get(i).get("text"), fromShards.get(i).get("text"));
            assertEquals(fromSingle.get(i).get("tokens"), fromShards.get(i).get("tokens"));
            for (int n = 0; n < fromSingle.get(i).get("neighbours").size(); n++) {
                assertEquals(fromSingle.get(i).get("neighbours").get(n).get("caption"),
                        fromShards.get(i).get("neighbours").get(n).get("caption"));
            }
        }
    }

    @Test
    void a_build_whose_first_task_attempts_fail_after_writing_is_retried_into_the_same_bank() throws Exception {
        Path clean = dir.resolve("clean");
        Path retried = dir.resolve("retried");
        DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()), job(clean, 3).build());
        HookFailures failures = new HookFailures();
        spark.sparkContext().addSparkListener(failures);
        MemoryBuildResult r;
        try {
            r = DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()),
                    job(retried, 3).failFirstAttempts(true).build());
            spark.sparkContext().listenerBus().waitUntilEmpty(); // task-end events are delivered asynchronously
        } finally {
            spark.sparkContext().removeSparkListener(failures);
        }
        assertEquals(3, failures.count.get(), "each of the three shard tasks failed once and was retried");
        assertEquals(files(clean), files(retried), "the same shard files, no attempt left behind");
        assertEquals(Files.readString(clean.resolve("manifest.json")), Files.readString(r.manifest()));
        try (ShardedMemoryBank bank = ShardedMemoryBank.open(retried, true)) {
            assertEquals(unique, bank.size());
            assertEquals(unique, java.util.stream.IntStream.range(0, bank.size()).mapToObj(bank::caption).distinct()
                    .count(), "no entry duplicated");
        }
    }

    /** Counts task attempts that the test hook failed. */
    static final class HookFailures extends SparkListener {
        final AtomicInteger count = new AtomicInteger();

        @Override
        public void onTaskEnd(SparkListenerTaskEnd end) {
            if (end.reason() instanceof ExceptionFailure f && f.description().contains("decap-spark test hook")) {
                count.incrementAndGet();
            }
        }
    }

    @Test
    void rebuilding_a_bank_directory_replaces_its_shards_and_the_same_build_is_identical() throws IOException {
        Path out = dir.resolve("rebuilt");
        Files.createDirectories(out);
        Path own = Files.writeString(out.resolve("notes.dmb"), "not ours: never deleted");
        DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()), job(out, 2).build());
        MemoryBuildResult r = DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()),
                job(out, 5).build());
        String manifest = Files.readString(r.manifest());
        List<String> expected = new ArrayList<>(r.shards().stream().map(p -> p.getFileName().toString()).toList());
        expected.add("manifest.json");
        expected.add("notes.dmb");
        assertEquals(expected.stream().sorted().toList(), files(out), "the two-shard build's files are gone");
        assertTrue(Files.exists(own));
        DecapSpark.buildMemory(DecapSpark.readCorpus(spark, corpus.toString()), job(out, 5).build());
        assertEquals(manifest, Files.readString(r.manifest()), "a rerun writes the same bank");
    }

    @Test
    void jsonl_and_coco_corpora_build_the_bank_of_the_same_captions_as_text() throws IOException {
        List<String> some = Miniature.memoryCaptions().subList(0, 40);
        Path txt = Files.write(dir.resolve("some.txt"), some, StandardCharsets.UTF_8);
        StringBuilder jsonl = new StringBuilder();
        StringBuilder coco = new StringBuilder("{\"annotations\": [");
        for (int i = 0; i < some.size(); i++) {
            jsonl.append("{\"caption\": \"").append(some.get(i)).append("\", \"image_id\": ").append(i).append("}\n");
            coco.append(i == 0 ? "" : ", ").append("{\"id\": ").append(i).append(", \"caption\": \"")
                    .append(some.get(i)).append("\"}");
        }
        Path jl = Files.writeString(dir.resolve("some.jsonl"), jsonl);
        Path cj = Files.writeString(dir.resolve("some.json"), coco.append("]}"));
        List<String> manifests = new ArrayList<>();
        for (Path c : List.of(txt, jl, cj)) {
            MemoryBuildResult r = DecapSpark.buildMemory(DecapSpark.readCorpus(spark, c.toString()),
                    job(dir.resolve("from-" + c.getFileName()), 2).build());
            manifests.add(Files.readString(r.manifest()));
        }
        assertEquals(manifests.get(0), manifests.get(1));
        assertEquals(manifests.get(0), manifests.get(2));
    }

    @Test
    void more_shards_than_unique_captions_and_bad_corpus_lines_are_refused_with_what_to_do() throws IOException {
        Path tiny = Files.write(dir.resolve("tiny.txt"), List.of("a red circle", "a red  circle", "a blue square"));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> DecapSpark.buildMemory(
                DecapSpark.readCorpus(spark, tiny.toString()), job(dir.resolve("tiny"), 3).build()));
        assertTrue(e.getMessage().contains("at most the number of unique captions (2), found 3"), e.getMessage());

        Path broken = Files.writeString(dir.resolve("broken.jsonl"), "{\"caption\": \"a red circle\"}\n{\"text\": 1}\n");
        SparkTestSupport.CliRun run = decapSpark("memory", "build", "--master", "local[2]", "--bundle",
                bundle().toString(), "--corpus", broken.toString(), "--out", dir.resolve("broken").toString(),
                "--shards", "1");
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("line 2 has no \"caption\" string"), run.err());
        assertFalse(Files.exists(dir.resolve("broken").resolve("manifest.json")));
    }
}
