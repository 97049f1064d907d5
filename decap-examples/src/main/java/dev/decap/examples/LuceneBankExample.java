package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.InvalidInputException;
import dev.decap.encoding.TextEncoder;
import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.ProgressListener;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.tokenization.ClipTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A memory bank on disk: the captions of a text file are encoded once with the bundle's CLIP text encoder and
 * written to an embedded Lucene index ({@link LuceneMemoryBank}); every later run memory-maps that index instead of
 * re-encoding the corpus, and top-k projection decoding finds its k entries through Lucene's HNSW graph instead of
 * scanning the whole memory.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.LuceneBankExample \
 *     BUNDLE_DIR VOCABULARY CAPTIONS.txt BANK_DIR IMAGE [TOP_K]
 * </pre>
 *
 * <p>The first run builds {@code BANK_DIR} (which must not exist or be empty); later runs reopen it and ignore the
 * caption file. {@code TOP_K} (default 64) is the number of entries mixed per image; 0 mixes all of them (dense
 * projection decoding, a full scan of the memory-mapped vectors).
 */
public final class LuceneBankExample {
    /** Entries mixed per image by default. */
    public static final int DEFAULT_TOP_K = 64;

    private LuceneBankExample() {
    }

    /** Reads a caption file: one caption per line, blank lines skipped, surrounding whitespace trimmed. */
    public static List<String> readCaptions(Path file) {
        try {
            List<String> captions = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                    .filter(line -> !line.isEmpty()).toList();
            if (captions.isEmpty()) {
                throw new InvalidInputException("caption file " + file + " holds no captions; write one per line");
            }
            return captions;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read caption file " + file, e);
        }
    }

    /**
     * Encodes {@code captions} with {@code encoder} and writes them, in order, as a Lucene bank in
     * {@code bankDir} (new or empty). The caller owns the returned bank and closes it.
     */
    public static LuceneMemoryBank build(TextEncoder encoder, List<String> captions, Path bankDir,
                                         ProgressListener progress) {
        InMemoryMemoryBank encoded = InMemoryMemoryBank.encode(encoder, captions, progress);
        return LuceneMemoryBank.builder().directory(bankDir).build(encoded);
    }

    /**
     * Opens the bank in {@code bankDir}, or, when the directory does not exist or is empty, builds it from
     * {@code captionsFile} with the bundle's text encoder. The caller owns the returned bank and closes it.
     */
    public static LuceneMemoryBank openOrBuild(Path bundleDir, ClipTokenizer tokenizer, Path captionsFile,
                                               Path bankDir) {
        if (holdsFiles(bankDir)) {
            return LuceneMemoryBank.open(bankDir);
        }
        ModelBundle bundle = ModelBundle.open(bundleDir);
        Path textModel = bundle.textEncoderFile().orElseThrow(() -> new InvalidInputException(
                "bundle " + bundleDir + " has no text encoder, which this example needs to encode the captions"));
        try (OnnxTextEncoder encoder = OnnxTextEncoder.builder().model(textModel).tokenizer(tokenizer).build()) {
            return build(encoder, readCaptions(captionsFile), bankDir, ProgressListener.NONE);
        }
    }

    /**
     * Captions {@code image} with the bank in {@code bankDir} (built first from {@code captionsFile} if needed),
     * mixing the {@code topK} most similar entries (0 for all).
     */
    public static Caption caption(Path bundleDir, Path vocabulary, Path captionsFile, Path bankDir, Path image,
                                  int topK) {
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(vocabulary);
        // The caller owns a bank it hands to a captioner (a captioner never closes it): close it after the captioner.
        try (LuceneMemoryBank bank = openOrBuild(bundleDir, tokenizer, captionsFile, bankDir);
             DeCap decap = OnnxDeCap.fromBundle(bundleDir).tokenizer(tokenizer).memoryBank(bank)
                     .projector(ProjectionDecoding.builder().topK(topK).build()).build()) {
            return decap.caption(image);
        }
    }

    private static boolean holdsFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    public static void main(String[] args) {
        if (args.length != 5 && args.length != 6) {
            System.err.println("usage: LuceneBankExample BUNDLE_DIR VOCABULARY CAPTIONS.txt BANK_DIR IMAGE [TOP_K]");
            System.exit(2);
        }
        int topK = args.length == 6 ? Integer.parseInt(args[5]) : DEFAULT_TOP_K;
        Caption caption = caption(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), Path.of(args[3]),
                Path.of(args[4]), topK);
        System.out.println(caption.text());
        caption.contributions().forEach(c -> System.out.printf("  %.3f  %s%n", c.weight(), c.caption()));
    }
}
