package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hf and xenova fixtures (tiny CLIPs exported with those layouts' names) against their PyTorch goldens. */
class LayoutParityTest {
    static final double MAX_ABS = 1e-4;
    static final double MIN_COSINE = 0.99999;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"hf, layouts/hf/model.onnx, layouts/hf/model.onnx",
            "xenova, layouts/xenova/onnx/vision_model.onnx, layouts/xenova/onnx/text_model.onnx"})
    void layout_fixture_is_detected_and_gives_pytorch_embeddings(String layout, String imageModel,
                                                                 String textModel) {
        JsonNode golden = Fixtures.json(Fixtures.fixture("layouts/" + layout + "/golden.json"));
        try (OnnxTextEncoder text = OnnxTextEncoder.builder().model(Fixtures.fixture(textModel))
                .tokenizer(new WordTokenizer()).build();
             OnnxImageEncoder image = OnnxImageEncoder.builder().model(Fixtures.fixture(imageModel)).build()) {
            assertEquals(ClipLayout.fromId(layout), text.layout());
            assertEquals(ClipLayout.fromId(layout), image.layout());
            assertEquals(golden.get("embedding_dim").asInt(), text.dimension());
            assertEquals(golden.get("embedding_dim").asInt(), image.dimension());

            List<JsonNode> texts = Fixtures.list(golden.get("texts"));
            List<int[]> ids = new ArrayList<>();
            double textWorst = 0;
            double textCos = 1;
            for (JsonNode c : texts) {
                int[] row = Fixtures.ints(c.get("input_ids"));
                ids.add(row);
                float[] got = text.encodeIds(row);
                float[] want = Fixtures.floats(c.get("text_embeds"));
                textWorst = Math.max(textWorst, Fixtures.maxAbs(got, want));
                textCos = Math.min(textCos, Fixtures.cosine(got, want));
            }
            List<float[]> batched = text.encodeIdsAll(ids);
            for (int i = 0; i < texts.size(); i++) {
                float[] want = Fixtures.floats(texts.get(i).get("text_embeds"));
                textWorst = Math.max(textWorst, Fixtures.maxAbs(batched.get(i), want));
                textCos = Math.min(textCos, Fixtures.cosine(batched.get(i), want));
            }
            System.out.printf("%s layout, %d golden id cases (single and batched): max abs %.3g, min cosine %.9f%n",
                    layout, texts.size(), textWorst, textCos);
            assertTrue(textWorst <= MAX_ABS, "text max abs " + textWorst);
            assertTrue(textCos >= MIN_COSINE, "text min cosine " + textCos);

            if (!Fixtures.sharedDataPresent()) {
                Fixtures.sharedData(); // skips with the message
            }
            Path shared = Fixtures.sharedData();
            List<JsonNode> images = Fixtures.list(golden.get("images"));
            List<float[]> pixels = new ArrayList<>();
            for (JsonNode c : images) {
                pixels.add(Fixtures.f32(shared.resolve(c.get("preprocessed").asText())));
            }
            List<float[]> got = image.encodePixelsAll(pixels);
            double imageWorst = 0;
            double imageCos = 1;
            for (int i = 0; i < images.size(); i++) {
                float[] want = Fixtures.floats(images.get(i).get("image_embeds"));
                for (float[] g : List.of(got.get(i), image.encodePixels(pixels.get(i)))) {
                    imageWorst = Math.max(imageWorst, Fixtures.maxAbs(g, want));
                    imageCos = Math.min(imageCos, Fixtures.cosine(g, want));
                }
            }
            System.out.printf("%s layout, %d reference tensors (single and batched): max abs %.3g, min cosine %.9f%n",
                    layout, images.size(), imageWorst, imageCos);
            assertTrue(imageWorst <= MAX_ABS, "image max abs " + imageWorst);
            assertTrue(imageCos >= MIN_COSINE, "image min cosine " + imageCos);
        }
    }
}
