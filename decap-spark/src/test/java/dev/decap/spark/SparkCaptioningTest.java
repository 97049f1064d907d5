package dev.decap.spark;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.spark.internal.ExecutorCache;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.decap.spark.SparkTestSupport.bundle;
import static dev.decap.spark.SparkTestSupport.decap;
import static dev.decap.spark.SparkTestSupport.decapSpark;
import static dev.decap.spark.SparkTestSupport.fileName;
import static dev.decap.spark.SparkTestSupport.samples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch captioning in local mode ({@code local[2]}) against the single-JVM CLI, on the shipped model. */
class SparkCaptioningTest {
    @TempDir
    static Path dir;
    static SparkSession spark;
    static Path bank;
    /** {@code decap caption --bundle B --bank BANK --json docs/samples}, by image file name. */
    static Map<String, JsonNode> cli;

    @BeforeAll
    static void start() throws IOException {
        spark = SparkTestSupport.session(2, 1);
        bank = dir.resolve("memory.dmb");
        decap("memory", "build", "--bundle", bundle().toString(), "--corpus",
                SparkTestSupport.memoryCorpus(dir).toString(), "--out", bank.toString());
        cli = byImage(decap("caption", "--bundle", bundle().toString(), "--bank", bank.toString(), "--json",
                samples().toString()).json());
        assertEquals(8, cli.size());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Map<String, JsonNode> byImage(List<JsonNode> lines) {
        Map<String, JsonNode> m = new HashMap<>();
        for (JsonNode n : lines) {
            m.put(fileName(n.get("image").asText()), n);
        }
        return m;
    }

    private static CaptionJob.Builder job() {
        return CaptionJob.builder().bundle(bundle().toString()).bank(bank.toString());
    }

    /** Asserts that a Spark output row holds the caption the CLI printed for its image. */
    private static void assertSameCaption(JsonNode expected, Row row) {
        String image = fileName(row.getString(0));
        assertNull(row.get(6), image);
        assertEquals(expected.get("text").asText(), row.getString(1), image);
        List<Integer> tokens = row.getList(2);
        List<Float> logprobs = row.getList(3);
        assertEquals(expected.get("tokens").size(), tokens.size(), image);
        for (int i = 0; i < tokens.size(); i++) {
            assertEquals(expected.get("tokens").get(i).asInt(), tokens.get(i), image + " token " + i);
            assertEquals(expected.get("logprobs").get(i).floatValue(), logprobs.get(i), 1e-5f, image + " logprob " + i);
        }
        assertEquals(expected.get("score").asDouble(), row.getDouble(4), 1e-4, image);
        List<Row> neighbours = row.getList(5);
        assertEquals(expected.get("neighbours").size(), neighbours.size(), image);
        for (int i = 0; i < neighbours.size(); i++) {
            JsonNode n = expected.get("neighbours").get(i);
            assertEquals(n.get("caption").asText(), neighbours.get(i).getString(1), image + " neighbour " + i);
            assertEquals(n.get("weight").floatValue(), neighbours.get(i).getFloat(2), 1e-5f, image);
            assertEquals(n.get("similarity").floatValue(), neighbours.get(i).getFloat(3), 1e-5f, image);
        }
    }

    @Test
    void captions_equal_the_single_jvm_cli_on_the_same_images_bundle_and_bank() {
        List<Row> rows = DecapSpark.caption(DecapSpark.readImages(spark, samples().toString()), job().build())
                .collectAsList();
        assertEquals(8, rows.size());
        for (Row row : rows) {
            assertSameCaption(cli.get(fileName(row.getString(0))), row);
        }
    }

    @Test
    void each_executor_jvm_builds_the_captioner_once_and_shares_it_between_tasks_and_jobs() {
        CaptionJob job = job().batchSize(3).beam(2).build(); // settings no other test uses: a key of its own
        Dataset<Row> images = DecapSpark.readImages(spark, samples().toString()).repartition(4);
        long before = ExecutorCache.loads();
        assertEquals(8, DecapSpark.caption(images, job).count());
        assertEquals(1, ExecutorCache.loads() - before, "one load for four tasks in one executor JVM");
        assertEquals(8, DecapSpark.caption(images, job).count());
        assertEquals(1, ExecutorCache.loads() - before, "a second job reuses the loaded captioner");
    }

    @Test
    void a_bundle_and_bank_shipped_with_spark_files_give_the_same_captions() throws IOException {
        Path shipped = Files.copy(bank, dir.resolve("shipped.dmb"));
        List<Row> rows = DecapSpark.caption(DecapSpark.readImages(spark, samples().toString()),
                job().bank(shipped.toString()).distributeFiles(true).build()).collectAsList();
        assertEquals(8, rows.size());
        for (Row row : rows) {
            assertSameCaption(cli.get(fileName(row.getString(0))), row);
        }
    }

    @Test
    void bad_images_become_error_rows_and_are_counted_and_the_rest_are_captioned() throws IOException {
        Path images = imagesWithTwoBadOnes(dir.resolve("with-bad"));
        LongAccumulator bad = spark.sparkContext().longAccumulator("bad");
        List<Row> rows = DecapSpark.caption(DecapSpark.readImages(spark, images.toString()), job().batchSize(4)
                .build(), bad).collectAsList();
        assertEquals(10, rows.size());
        assertEquals(2L, bad.value());
        int errors = 0;
        for (Row row : rows) {
            String image = fileName(row.getString(0));
            if (image.startsWith("broken") || image.startsWith("truncated")) {
                errors++;
                assertNull(row.get(1), image);
                assertTrue(row.getString(6).contains(image), row.getString(6));
            } else {
                assertSameCaption(cli.get(image), row);
            }
        }
        assertEquals(2, errors);
    }

    @Test
    void skipped_bad_images_leave_no_row_but_are_counted() throws IOException {
        Path images = imagesWithTwoBadOnes(dir.resolve("skip-bad"));
        LongAccumulator bad = spark.sparkContext().longAccumulator("bad");
        List<Row> rows = DecapSpark.caption(DecapSpark.readImages(spark, images.toString()),
                job().onError(CaptionJob.OnError.SKIP).build(), bad).collectAsList();
        assertEquals(8, rows.size());
        assertEquals(2L, bad.value());
        rows.forEach(r -> assertNotNull(r.getString(1)));
    }

    @Test
    void a_dataset_of_paths_is_read_and_captioned_like_binary_files_and_missing_or_empty_files_are_reported()
            throws IOException {
        List<Row> paths = new ArrayList<>();
        try (Stream<Path> files = Files.list(samples())) {
            files.filter(p -> p.toString().endsWith(".png")).forEach(p -> paths.add(RowFactory.create(p.toString())));
        }
        Path empty = Files.write(dir.resolve("empty.jpg"), new byte[0]); // Spark's file sources list no empty file
        paths.add(RowFactory.create(empty.toString()));
        paths.add(RowFactory.create(dir.resolve("missing.png").toString()));
        StructType schema = new StructType().add("path", DataTypes.StringType);
        List<Row> rows = DecapSpark.caption(spark.createDataFrame(paths, schema), job().build()).collectAsList();
        assertEquals(10, rows.size());
        for (Row row : rows) {
            String image = fileName(row.getString(0));
            if (cli.containsKey(image)) {
                assertSameCaption(cli.get(image), row);
            } else {
                assertTrue(row.getString(6).contains(image), row.getString(6));
            }
        }
    }

    @Test
    void the_caption_command_writes_json_lines_sorted_by_image_equal_to_the_cli() throws IOException {
        Path images = imagesWithTwoBadOnes(dir.resolve("command"));
        Path out = dir.resolve("out").resolve("captions.jsonl");
        SparkTestSupport.CliRun run = decapSpark("caption", "--master", "local[2]", "--bundle", bundle().toString(),
                "--bank", bank.toString(), "--images", images.toString(), "--out", out.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("2 image(s) could not be captioned"), run.err());
        List<JsonNode> lines = SparkTestSupport.jsonLines(out);
        assertEquals(10, lines.size());
        List<String> names = lines.stream().map(n -> fileName(n.get("image").asText())).toList();
        assertEquals(names.stream().sorted().toList(), names);
        for (JsonNode n : lines) {
            String image = fileName(n.get("image").asText());
            JsonNode expected = cli.get(image);
            if (expected == null) {
                assertTrue(n.get("error").asText().contains(image), n.toString());
            } else {
                assertEquals(expected.get("text"), n.get("text"), image);
                assertEquals(expected.get("tokens"), n.get("tokens"), image);
            }
        }
        assertEquals(8, SparkTestSupport.parse(run.out().strip()).get("captions").asLong());
    }

    @Test
    void the_caption_command_refuses_a_directory_without_images_and_says_so() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("no-images"));
        Files.writeString(empty.resolve("notes.txt"), "not an image");
        SparkTestSupport.CliRun run = decapSpark("caption", "--master", "local[2]", "--bundle", bundle().toString(),
                "--bank", bank.toString(), "--images", empty.toString(), "--out", dir.resolve("none.jsonl").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("has no image files"), run.err());
        assertTrue(Files.notExists(dir.resolve("none.jsonl")));
    }

    /** The eight samples, plus {@code broken.png} (not an image) and {@code truncated.png} (its first 40 bytes). */
    private static Path imagesWithTwoBadOnes(Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(samples())) {
            for (Path p : files.filter(p -> p.toString().endsWith(".png")).toList()) {
                Files.copy(p, target.resolve(p.getFileName()));
            }
        }
        Files.writeString(target.resolve("broken.png"), "this is not a PNG file");
        byte[] png = Files.readAllBytes(samples().resolve("sample_1.png"));
        Files.write(target.resolve("truncated.png"), java.util.Arrays.copyOf(png, 40));
        return target;
    }
}
