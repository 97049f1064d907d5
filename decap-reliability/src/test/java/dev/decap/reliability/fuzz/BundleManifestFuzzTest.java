package dev.decap.reliability.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.decap.onnx.bundle.BundleTokenizers;
import dev.decap.onnx.bundle.ModelBundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;

/**
 * Bundle manifests ({@code decap-bundle.json}) of any content, in a directory that holds the files a real bundle
 * names (placeholder ONNX files, the miniature model's word vocabulary, the tiny fixture's vocabulary map):
 * {@link ModelBundle#open} and what a captioner reads from the manifest next (tokenizer, image preprocessing,
 * encoder identity, limits) either work or throw the library's exceptions. Seeds are the manifests of the tiny and
 * official-layout fixtures and of the miniature model.
 */
class BundleManifestFuzzTest {
    private static final Path DIR = bundleDirectory();

    @DictionaryEntries({"\\u0000", "\\ud800", "../", "/", "\"\"", "null", "-1", "0", "1.5", "1e400",
            "9223372036854775808", "2147483648", "[]", "{}"})
    @FuzzTest(maxDuration = FuzzSettings.MAX_DURATION)
    @Timeout(value = FuzzSettings.SECONDS_PER_INPUT, unit = TimeUnit.SECONDS)
    void any_manifest_opens_or_is_refused_with_a_model_exception(byte[] manifest) {
        Scratch.write(DIR.resolve(ModelBundle.MANIFEST), manifest);
        LibraryContract.onlyLibraryExceptions("ModelBundle.open + manifest reads", () -> {
            ModelBundle bundle = ModelBundle.open(DIR, false);
            bundle.name();
            bundle.embeddingDimension();
            bundle.textEncoderIdentity();
            bundle.vocabularyMap();
            bundle.tokenizerVocabularySize();
            bundle.endOfText();
            bundle.maxTokens();
            bundle.vocabularyFileName();
            bundle.findVocabulary(null);
            bundle.imagePreprocessor();
            BundleTokenizers.load(bundle, null);
        });
        LibraryContract.onlyLibraryExceptions("ModelBundle.open (verifying)", () -> ModelBundle.open(DIR, true));
    }

    private static Path bundleDirectory() {
        Path dir = Scratch.directory("decap-fuzz-bundle");
        for (String onnx : new String[] {"decoder.onnx", "image_encoder.onnx", "text_encoder.onnx", "model.onnx"}) {
            Scratch.write(dir.resolve(onnx), ("placeholder " + onnx).getBytes(StandardCharsets.UTF_8));
        }
        Scratch.write(dir.resolve("vocab.txt"), resource("dev/decap/miniature/bundle/vocab.txt"));
        Scratch.write(dir.resolve("vocab_map.json"), "[0, 1, 2, 3, 4, 5, 6, 7]".getBytes(StandardCharsets.UTF_8));
        try {
            Files.createDirectory(dir.resolve("subdir"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    static byte[] resource(String name) {
        try (InputStream in = BundleManifestFuzzTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
