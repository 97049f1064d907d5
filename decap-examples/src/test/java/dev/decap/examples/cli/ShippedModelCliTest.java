package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.bundle.ModelBundle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenize, decode and evaluate-miniature with the shipped model (no --vocab, no --bundle). */
class ShippedModelCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void requireModel() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
    }

    @Test
    void tokenize_without_vocab_uses_the_shipped_word_tokenizer() throws IOException {
        CliRun run = CliRun.of("tokenize", "--context-length", "8", "A red circle.");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = JSON.readTree(run.out().strip());
        List<String> vocab = Files.readAllLines(Miniature.bundleDirectory().resolve("vocab.txt"));
        List<Integer> ids = List.of(vocab.indexOf("a"), vocab.indexOf("red"), vocab.indexOf("circle"),
                vocab.indexOf("."));
        assertEquals(ids.toString(), o.get("ids").toString().replace(",", ", "));
        assertEquals(8, o.get("context").size());
        assertEquals(vocab.size() - 2, o.get("context").get(0).asInt(), "starts with <|startoftext|>");
    }

    @Test
    void tokenize_reads_a_word_vocabulary_file() throws IOException {
        Path vocab = Files.writeString(dir.resolve("vocab.txt"),
                "<pad>\n<unk>\ncircle\nred\n<|startoftext|>\n<|endoftext|>\n");
        CliRun run = CliRun.of("tokenize", "--vocab", vocab.toString(), "--context-length", "5", "red circle x");
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = JSON.readTree(run.out().strip());
        assertEquals("[3,2,1]", o.get("ids").toString());
        assertEquals("[4,3,2,1,5]", o.get("context").toString());
    }

    @Test
    void decode_without_bundle_decodes_with_the_shipped_decoder() throws IOException {
        int dim = ModelBundle.open(Miniature.bundleDirectory()).embeddingDimension();
        ByteBuffer buf = ByteBuffer.allocate(2 * dim * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 2 * dim; i++) {
            buf.putFloat(i % dim == (i / dim) ? 1f : 0f);
        }
        Path prefixes = Files.write(dir.resolve("p.f32"), buf.array());
        CliRun run = CliRun.of("decode", "--prefix", prefixes.toString());
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(2, lines.length);
        assertTrue(JSON.readTree(lines[0]).get("text").isTextual());
    }

    @Test
    void evaluate_miniature_prints_the_table_and_writes_the_page() throws IOException {
        Path page = dir.resolve("results.md");
        CliRun run = CliRun.of("evaluate-miniature", "--images", "12", "--strategies", "pd,retrieval", "--beams",
                "1", "--out", page.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("| PD | greedy |") && run.out().contains("| retrieval | - |"), run.out());
        assertTrue(run.out().contains("CIDEr-D"), run.out());
        String text = Files.readString(page);
        assertTrue(text.contains("evaluate-miniature --images 12") && text.contains("| PD | greedy |"), text);
        CliRun json = CliRun.of("evaluate-miniature", "--images", "12", "--strategies", "visual", "--beams", "1,2",
                "--json");
        assertEquals(0, json.exitCode(), json.err());
        JsonNode o = JSON.readTree(json.out().strip());
        assertEquals(2, o.get("rows").size());
        assertEquals("beam 2", o.get("rows").get(1).get("decoding").asText());
        assertFalse(o.get("rows").get(0).get("metrics").isEmpty());
        assertEquals(2, CliRun.of("evaluate-miniature", "--strategies", "nope").exitCode());
        assertEquals(1, CliRun.of("evaluate-miniature", "--images", "0").exitCode());
    }
}
