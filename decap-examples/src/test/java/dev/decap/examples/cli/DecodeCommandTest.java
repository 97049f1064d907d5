package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    @TempDir
    Path dir;

    /** Writes the prefixes of the golden cases matching {@code search} to a file; returns the expected results. */
    private List<JsonNode> goldenCases(Path golden, Path prefixFile, String search, boolean mask, int width,
                                       double penalty) throws IOException {
        JsonNode g = JSON.readTree(golden.toFile());
        Map<String, JsonNode> prefixes = new HashMap<>();
        for (JsonNode p : g.get("prefixes")) {
            prefixes.put(p.get("id").asText(), p.get("prefix"));
        }
        List<JsonNode> expected = new ArrayList<>();
        List<JsonNode> rows = new ArrayList<>();
        for (JsonNode c : g.get("cases")) {
            if (c.get("search").asText().equals(search) && c.path("mask").asBoolean(true) == mask
                    && c.path("min_tokens").asInt(0) == 0 && c.path("max_tokens").asInt(30) == 30
                    && c.path("beam_width").asInt(1) == width && c.path("length_penalty").asDouble(0) == penalty) {
                expected.add(c.get("result"));
                rows.add(prefixes.get(c.get("prefix_id").asText()));
            }
        }
        int dim = rows.get(0).size();
        ByteBuffer buf = ByteBuffer.allocate(rows.size() * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode row : rows) {
            for (JsonNode x : row) {
                buf.putFloat(Float.parseFloat(x.asText()));
            }
        }
        Files.write(prefixFile, buf.array());
        return expected;
    }

    private static void assertSameTokens(List<JsonNode> expected, CliRun run) throws IOException {
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(expected.size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            JsonNode line = JSON.readTree(lines[i]);
            assertEquals(expected.get(i).get("token_ids"), line.get("tokens"), "row " + i);
            assertEquals(expected.get(i).get("decoder_ids"), line.get("decoder_ids"), "row " + i);
            assertEquals(line.get("tokens").size(), line.get("logprobs").size());
            for (int t = 0; t < line.get("logprobs").size(); t++) {
                assertEquals(Float.parseFloat(expected.get(i).get("logprobs").get(t).asText()),
                        Float.parseFloat(line.get("logprobs").get(t).asText()), 1e-4, "row " + i + " token " + t);
            }
            assertTrue(line.has("text"));
        }
    }

    @Test
    void decode_prints_one_json_line_per_prefix_row_with_the_reference_greedy_tokens() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = dir.resolve("prefixes.f32");
        List<JsonNode> expected = goldenCases(CliRun.fixture("golden/decoder_tiny.json"), prefixes, "greedy", true,
                1, 0);
        assertSameTokens(expected, CliRun.of("decode", "--bundle", bundle.toString(), "--prefix",
                prefixes.toString()));
    }

    @Test
    void decode_with_beam_runs_beam_search() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = dir.resolve("prefixes.f32");
        List<JsonNode> expected = goldenCases(CliRun.fixture("golden/decoder_tiny.json"), prefixes, "beam", true, 3,
                1.0);
        assertSameTokens(expected, CliRun.of("decode", "--bundle", bundle.toString(), "--prefix",
                prefixes.toString(), "--beam", "3", "--length-penalty", "1.0"));
    }

    @Test
    void a_length_penalty_outside_plus_or_minus_ten_is_refused_naming_the_flag() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = dir.resolve("prefixes.f32");
        goldenCases(CliRun.fixture("golden/decoder_tiny.json"), prefixes, "beam", true, 3, 1.0);
        CliRun run = CliRun.of("decode", "--bundle", bundle.toString(), "--prefix", prefixes.toString(), "--beam", "3",
                "--length-penalty", "-1e308");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("error: --length-penalty must be between -10 and 10, found -1.0E308"), run.err());
        assertTrue(!run.err().contains("\tat "), run.err());
    }

    @Test
    void decode_works_on_a_decoder_only_bundle_without_masking() throws IOException {
        Path bundle = CliRun.fixture("official-layout/decap-bundle.json").getParent();
        Path prefixes = dir.resolve("prefixes.f32");
        List<JsonNode> expected = goldenCases(CliRun.fixture("golden/decoder_official_layout.json"), prefixes,
                "greedy", false, 1, 0);
        assertSameTokens(expected, CliRun.of("decode", "--bundle", bundle.toString(), "--prefix",
                prefixes.toString(), "--no-mask"));
    }

    @Test
    void text_is_null_without_a_vocabulary_and_set_with_one() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = dir.resolve("prefixes.f32");
        goldenCases(CliRun.fixture("golden/decoder_tiny.json"), prefixes, "greedy", true, 1, 0);
        CliRun plain = CliRun.of("decode", "--bundle", bundle.toString(), "--prefix", prefixes.toString());
        assertEquals(0, plain.exitCode(), plain.err());
        assertTrue(JSON.readTree(plain.out().split("\n")[0]).get("text").isNull());
        Path vocab = CliRun.shared().resolve("clip/bpe_simple_vocab_16e6.txt.gz");
        CliRun withVocab = CliRun.of("decode", "--bundle", bundle.toString(), "--prefix", prefixes.toString(),
                "--vocab", vocab.toString());
        assertEquals(0, withVocab.exitCode(), withVocab.err());
        assertTrue(JSON.readTree(withVocab.out().split("\n")[0]).get("text").isTextual());
    }

    @Test
    void bad_inputs_exit_non_zero_with_one_line_naming_the_problem() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = Files.write(dir.resolve("odd.f32"), new byte[10]);
        CliRun odd = CliRun.of("decode", "--bundle", bundle.toString(), "--prefix", prefixes.toString());
        assertEquals(1, odd.exitCode());
        assertTrue(odd.err().contains("odd.f32") && odd.err().contains("multiple of"), odd.err());
        // One error line; the only other line is the warning that captions will have no text (no vocabulary).
        List<String> errLines = List.of(odd.err().strip().split("\n"));
        assertEquals(1, errLines.stream().filter(l -> l.startsWith("error: ")).count(), odd.err());
        assertTrue(errLines.stream().allMatch(l -> l.startsWith("error: ") || l.contains("WARN")), odd.err());

        CliRun noBundle = CliRun.of("decode", "--bundle", dir.resolve("none").toString(), "--prefix",
                prefixes.toString());
        assertEquals(1, noBundle.exitCode());
        assertTrue(noBundle.err().contains("does not exist"), noBundle.err());

        CliRun usage = CliRun.of("decode", "--bundle", bundle.toString());
        assertEquals(2, usage.exitCode());
        assertTrue(usage.err().contains("--prefix"), usage.err());
    }

    @Test
    void max_tokens_beyond_the_decoder_positions_is_one_line_naming_the_flag() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path prefixes = Files.write(dir.resolve("one.f32"), new byte[64 * 4]);
        CliRun run = CliRun.of("decode", "--bundle", bundle.toString(), "--prefix", prefixes.toString(),
                "--max-tokens", "40");
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("error: --max-tokens 40 is more than this model can produce: expected at most "
                + "39 (its decoder.max_positions 40"), run.err());
        assertTrue(!run.err().contains("Gather") && !run.err().contains("\u001B["), run.err());
    }
}
