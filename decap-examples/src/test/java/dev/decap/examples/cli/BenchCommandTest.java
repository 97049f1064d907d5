package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code decap bench} on the shipped model: its flags, its JSON keys and its one-line flag errors. */
class BenchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> KEYS = List.of("model", "memory", "memory_rows", "images", "tokens", "batch",
            "repeats", "threads", "kernels", "median_ms_per_caption", "min_ms_per_caption", "max_ms_per_caption",
            "captions_per_second", "stages_ms_per_caption");
    private static final List<String> STAGES = List.of("decode_image", "preprocess", "encode", "project",
            "decode_tokens");

    @TempDir
    Path dir;

    @BeforeEach
    void requireModel() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
    }

    private static JsonNode json(CliRun run) throws IOException {
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(1, lines.length, run.out());
        return JSON.readTree(lines[0]);
    }

    @Test
    void json_has_the_documented_keys_and_every_stage_on_a_fresh_clone() throws IOException {
        JsonNode o = json(CliRun.of("bench", "--images", "2", "--tokens", "3", "--repeats", "1", "--json"));
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        assertEquals(KEYS, keys);
        assertEquals("miniature", o.get("model").asText());
        assertEquals("shipped", o.get("memory").asText());
        assertTrue(o.get("memory_rows").asInt() > 100);
        assertEquals(2, o.get("images").asInt());
        assertEquals(3, o.get("tokens").asInt());
        assertEquals(1, o.get("batch").asInt());
        double median = o.get("median_ms_per_caption").asDouble();
        assertTrue(o.get("min_ms_per_caption").asDouble() <= median && median <= o.get("max_ms_per_caption")
                .asDouble(), o.toString());
        assertTrue(o.get("captions_per_second").asDouble() > 0);
        JsonNode stages = o.get("stages_ms_per_caption");
        List<String> stageKeys = new ArrayList<>();
        stages.fieldNames().forEachRemaining(stageKeys::add);
        assertEquals(STAGES, stageKeys);
        for (String s : STAGES) {
            assertTrue(stages.get(s).asDouble() > 0, s + " was measured: " + stages);
        }
    }

    @Test
    void batches_with_a_random_memory_and_an_image_directory() throws IOException {
        Path samples = Path.of("..", "docs", "samples");
        Assumptions.assumeTrue(Files.isDirectory(samples), "docs/samples not found");
        JsonNode o = json(CliRun.of("bench", "--random-memory", "1000", "--image-dir", samples.toString(),
                "--images", "5", "--batch", "2", "--tokens", "2", "--repeats", "2", "--threads", "1", "--json"));
        assertEquals("random", o.get("memory").asText());
        assertEquals(1000, o.get("memory_rows").asInt());
        assertEquals(2, o.get("batch").asInt());
        assertEquals(1, o.get("threads").asInt());
        assertTrue(o.get("stages_ms_per_caption").get("decode_tokens").asDouble() > 0);
    }

    @Test
    void human_output_names_the_median_and_each_stage() {
        CliRun run = CliRun.of("bench", "--images", "1", "--tokens", "2", "--repeats", "1");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("median per caption:"), run.out());
        for (String s : STAGES) {
            assertTrue(run.out().contains(s), s + " in " + run.out());
        }
    }

    @Test
    void flag_errors_exit_2_in_one_line() throws IOException {
        Path bank = Files.writeString(dir.resolve("b.dmb"), "x");
        String[][] cases = {
            {"--batch", "0"},
            {"--images", "0"},
            {"--tokens", "0"},
            {"--tokens", "5000"},
            {"--repeats", "0"},
            {"--random-memory", "0"},
            {"--random-memory", "10", "--bank", bank.toString()},
            {"--bundle", dir.toString()},
            {"--bundle", dir.resolve("none").toString(), "--random-memory", "10"},
            {"--bank", dir.resolve("none.dmb").toString()},
            {"--image-dir", dir.resolve("none").toString()},
            {"--vocab", dir.toString()},
            {"--batch", "two"},
            {"--no-such-flag"},
        };
        for (String[] flags : cases) {
            String[] args = new String[flags.length + 1];
            args[0] = "bench";
            System.arraycopy(flags, 0, args, 1, flags.length);
            CliRun run = CliRun.of(args);
            String what = String.join(" ", flags);
            assertEquals(2, run.exitCode(), what + ": " + run.err());
            String err = run.err().strip();
            assertEquals(1, err.split("\n").length, what + ": " + err);
            assertTrue(err.startsWith("error: "), what + ": " + err);
            assertFalse(err.contains("\tat "), what + ": " + err);
            assertEquals("", run.out(), what);
        }
        CliRun tooMany = CliRun.of("bench", "--tokens", "1000");
        assertTrue(tooMany.err().contains("--tokens 1000 is more than this model can produce"), tooMany.err());
    }
}
