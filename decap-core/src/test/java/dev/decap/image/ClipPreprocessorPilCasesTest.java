package dev.decap.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding parity with Pillow 9.4 across bit depths, colour types and formats that the shared goldens do not
 * cover (16-bit and 1/2/4-bit PNG, greyscale+alpha, palette with tRNS, CMYK and greyscale JPEG, palette and
 * 1-bit BMP, GIF transparency). Cases and references were written by {@code pil-cases/make_cases.py} with
 * Pillow 9.4 / torchvision 0.14. Lossless formats must match exactly; JPEGs within one 8-bit level.
 */
class ClipPreprocessorPilCasesTest {
    private static final String DIR = "pil-cases/";
    /** One 8-bit level after normalisation is 1 / 255 / std, at most 0.0150. */
    private static final double ONE_LEVEL = 1.0 / 255 / 0.26130258 + 1e-6;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ClipPreprocessorPilCasesTest.class.getResourceAsStream(DIR + name)) {
            assertNotNull(in, "missing test resource " + DIR + name);
            return in.readAllBytes();
        }
    }

    @Test
    void decoding_and_preprocessing_match_pillow_on_every_format_variant() throws IOException {
        JsonNode root = new ObjectMapper().readTree(resource("cases.json"));
        ClipPreprocessor.Builder base = ClipPreprocessor.builder()
                .mean(ClipPreprocessorGoldenTest.floats(root.get("mean")))
                .std(ClipPreprocessorGoldenTest.floats(root.get("std")));
        ImageLoader loader = ImageLoader.defaults();
        List<String> failures = new ArrayList<>();
        System.out.printf("%-24s %-5s %12s %12s%n", "Pillow case", "mode", "max|diff|", "mean|diff|");
        for (JsonNode c : root.get("cases")) {
            String image = c.get("image").asText();
            ClipPreprocessor pre = base.size(c.get("size").asInt()).build();
            float[] actual = pre.preprocess(loader.load(resource(image), image));
            // The captioner's path: decoded pixels straight to the preprocessor, no BufferedImage round trip.
            if (!java.util.Arrays.equals(actual, pre.preprocess(loader.decode(resource(image), image)))) {
                failures.add(image + ": the decoded-pixel path differs from the BufferedImage path");
            }
            byte[] ref = resource(c.get("reference").asText());
            float[] expected = new float[ref.length / 4];
            ByteBuffer.wrap(ref).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
            double[] d = ClipPreprocessorGoldenTest.diff(expected, actual);
            System.out.printf("%-24s %-5s %12.3e %12.3e%n", image, c.get("pil_mode").asText(), d[0], d[1]);
            boolean jpeg = image.endsWith(".jpg");
            double maxAllowed = jpeg ? ONE_LEVEL : 0.0;
            double meanAllowed = jpeg ? ClipPreprocessorGoldenTest.MEAN_ABS : 0.0;
            if (d[0] > maxAllowed || d[1] > meanAllowed) {
                failures.add(image + " (" + c.get("note").asText() + "): max " + d[0] + ", mean " + d[1]);
            }
        }
        assertTrue(failures.isEmpty(), "cases that differ from Pillow: " + failures);
    }
}
