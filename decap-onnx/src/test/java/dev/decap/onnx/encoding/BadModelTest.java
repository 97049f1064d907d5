package dev.decap.onnx.encoding;

import dev.decap.ModelException;
import dev.decap.image.ClipPreprocessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Missing, corrupt and mismatched models fail at load with a ModelException naming the file, never a crash. */
class BadModelTest {
    @TempDir
    Path dir;

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    private ModelException imageFails(Path model) {
        return assertThrows(ModelException.class, () -> OnnxImageEncoder.builder().model(model).build());
    }

    private ModelException textFails(Path model) {
        return assertThrows(ModelException.class, () -> OnnxTextEncoder.builder().model(model)
                .tokenizer(new WordTokenizer()).build());
    }

    @Test
    void a_missing_model_file_is_named() {
        Path missing = dir.resolve("nowhere/image_encoder.onnx");
        assertMentions(imageFails(missing), missing.toString(), "does not exist");
        assertMentions(textFails(missing), missing.toString(), "does not exist");
    }

    @Test
    void a_directory_instead_of_a_file_is_refused() {
        assertMentions(imageFails(dir), dir.toString(), "not a readable regular file");
    }

    @Test
    void a_truncated_model_is_reported_as_corrupt() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.fixture("tiny/image_encoder.onnx"));
        Path truncated = dir.resolve("image_encoder.onnx");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 3));
        assertMentions(imageFails(truncated), truncated.toString(), "corrupt, truncated or not an ONNX model");
    }

    @Test
    void text_garbage_and_an_empty_file_are_reported_as_corrupt() throws IOException {
        Path garbage = dir.resolve("text_encoder.onnx");
        Files.writeString(garbage, "<html>404 not found</html>", StandardCharsets.UTF_8);
        assertMentions(textFails(garbage), garbage.toString());
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertMentions(textFails(empty), empty.toString());
    }

    @Test
    void a_text_model_given_as_image_model_names_the_layouts_expected() {
        Path text = Fixtures.fixture("tiny/text_encoder.onnx");
        assertMentions(imageFails(text), text.toString(), "fits no known CLIP layout",
                "found inputs {input_ids} and outputs {text_embeds}", "decap: inputs {pixel_values}",
                "check that this is the image model");
    }

    @Test
    void an_image_model_given_as_text_model_names_the_layouts_expected() {
        Path image = Fixtures.fixture("tiny/image_encoder.onnx");
        assertMentions(textFails(image), image.toString(), "fits no known CLIP layout",
                "found inputs {pixel_values} and outputs {image_embeds}", "decap: inputs {input_ids}");
    }

    @Test
    void a_model_forced_into_the_wrong_layout_says_what_that_layout_expects() {
        Path image = Fixtures.fixture("tiny/image_encoder.onnx");
        ModelException e = assertThrows(ModelException.class, () -> OnnxImageEncoder.builder().model(image)
                .layout(ClipLayout.HF).build());
        assertMentions(e, image.toString(), "'hf' layout", "expected 3 inputs", "found 1 (pixel_values)");
        Path combined = Fixtures.fixture("layouts/hf/model.onnx");
        ModelException d = assertThrows(ModelException.class, () -> OnnxTextEncoder.builder().model(combined)
                .tokenizer(new WordTokenizer()).layout(ClipLayout.DECAP).build());
        assertMentions(d, combined.toString(), "expected 1 input (input_ids), found 3");
    }

    @Test
    void a_model_whose_image_size_differs_from_the_preprocessing_is_refused() {
        Path image = Fixtures.fixture("tiny/image_encoder.onnx");
        ModelException e = assertThrows(ModelException.class, () -> OnnxImageEncoder.builder().model(image)
                .preprocessor(ClipPreprocessor.builder().size(336).build()).build());
        assertMentions(e, image.toString(), "expected 336, found 224");
    }

    @Test
    void a_combined_model_that_cannot_run_the_placeholder_image_size_fails_at_load() {
        Path combined = Fixtures.fixture("layouts/hf/model.onnx");
        ModelException e = assertThrows(ModelException.class, () -> OnnxTextEncoder.builder().model(combined)
                .tokenizer(new WordTokenizer()).imageSize(336).build());
        assertMentions(e, combined.toString(), "fails on a test input");
    }
}
