package dev.decap.examples.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.DecapException;
import dev.decap.InvalidInputException;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.bundle.BundleTokenizers;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.tokenization.ClipTokenizer;
import dev.decap.tokenization.Tokenizer;
import dev.decap.tokenization.WordTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code decap tokenize}: token ids of texts (CLIP BPE, or a word vocabulary; the shipped model's by default), one JSON line per text:
 * {@code {"text": ..., "ids": [...], "context": [...77 ids...]}}. Texts come from arguments, or from a JSON-lines
 * file whose lines have a "text" field ({@code --input}, '-' for standard input). Non-ASCII characters are written
 * as \\u escapes, so the output is the same whatever the console encoding.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Prints token ids of texts as JSON lines: {\"text\", \"ids\", \"context\"} (default "
                + "tokenizer: the shipped model's).",
            "Example: decap tokenize --vocab bpe_simple_vocab_16e6.txt.gz \"A dog on a skateboard.\""})
public final class TokenizeCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--vocab", paramLabel = "PATH",
            description = "OpenAI's bpe_simple_vocab_16e6.txt.gz, or a directory holding it or a Hugging Face "
                    + "tokenizer's vocab.json and merges.txt, or a word tokenizer's vocab.txt (default: the shipped "
                    + "miniature model's word vocabulary).")
    private Path vocab;

    @Option(names = "--input", paramLabel = "CASES.jsonl",
            description = "JSON lines with a \"text\" field ('-' reads standard input). Blank lines are skipped.")
    private String input;

    @Option(names = "--context-length", defaultValue = "77", paramLabel = "N",
            description = "Length of the \"context\" form (default: ${DEFAULT-VALUE}).")
    private int contextLength;

    @Parameters(arity = "0..*", paramLabel = "TEXT", description = "Texts to tokenize (instead of --input).")
    private List<String> texts;

    private final ObjectMapper json = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    @Override
    public Integer call() throws IOException {
        boolean hasTexts = texts != null && !texts.isEmpty();
        if (hasTexts == (input != null)) {
            throw new InvalidInputException("give either TEXT arguments or --input CASES.jsonl (found "
                    + (hasTexts ? "both" : "neither") + ")");
        }
        Tokenizer tokenizer = vocab == null ? shippedTokenizer() : loadTokenizer(vocab);
        PrintWriter out = spec.commandLine().getOut();
        if (hasTexts) {
            for (String text : texts) {
                out.println(line(tokenizer, text));
            }
        } else {
            String name = input.equals("-") ? "standard input" : input;
            try (BufferedReader reader = input.equals("-")
                    ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                    : Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8)) {
                String raw;
                int number = 0;
                while ((raw = reader.readLine()) != null) {
                    number++;
                    if (raw.isBlank()) {
                        continue;
                    }
                    out.println(line(tokenizer, textOf(raw, number, name)));
                }
            } catch (NoSuchFileException e) {
                throw new InvalidInputException("input file not found: " + input);
            }
        }
        out.flush();
        return 0;
    }

    /** The shipped miniature model's word tokenizer. */
    static Tokenizer shippedTokenizer() {
        return BundleTokenizers.load(ModelBundle.open(Miniature.bundleDirectory()), null).orElseThrow();
    }

    /**
     * An OpenAI merges file, a directory with one or with Hugging Face's vocab.json + merges.txt, or a word
     * tokenizer's vocab.txt (a text file whose first line is {@code <pad>}).
     */
    static Tokenizer loadTokenizer(Path vocab) {
        if (Files.isRegularFile(vocab) && isWordVocabulary(vocab)) {
            return WordTokenizer.fromVocabulary(vocab);
        }
        if (Files.isDirectory(vocab)) {
            Path vocabJson = vocab.resolve("vocab.json");
            Path merges = vocab.resolve("merges.txt");
            if (Files.isRegularFile(vocabJson) && Files.isRegularFile(merges)) {
                return ClipTokenizer.fromHuggingFace(vocabJson, merges);
            }
            return ClipTokenizer.fromOpenAiVocabulary(vocab.resolve("bpe_simple_vocab_16e6.txt.gz"));
        }
        return ClipTokenizer.fromOpenAiVocabulary(vocab);
    }

    private static boolean isWordVocabulary(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return WordTokenizer.PAD.equals(r.readLine());
        } catch (IOException | java.io.UncheckedIOException e) {
            return false;   // not UTF-8 text (e.g. the gzip-compressed BPE file)
        }
    }

    private String textOf(String raw, int number, String name) {
        JsonNode node;
        try {
            node = json.readTree(raw);
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("line " + number + " of " + name + " is not valid JSON: "
                    + e.getOriginalMessage());
        }
        JsonNode text = node == null ? null : node.get("text");
        if (text == null || !text.isTextual()) {
            throw new InvalidInputException("line " + number + " of " + name
                    + " has no string field \"text\"; expected {\"text\": \"...\"}");
        }
        return text.asText();
    }

    private String line(Tokenizer tokenizer, String text) throws IOException {
        ObjectNode node = json.createObjectNode();
        node.put("text", text);
        ArrayNode ids = node.putArray("ids");
        ArrayNode context = node.putArray("context");
        try {
            for (int id : tokenizer.encode(text)) {
                ids.add(id);
            }
            for (int id : tokenizer.encodeContext(text, contextLength)) {
                context.add(id);
            }
        } catch (DecapException e) {
            throw new InvalidInputException("cannot tokenize " + json.writeValueAsString(text) + ": "
                    + e.getMessage(), e);
        }
        return json.writeValueAsString(node);
    }
}
