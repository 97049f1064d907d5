package dev.decap.spark;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.decap.spark.SparkTestSupport.bundle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher the build writes ({@code target/decap-spark}) runs both jobs as a user would, in a JVM of its own:
 * {@code memory build} into a bank directory, then {@code caption} with it, matching the single-JVM CLI.
 */
class LauncherIT {
    @TempDir
    Path dir;

    private static Path launcher() {
        Path p = Path.of("target", "decap-spark").toAbsolutePath();
        assertTrue(Files.isExecutable(p), "the build writes an executable launcher at " + p);
        return p;
    }

    private static String run(Path log, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(launcher().toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) { // a guard against a hung child, not a speed check
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + Files.readString(log));
        return out;
    }

    @Test
    void the_launcher_builds_a_bank_directory_and_captions_with_it_as_the_cli_does() throws Exception {
        Path corpus = Files.write(dir.resolve("corpus.txt"), dev.decap.miniature.Miniature.memoryCaptions()
                .subList(0, 600), StandardCharsets.UTF_8);
        Path bank = dir.resolve("bank");
        String built = run(dir.resolve("build.log"), "memory", "build", "--master", "local[2]", "--bundle",
                bundle().toString(), "--corpus", corpus.toString(), "--out", bank.toString(), "--shards", "2");
        assertEquals(2, SparkTestSupport.parse(built.strip()).get("shards").asInt());
        Path out = dir.resolve("captions.jsonl");
        String images = Path.of("..", "docs", "samples").toString(); // relative, as a user types it
        run(dir.resolve("caption.log"), "caption", "--master", "local[2]", "--bundle", bundle().toString(), "--bank",
                bank.toString(), "--images", images, "--out", out.toString());
        List<JsonNode> spark = SparkTestSupport.jsonLines(out);
        List<JsonNode> cli = SparkTestSupport.decap("caption", "--bundle", bundle().toString(), "--bank",
                bank.toString(), "--json", images).json();
        assertEquals(8, spark.size());
        for (int i = 0; i < cli.size(); i++) {
            assertEquals(cli.get(i).get("image"), spark.get(i).get("image"), "images named as the CLI names them");
            assertEquals(cli.get(i).get("text"), spark.get(i).get("text"));
            assertEquals(cli.get(i).get("tokens"), spark.get(i).get("tokens"));
        }
    }
}
