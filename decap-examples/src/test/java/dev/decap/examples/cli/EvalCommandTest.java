package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.eval.CaptionMetrics;
import dev.decap.eval.CaptionScores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path references(Map<Integer, List<String>> refs) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode annotations = root.putArray("annotations");
        int id = 0;
        for (Map.Entry<Integer, List<String>> e : refs.entrySet()) {
            for (String caption : e.getValue()) {
                annotations.addObject().put("image_id", e.getKey()).put("id", id++).put("caption", caption);
            }
        }
        Path file = dir.resolve("refs.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private Path predictions(Map<Integer, String> preds) throws IOException {
        ArrayNode root = JSON.createArrayNode();
        preds.forEach((id, caption) -> root.addObject().put("image_id", id).put("caption", caption));
        Path file = dir.resolve("results.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private static Map<Integer, List<String>> smallReferences() {
        Map<Integer, List<String>> refs = new LinkedHashMap<>();
        refs.put(1, List.of("A dog runs on the grass.", "A brown dog running in a field."));
        refs.put(2, List.of("Two cats sleep on a sofa.", "A pair of cats asleep on a couch."));
        refs.put(3, List.of("A red bus on a street."));
        return refs;
    }

    private static Map<Integer, String> smallPredictions() {
        Map<Integer, String> preds = new LinkedHashMap<>();
        preds.put(1, "a dog running on the grass");
        preds.put(2, "two cats on a couch");
        return preds;
    }

    private static JsonNode lastLine(String out) throws IOException {
        String[] lines = out.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    @Test
    void json_output_has_exactly_pycocoevalcaps_keys_and_per_image_scores() throws IOException {
        CliRun run = CliRun.of("eval", "--references", references(smallReferences()).toString(),
                "--predictions", predictions(smallPredictions()).toString(), "--json");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode root = lastLine(run.out());
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr", "per_image"), keys);
        // only the predicted images are scored, exactly as the library scores them
        assertEquals(2, root.get("per_image").size());
        Map<String, List<String>> refs = new LinkedHashMap<>();
        smallReferences().forEach((k, v) -> refs.put(String.valueOf(k), v));
        Map<String, String> cands = new LinkedHashMap<>();
        smallPredictions().forEach((k, v) -> cands.put(String.valueOf(k), v));
        CaptionScores expected = CaptionMetrics.evaluate(refs, cands).corpus();
        assertEquals(expected.cider(), root.get("CIDEr").asDouble(), 1e-12);
        assertEquals(expected.bleu4(), root.get("Bleu_4").asDouble(), 1e-12);
        for (String key : CaptionScores.NAMES) {
            assertTrue(root.get("per_image").get("1").has(key), "per_image 1 lacks " + key);
        }
    }

    @Test
    void prints_a_table_for_people_without_json() throws IOException {
        CliRun run = CliRun.of("eval", "--references", references(smallReferences()).toString(),
                "--predictions", predictions(smallPredictions()).toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("images   2"), run.out());
        for (String key : CaptionScores.NAMES) {
            assertTrue(run.out().contains(key), run.out());
        }
    }

    @Test
    void a_prediction_without_references_is_a_one_line_error_with_exit_1() throws IOException {
        Map<Integer, String> preds = new LinkedHashMap<>(smallPredictions());
        preds.put(99, "a cat");
        CliRun run = CliRun.of("eval", "--references", references(smallReferences()).toString(),
                "--predictions", predictions(preds).toString(), "--json");
        assertEquals(1, run.exitCode());
        assertOneLineError(run, "image_id 99");
    }

    @Test
    void unreadable_or_malformed_files_are_one_line_errors_with_exit_1() throws IOException {
        Path refs = references(smallReferences());
        CliRun missing = CliRun.of("eval", "--references", refs.toString(), "--predictions",
                dir.resolve("nope.json").toString());
        assertEquals(1, missing.exitCode());
        assertOneLineError(missing, "not found");

        Path broken = Files.writeString(dir.resolve("broken.json"), "[{\"image_id\": 1, ");
        CliRun invalid = CliRun.of("eval", "--references", refs.toString(), "--predictions", broken.toString());
        assertEquals(1, invalid.exitCode());
        assertOneLineError(invalid, "not valid JSON");

        Path wrongShape = Files.writeString(dir.resolve("shape.json"), "{\"images\": []}");
        CliRun notCoco = CliRun.of("eval", "--references", wrongShape.toString(), "--predictions",
                predictions(smallPredictions()).toString());
        assertEquals(1, notCoco.exitCode());
        assertOneLineError(notCoco, "COCO annotation format");

        Path twice = Files.writeString(dir.resolve("twice.json"),
                "[{\"image_id\": 1, \"caption\": \"a\"}, {\"image_id\": 1, \"caption\": \"b\"}]");
        CliRun duplicate = CliRun.of("eval", "--references", refs.toString(), "--predictions", twice.toString());
        assertEquals(1, duplicate.exitCode());
        assertOneLineError(duplicate, "more than once");
    }

    @Test
    void missing_options_are_usage_errors_with_exit_2() throws IOException {
        CliRun run = CliRun.of("eval", "--references", references(smallReferences()).toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--predictions"), run.err());
    }

    @Test
    void cli_matches_pycocoevalcap_on_every_golden_set() throws IOException {
        Path golden = CliRun.shared().resolve("golden/metrics_cases.json");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(golden), golden + " not found");
        JsonNode sets = JSON.readTree(golden.toFile()).get("sets");
        assertTrue(sets.size() >= 4, "expected at least 4 golden sets, found " + sets.size());
        for (JsonNode set : sets) {
            String name = set.get("name").asText();
            Map<Integer, List<String>> refs = new LinkedHashMap<>();
            set.get("references").fields().forEachRemaining(e -> {
                List<String> list = new ArrayList<>();
                e.getValue().forEach(r -> list.add(r.asText()));
                refs.put(Integer.parseInt(e.getKey()), list);
            });
            Map<Integer, String> preds = new LinkedHashMap<>();
            set.get("candidates").fields().forEachRemaining(
                    e -> preds.put(Integer.parseInt(e.getKey()), e.getValue().asText()));
            CliRun run = CliRun.of("eval", "--references", references(refs).toString(),
                    "--predictions", predictions(preds).toString(), "--json");
            assertEquals(0, run.exitCode(), name + ": " + run.err());
            JsonNode got = lastLine(run.out());
            JsonNode want = set.get("scores");
            String[][] pairs = {{"Bleu_1", "BLEU-1"}, {"Bleu_2", "BLEU-2"}, {"Bleu_3", "BLEU-3"},
                {"Bleu_4", "BLEU-4"}, {"ROUGE_L", "ROUGE-L"}, {"CIDEr", "CIDEr-D"}};
            for (String[] pair : pairs) {
                assertEquals(want.get(pair[1]).asDouble(), got.get(pair[0]).asDouble(), 1e-4, name + ": " + pair[0]);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = want.get("per_image").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode image = got.get("per_image").get(e.getKey());
                assertEquals(e.getValue().get("CIDEr-D").asDouble(), image.get("CIDEr").asDouble(), 1e-4,
                        name + ": CIDEr of image " + e.getKey());
                assertEquals(e.getValue().get("ROUGE-L").asDouble(), image.get("ROUGE_L").asDouble(), 1e-4,
                        name + ": ROUGE_L of image " + e.getKey());
            }
        }
    }

    private static void assertOneLineError(CliRun run, String fragment) {
        String err = run.err().strip();
        assertFalse(err.contains("\n"), "expected one line, found: " + err);
        assertTrue(err.startsWith("error: "), err);
        assertTrue(err.contains(fragment), err);
        assertFalse(err.contains("Exception"), err);
    }
}
