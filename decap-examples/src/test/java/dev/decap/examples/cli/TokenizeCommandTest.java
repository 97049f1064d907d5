package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    private static Path data() {
        return Path.of(System.getProperty("decap.shared.dir", "../shared")).toAbsolutePath().normalize()
                .resolve("data");
    }

    private static Path vocabulary() {
        Path vocabulary = data().resolve("clip/bpe_simple_vocab_16e6.txt.gz");
        Path golden = data().resolve("golden/clip_tokenizer_cases.jsonl");
        Assumptions.assumeTrue(Files.isRegularFile(vocabulary) && Files.isRegularFile(golden),
                "../shared/data not found: " + vocabulary + " or " + golden + " is missing");
        return vocabulary;
    }

    @BeforeEach
    void captureOutput() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreOutput() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private List<String> outputLines() {
        String text = stdout.toString(StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? List.of() : List.of(text.split("\\R"));
    }

    @Test
    void tokenize_prints_reference_ids_for_golden_lines(@TempDir Path dir) throws IOException {
        Path vocabulary = vocabulary();
        List<String> golden = Files.readAllLines(data().resolve("golden/clip_tokenizer_cases.jsonl"),
                StandardCharsets.UTF_8);
        List<String> sample = new ArrayList<>();
        for (int i : new int[] {0, 3, 4, 7, 12, 13, 17, 28, 36, 100, 1000, golden.size() - 1}) {
            sample.add(golden.get(i));
        }
        Path cases = dir.resolve("cases.jsonl");
        Files.write(cases, sample, StandardCharsets.UTF_8);

        int exit = DecapCli.execute("tokenize", "--vocab", vocabulary.toString(), "--input", cases.toString());

        assertEquals(0, exit, stderr.toString(StandardCharsets.UTF_8));
        List<String> lines = outputLines();
        assertEquals(sample.size(), lines.size());
        for (int i = 0; i < sample.size(); i++) {
            JsonNode expected = JSON.readTree(sample.get(i));
            JsonNode actual = JSON.readTree(lines.get(i));
            assertEquals(expected.get("text"), actual.get("text"));
            assertEquals(expected.get("ids"), actual.get("ids"), expected.get("text").asText());
            assertEquals(expected.get("tokenize77"), actual.get("context"), expected.get("text").asText());
        }
    }

    @Test
    void tokenize_accepts_texts_as_arguments() throws IOException {
        int exit = DecapCli.execute("tokenize", "--vocab", vocabulary().toString(), "A man  is riding a horse.",
                "caf\u00e9");
        assertEquals(0, exit, stderr.toString(StandardCharsets.UTF_8));
        List<String> lines = outputLines();
        assertEquals(2, lines.size());
        JsonNode first = JSON.readTree(lines.get(0));
        assertEquals("[320,786,533,6765,320,4558,269]", first.get("ids").toString());
        assertEquals(77, first.get("context").size());
        assertEquals(49406, first.get("context").get(0).asInt());
        assertEquals("caf\u00e9", JSON.readTree(lines.get(1)).get("text").asText());
        assertTrue(lines.get(1).contains("\\u00E9") || lines.get(1).contains("\\u00e9"), lines.get(1));
    }

    @Test
    void bad_input_exits_non_zero_with_one_line(@TempDir Path dir) throws IOException {
        Path vocabulary = vocabulary();
        Path cases = dir.resolve("bad.jsonl");
        Files.writeString(cases, "{\"text\": \"ok\"}\n{not json\n");
        assertOneLineError(DecapCli.execute("tokenize", "--vocab", vocabulary.toString(), "--input",
                cases.toString()), "line 2");

        Files.writeString(cases, "{\"caption\": \"no text field\"}\n");
        assertOneLineError(DecapCli.execute("tokenize", "--vocab", vocabulary.toString(), "--input",
                cases.toString()), "\"text\"");

        assertOneLineError(DecapCli.execute("tokenize", "--vocab", dir.resolve("missing.gz").toString(), "x"),
                "missing.gz");
        assertOneLineError(DecapCli.execute("tokenize", "--vocab", vocabulary.toString()), "either");
        assertOneLineError(DecapCli.execute("tokenize", "--vocab", vocabulary.toString(), "--input",
                dir.resolve("nope.jsonl").toString()), "nope.jsonl");
    }

    private void assertOneLineError(int exit, String mentioned) {
        assertNotEquals(0, exit);
        String err = stderr.toString(StandardCharsets.UTF_8).strip();
        stderr.reset();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("error: ") && err.contains(mentioned), err);
        assertTrue(!err.contains("Exception"), err);
    }
}
