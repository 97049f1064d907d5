package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxImageEncoderTest {
    static final double MAX_ABS = 1e-4;
    static final double MIN_COSINE = 0.99999;

    private static OnnxImageEncoder encoder;
    private static List<JsonNode> cases;

    @BeforeAll
    static void load() {
        encoder = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx")).build();
        cases = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_image_embeddings.json")).get("cases"));
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void tiny_image_encoder_is_detected_as_decap_layout_with_its_size_and_dimension() {
        assertEquals(ClipLayout.DECAP, encoder.layout());
        assertEquals(64, encoder.dimension());
        assertEquals(224, encoder.imageSize());
        assertEquals(3 * 224 * 224, encoder.pixelCount());
    }

    @Test
    void reference_pixel_tensors_give_pytorch_embeddings_one_at_a_time_and_batched() {
        Path shared = Fixtures.sharedData();
        List<float[]> pixels = new ArrayList<>();
        List<float[]> want = new ArrayList<>();
        for (JsonNode c : cases) {
            pixels.add(Fixtures.f32(shared.resolve(c.get("preprocessed").asText())));
            want.add(Fixtures.floats(c.get("embedding")));
        }
        double worst = 0;
        double minCos = 1;
        for (int i = 0; i < pixels.size(); i++) {
            float[] got = encoder.encodePixels(pixels.get(i));
            worst = Math.max(worst, Fixtures.maxAbs(got, want.get(i)));
            minCos = Math.min(minCos, Fixtures.cosine(got, want.get(i)));
        }
        List<float[]> batched = encoder.encodePixelsAll(pixels);
        double worstBatched = 0;
        for (int i = 0; i < pixels.size(); i++) {
            worstBatched = Math.max(worstBatched, Fixtures.maxAbs(batched.get(i), want.get(i)));
        }
        System.out.printf("tiny image encoder, %d reference tensors: max abs %.3g (batched %.3g), min cosine %.9f%n",
                pixels.size(), worst, worstBatched, minCos);
        assertTrue(worst <= MAX_ABS, "max abs " + worst);
        assertTrue(worstBatched <= MAX_ABS, "batched max abs " + worstBatched);
        assertTrue(minCos >= MIN_COSINE, "min cosine " + minCos);
    }

    @Test
    void chunked_pixel_batches_equal_single_calls() {
        try (OnnxImageEncoder small = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx"))
                .maxBatchSize(2).build()) {
            List<float[]> pixels = new ArrayList<>();
            for (int k = 0; k < 5; k++) {
                pixels.add(pattern(encoder.pixelCount(), k));
            }
            List<float[]> got = small.encodePixelsAll(pixels);
            assertEquals(5, got.size());
            for (int k = 0; k < 5; k++) {
                assertTrue(Fixtures.maxAbs(got.get(k), encoder.encodePixels(pixels.get(k))) <= 1e-5, "item " + k);
            }
        }
    }

    @Test
    void null_empty_wrong_length_and_non_finite_pixels_are_invalid_input() {
        assertThrows(InvalidInputException.class, () -> encoder.encode((java.awt.image.BufferedImage) null));
        assertThrows(InvalidInputException.class, () -> encoder.encodeAll(null));
        assertThrows(InvalidInputException.class, () -> encoder.encodeAll(List.of()));
        assertThrows(InvalidInputException.class, () -> encoder.encodePixels(null));
        assertThrows(InvalidInputException.class, () -> encoder.encodePixelsAll(List.of()));
        InvalidInputException length = assertThrows(InvalidInputException.class,
                () -> encoder.encodePixels(new float[100]));
        assertTrue(length.getMessage().contains("expected 150528, found 100"), length.getMessage());
        float[] nan = new float[encoder.pixelCount()];
        nan[7] = Float.NaN;
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> encoder.encodePixels(nan));
        assertTrue(e.getMessage().contains("index 7"), e.getMessage());
    }

    @Test
    void closed_encoder_throws_closed_exception_and_close_is_idempotent() {
        OnnxImageEncoder e = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx")).build();
        e.encodePixels(new float[e.pixelCount()]);
        e.close();
        e.close();
        assertThrows(ClosedException.class, () -> e.encodePixels(new float[e.pixelCount()]));
        assertThrows(ClosedException.class, () -> e.encodePixelsAll(List.of(new float[e.pixelCount()])));
    }

    @Test
    void expected_dimension_is_checked_at_load() {
        ModelException dim = assertThrows(ModelException.class, () -> OnnxImageEncoder.builder()
                .model(Fixtures.fixture("tiny/image_encoder.onnx")).dimension(512).build());
        assertTrue(dim.getMessage().contains("expected 512, found 64"), dim.getMessage());
        assertTrue(dim.getMessage().contains("image_encoder.onnx"), dim.getMessage());
    }

    /** A deterministic, image-like CHW tensor that differs per {@code seed}. */
    static float[] pattern(int n, int seed) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) Math.sin(0.001 * i * (seed + 1) + seed);
        }
        return out;
    }

    @Test
    void decoded_images_are_preprocessed_then_encoded_singly_or_batched() {
        List<BufferedImage> images = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            BufferedImage img = new BufferedImage(300 + 40 * k, 200, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, ((x * (k + 1)) & 0xFF) << 16 | ((y * 3) & 0xFF) << 8 | ((x + y + 50 * k) & 0xFF));
                }
            }
            images.add(img);
        }
        List<float[]> batched = encoder.encodeAll(images);
        for (int k = 0; k < 3; k++) {
            float[] viaPixels = encoder.encodePixels(encoder.preprocessor().preprocess(images.get(k)));
            assertTrue(Fixtures.maxAbs(encoder.encode(images.get(k)), viaPixels) == 0, "image " + k);
            assertTrue(Fixtures.maxAbs(batched.get(k), viaPixels) <= 1e-5, "image " + k);
        }
        List<BufferedImage> withNull = new ArrayList<>(images);
        withNull.add(1, null);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> encoder.encodeAll(withNull));
        assertTrue(e.getMessage().contains("image 1"), e.getMessage());
    }

    @Test
    void decoded_pixels_encode_exactly_as_the_loaded_buffered_image_without_a_round_trip() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("decoded");
        try {
            List<dev.decap.image.DecodedImage> decoded = new ArrayList<>();
            List<BufferedImage> loaded = new ArrayList<>();
            dev.decap.image.ImageLoader loader = dev.decap.image.ImageLoader.defaults();
            for (int k = 0; k < 3; k++) {
                BufferedImage img = new BufferedImage(250 + 30 * k, 180, k == 2 ? BufferedImage.TYPE_INT_ARGB
                        : BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < img.getHeight(); y++) {
                    for (int x = 0; x < img.getWidth(); x++) {
                        img.setRGB(x, y, 0x80000000 | ((x * 7) & 0xFF) << 16 | ((y * 5) & 0xFF) << 8 | (x ^ y) & 0xFF);
                    }
                }
                java.nio.file.Path file = dir.resolve("image" + k + ".png");
                javax.imageio.ImageIO.write(img, "png", file.toFile());
                decoded.add(loader.decode(file));
                loaded.add(loader.load(file));
            }
            List<float[]> batch = encoder.encodeAllDecoded(decoded);
            for (int k = 0; k < 3; k++) {
                float[] viaBuffered = encoder.encode(loaded.get(k));
                assertTrue(Fixtures.maxAbs(encoder.encode(decoded.get(k)), viaBuffered) == 0, "image " + k);
                assertTrue(Fixtures.maxAbs(batch.get(k), viaBuffered) <= 1e-5, "image " + k);
            }
            assertThrows(InvalidInputException.class, () -> encoder.encode((dev.decap.image.DecodedImage) null));
        } finally {
            try (var files = java.nio.file.Files.list(dir)) {
                for (java.nio.file.Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
            java.nio.file.Files.delete(dir);
        }
    }
}
