package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.InvalidInputException;
import dev.decap.image.ImageLoader;
import dev.decap.tokenization.ClipTokenizer;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end parity with the PyTorch goldens through decap's own Java input pipeline: original image files through
 * {@link ImageLoader} and the encoder's CLIP preprocessing, golden texts through {@link ClipTokenizer}.
 */
class PipelineParityTest {
    static final double MAX_ABS = 1e-4;
    static final double MIN_COSINE = 0.99999;

    @Test
    void original_images_through_java_preprocessing_give_pytorch_embeddings() {
        Path shared = Fixtures.sharedData();
        List<JsonNode> cases = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_image_embeddings.json"))
                .get("cases"));
        ImageLoader loader = ImageLoader.defaults();
        try (OnnxImageEncoder encoder = OnnxImageEncoder.builder()
                .model(Fixtures.fixture("tiny/image_encoder.onnx")).build()) {
            List<BufferedImage> images = new ArrayList<>();
            for (JsonNode c : cases) {
                images.add(loader.load(shared.resolve(c.get("image").asText())));
            }
            List<float[]> batched = encoder.encodeAll(images);
            double worst = 0;
            double minCos = 1;
            String worstImage = "";
            StringBuilder report = new StringBuilder();
            for (int i = 0; i < cases.size(); i++) {
                float[] want = Fixtures.floats(cases.get(i).get("embedding"));
                float[] single = encoder.encode(images.get(i));
                assertTrue(Fixtures.maxAbs(single, batched.get(i)) <= 1e-5, "batched differs for image " + i);
                double abs = Fixtures.maxAbs(single, want);
                double cos = Fixtures.cosine(single, want);
                report.append(String.format("  %-40s max abs %.3g  cosine %.9f%n", cases.get(i).get("image").asText(),
                        abs, cos));
                if (abs > worst) {
                    worst = abs;
                    worstImage = cases.get(i).get("image").asText();
                }
                minCos = Math.min(minCos, cos);
            }
            System.out.printf("tiny image encoder, %d original images through ImageLoader + ClipPreprocessor: "
                    + "max abs %.3g (%s), min cosine %.9f%n%s", cases.size(), worst, worstImage, minCos, report);
            assertTrue(worst <= MAX_ABS, "max abs " + worst + " at " + worstImage);
            assertTrue(minCos >= MIN_COSINE, "min cosine " + minCos);
        }
    }

    @Test
    void java_preprocessing_feeds_the_same_pixels_as_the_reference_tensors_for_lossless_images() {
        Path shared = Fixtures.sharedData();
        List<JsonNode> cases = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_image_embeddings.json"))
                .get("cases"));
        try (OnnxImageEncoder encoder = OnnxImageEncoder.builder()
                .model(Fixtures.fixture("tiny/image_encoder.onnx")).build()) {
            for (JsonNode c : cases) {
                String name = c.get("image").asText();
                if (name.endsWith(".jpg")) {
                    continue; // JPEG decoders may differ by a level; covered by the embedding test above
                }
                float[] java = encoder.preprocessor().preprocess(ImageLoader.defaults().load(shared.resolve(name)));
                float[] reference = Fixtures.f32(shared.resolve(c.get("preprocessed").asText()));
                assertArrayEquals(reference, java, 1e-6f, name);
                assertArrayEquals(encoder.encodePixels(reference), encoder.encode(ImageLoader.defaults()
                        .load(shared.resolve(name))), 1e-6f, name);
            }
        }
    }

    @Test
    void golden_texts_through_the_java_tokenizer_give_pytorch_embeddings() {
        Path shared = Fixtures.sharedData();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        List<JsonNode> cases = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_text_embeddings.json"))
                .get("cases"));
        try (OnnxTextEncoder encoder = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(tokenizer).build()) {
            List<String> texts = new ArrayList<>();
            List<float[]> want = new ArrayList<>();
            int blank = 0;
            for (JsonNode c : cases) {
                String text = c.get("text").asText();
                if (text.isBlank()) {
                    blank++;
                    assertThrows(InvalidInputException.class, () -> encoder.encode(text));
                    continue;
                }
                assertArrayEquals(Fixtures.ints(c.get("input_ids")), tokenizer.encodeContext(text, 77),
                        "tokenizer ids for: " + text);
                texts.add(text);
                want.add(Fixtures.floats(c.get("embedding")));
            }
            List<float[]> got = encoder.encodeAll(texts);
            double worst = 0;
            double minCos = 1;
            for (int i = 0; i < texts.size(); i++) {
                worst = Math.max(worst, Fixtures.maxAbs(got.get(i), want.get(i)));
                minCos = Math.min(minCos, Fixtures.cosine(got.get(i), want.get(i)));
                if (i % 20 == 0) {
                    worst = Math.max(worst, Fixtures.maxAbs(encoder.encode(texts.get(i)), want.get(i)));
                }
            }
            System.out.printf("tiny text encoder, %d golden texts through ClipTokenizer (%d blank ones refused): "
                    + "max abs %.3g, min cosine %.9f%n", texts.size(), blank, worst, minCos);
            assertTrue(worst <= MAX_ABS, "max abs " + worst);
            assertTrue(minCos >= MIN_COSINE, "min cosine " + minCos);
        }
    }

    @Test
    void layout_fixture_texts_through_the_java_tokenizer_give_pytorch_embeddings() {
        Path shared = Fixtures.sharedData();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        ImageLoader loader = ImageLoader.defaults();
        for (String[] layout : new String[][] {{"hf", "layouts/hf/model.onnx", "layouts/hf/model.onnx"},
                {"xenova", "layouts/xenova/onnx/text_model.onnx", "layouts/xenova/onnx/vision_model.onnx"}}) {
            JsonNode golden = Fixtures.json(Fixtures.fixture("layouts/" + layout[0] + "/golden.json"));
            try (OnnxTextEncoder text = OnnxTextEncoder.builder().model(Fixtures.fixture(layout[1]))
                    .tokenizer(tokenizer).build();
                 OnnxImageEncoder image = OnnxImageEncoder.builder().model(Fixtures.fixture(layout[2])).build()) {
                double worst = 0;
                double minCos = 1;
                for (JsonNode c : golden.get("texts")) {
                    if (c.get("text").asText().isBlank()) {
                        continue;
                    }
                    float[] got = text.encode(c.get("text").asText());
                    float[] want = Fixtures.floats(c.get("text_embeds"));
                    worst = Math.max(worst, Fixtures.maxAbs(got, want));
                    minCos = Math.min(minCos, Fixtures.cosine(got, want));
                    if (c.has("hf_input_ids")) {
                        // Hugging Face's own form: padded with the end id instead of zeros.
                        worst = Math.max(worst, Fixtures.maxAbs(text.encodeIds(Fixtures.ints(c.get("hf_input_ids"))),
                                want));
                    }
                }
                for (JsonNode c : golden.get("images")) {
                    float[] got = image.encode(loader.load(shared.resolve(c.get("image").asText())));
                    float[] want = Fixtures.floats(c.get("image_embeds"));
                    worst = Math.max(worst, Fixtures.maxAbs(got, want));
                    minCos = Math.min(minCos, Fixtures.cosine(got, want));
                }
                System.out.printf("%s layout through ClipTokenizer / ImageLoader + ClipPreprocessor: max abs %.3g, "
                        + "min cosine %.9f%n", layout[0], worst, minCos);
                assertTrue(worst <= MAX_ABS, layout[0] + " max abs " + worst);
                assertTrue(minCos >= MIN_COSINE, layout[0] + " min cosine " + minCos);
            }
        }
    }
}
