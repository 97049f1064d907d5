package dev.decap.tokenization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with the Python reference ({@code tools/decap_tools/word_tokenizer.py}) on every line of
 * {@code tools/miniature/tokenizer_cases.jsonl} over {@code tools/miniature/vocab.txt}, read from the repository
 * (system property {@code decap.repo.dir}, default the parent of the module directory).
 */
class WordTokenizerParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void word_tokenizer_matches_the_python_reference_on_every_golden_case() throws IOException {
        Path root = Path.of(System.getProperty("decap.repo.dir", "..")).toAbsolutePath().normalize();
        Path cases = root.resolve("tools/miniature/tokenizer_cases.jsonl");
        Path vocab = root.resolve("tools/miniature/vocab.txt");
        Assumptions.assumeTrue(Files.isRegularFile(cases) && Files.isRegularFile(vocab),
                "word tokenizer golden not found: " + cases + " and " + vocab
                        + " (written by tools/miniature/tokenizer_cases.py)");
        WordTokenizer tokenizer = WordTokenizer.fromVocabulary(vocab);
        List<String> lines = Files.readAllLines(cases, StandardCharsets.UTF_8);
        int checked = 0;
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            JsonNode c = JSON.readTree(lines.get(n));
            String text = c.get("text").asText();
            String where = "line " + (n + 1) + ": " + JSON.writeValueAsString(text);
            int[] ids = ints(c.get("ids"));
            int[] context = ints(c.get("context_ids"));
            assertArrayEquals(ids, tokenizer.encode(text), where);
            assertArrayEquals(context, tokenizer.encodeContext(text, c.get("context_length").asInt()), where);
            assertEquals(c.get("decoded").asText(), tokenizer.decode(ids), where);
            assertEquals(c.get("decoded_context").asText(), tokenizer.decode(context), where);
            checked++;
        }
        assertTrue(checked > 0, "no cases in " + cases);
    }

    private static int[] ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asInt()));
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
