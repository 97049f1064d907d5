package dev.decap.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with pycocoevalcap on every set of {@code ../shared/data/golden/metrics_cases.json}: tokenised text
 * equal, corpus scores and per-image ROUGE-L, CIDEr-D and BLEU-4 within 1e-4.
 */
class GoldenParityTest {

    private static final double TOLERANCE = 1e-4;

    @TestFactory
    List<DynamicTest> metrics_match_pycocoevalcap_on_every_golden_set() throws IOException {
        if (!Files.isRegularFile(SharedData.metricsCases())) { // reported as one skipped test, with the reason
            return List.of(DynamicTest.dynamicTest("golden file absent",
                    () -> SharedData.require(SharedData.metricsCases())));
        }
        JsonNode root = new ObjectMapper().readTree(SharedData.metricsCases().toFile());
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode set : root.get("sets")) {
            tests.add(DynamicTest.dynamicTest(set.get("name").asText(), () -> checkSet(set)));
        }
        assertTrue(tests.size() >= 4, "expected at least 4 golden sets, found " + tests.size());
        return tests;
    }

    static Map<String, String> candidates(JsonNode set) {
        Map<String, String> candidates = new LinkedHashMap<>();
        set.get("candidates").fields().forEachRemaining(e -> candidates.put(e.getKey(), e.getValue().asText()));
        return candidates;
    }

    static Map<String, List<String>> references(JsonNode node) {
        Map<String, List<String>> references = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            List<String> refs = new ArrayList<>();
            e.getValue().forEach(r -> refs.add(r.asText()));
            references.put(e.getKey(), refs);
        });
        return references;
    }

    private static void checkSet(JsonNode set) {
        String name = set.get("name").asText();
        JsonNode scores = set.get("scores");
        CaptionEvaluation result = CaptionMetrics.evaluate(references(set.get("references")), candidates(set));

        JsonNode tokCandidates = scores.get("tokenized_candidates");
        Map<String, List<String>> tokReferences = references(scores.get("tokenized_references"));
        assertEquals(tokCandidates.size(), result.size(), name + ": number of images");
        for (Iterator<Map.Entry<String, JsonNode>> it = tokCandidates.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            assertEquals(e.getValue().asText(), result.tokenizedCandidates().get(e.getKey()),
                    name + ": tokenised candidate of image " + e.getKey() + " ("
                            + set.get("candidates").get(e.getKey()) + ")");
            assertEquals(tokReferences.get(e.getKey()), result.tokenizedReferences().get(e.getKey()),
                    name + ": tokenised references of image " + e.getKey());
        }

        CaptionScores corpus = result.corpus();
        for (int n = 1; n <= 4; n++) {
            assertEquals(scores.get("BLEU-" + n).asDouble(), corpus.bleu(n), TOLERANCE, name + ": corpus BLEU-" + n);
        }
        assertEquals(scores.get("ROUGE-L").asDouble(), corpus.rougeL(), TOLERANCE, name + ": corpus ROUGE-L");
        assertEquals(scores.get("CIDEr-D").asDouble(), corpus.cider(), TOLERANCE, name + ": corpus CIDEr-D");

        for (Iterator<Map.Entry<String, JsonNode>> it = scores.get("per_image").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            CaptionScores image = result.perImage().get(e.getKey());
            assertEquals(e.getValue().get("ROUGE-L").asDouble(), image.rougeL(), TOLERANCE,
                    name + ": ROUGE-L of image " + e.getKey());
            assertEquals(e.getValue().get("CIDEr-D").asDouble(), image.cider(), TOLERANCE,
                    name + ": CIDEr-D of image " + e.getKey());
            assertEquals(e.getValue().get("BLEU-4").asDouble(), image.bleu4(), TOLERANCE,
                    name + ": BLEU-4 of image " + e.getKey());
        }
    }
}
