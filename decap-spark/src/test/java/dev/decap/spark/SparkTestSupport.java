package dev.decap.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.examples.cli.DecapCli;
import dev.decap.miniature.Miniature;
import org.apache.spark.sql.SparkSession;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the Spark tests share: a local session, the shipped model, the sample images and the single-JVM CLI. */
final class SparkTestSupport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SparkTestSupport() {
    }

    /** A local session with {@code threads} cores, each task tried up to {@code maxFailures} times. */
    static SparkSession session(int threads, int maxFailures) {
        return SparkSession.builder().master("local[" + threads + "," + maxFailures + "]").appName("decap-spark test")
                .config("spark.ui.enabled", false).config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", 4)
                .getOrCreate();
    }

    static Path bundle() {
        return Miniature.bundleDirectory();
    }

    /** The sample images of the README (docs/samples), eight PNGs. */
    static Path samples() {
        return Path.of("..", "docs", "samples").toAbsolutePath().normalize();
    }

    /** The shipped memory corpus, written to {@code dir/corpus.txt}. */
    static Path memoryCorpus(Path dir) throws IOException {
        return Files.write(dir.resolve("corpus.txt"), Miniature.memoryCaptions(), StandardCharsets.UTF_8);
    }

    /** The result of one run of the single-JVM CLI. */
    record CliRun(int exitCode, String out, String err) {
        /** Standard output as JSON lines. */
        List<JsonNode> json() {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    nodes.add(parse(line));
                }
            }
            return nodes;
        }
    }

    /** Runs {@code decap ARGS} in-process; fails unless it exits with 0. */
    static CliRun decap(String... args) {
        CliRun run = capture(() -> DecapCli.execute(args));
        if (run.exitCode() != 0) {
            throw new AssertionError("decap " + String.join(" ", args) + " exited with " + run.exitCode() + ": "
                    + run.err());
        }
        return run;
    }

    /** Runs {@code decap-spark ARGS} in-process (in the test's session). */
    static CliRun decapSpark(String... args) {
        return capture(() -> DecapSparkMain.execute(args));
    }

    private static CliRun capture(java.util.function.IntSupplier command) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = command.getAsInt();
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            nodes.add(parse(line));
        }
        return nodes;
    }

    /** The file name of an image key (a path or a {@code file:} URI). */
    static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }
}
