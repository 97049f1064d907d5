package dev.decap.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with openai/CLIP's reference preprocessing (torchvision 0.14 + Pillow 9.4) on the shared golden cases:
 * per image, max |diff| <= 0.015 and mean |diff| <= 0.001. Prints the measured figures per case.
 */
class ClipPreprocessorGoldenTest {
    static final double MAX_ABS = 0.015;
    static final double MEAN_ABS = 0.001;

    static Path goldenDir() {
        String shared = System.getProperty("decap.shared.dir", "../shared");
        Path dir = Path.of(shared, "data", "golden");
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("preprocess_cases.json")),
                "../shared/data not found: " + dir.toAbsolutePath() + " (set -Ddecap.shared.dir)");
        return dir;
    }

    /** Reads a float32 little-endian file. */
    static float[] readF32(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** {max abs diff, mean abs diff}. */
    static double[] diff(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, "tensor length");
        double max = 0;
        double sum = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            max = Math.max(max, d);
            sum += d;
        }
        return new double[] {max, sum / expected.length};
    }

    static float[] floats(JsonNode node) {
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) node.get(i).asDouble();
        }
        return v;
    }

    @Test
    void preprocessing_matches_clip_reference_on_every_golden_case() throws IOException {
        Path dir = goldenDir();
        JsonNode cases = new ObjectMapper().readTree(dir.resolve("preprocess_cases.json").toFile()).get("cases");
        assertTrue(cases.size() > 0, "no cases in preprocess_cases.json");
        ImageLoader loader = ImageLoader.defaults();
        List<String> failures = new ArrayList<>();
        System.out.printf("%-40s %5s %12s %12s%n", "golden case", "size", "max|diff|", "mean|diff|");
        for (JsonNode c : cases) {
            String image = c.get("image").asText();
            int size = c.get("size").asInt();
            ClipPreprocessor pre = ClipPreprocessor.builder().size(size)
                    .mean(floats(c.get("mean"))).std(floats(c.get("std"))).build();
            BufferedImage img = loader.load(dir.resolve("images").resolve(image));
            float[] actual = pre.preprocess(img);
            // The captioner's path: decoded pixels straight to the preprocessor, no BufferedImage round trip.
            float[] direct = pre.preprocess(loader.decode(dir.resolve("images").resolve(image)));
            if (!java.util.Arrays.equals(actual, direct)) {
                failures.add(image + "@" + size + ": decoded-pixel path differs from the BufferedImage path");
            }
            float[] expected = readF32(dir.resolve("preprocessed").resolve(c.get("reference").asText()));
            double[] d = diff(expected, actual);
            System.out.printf("%-40s %5d %12.3e %12.3e%n", image, size, d[0], d[1]);
            if (d[0] > MAX_ABS || d[1] > MEAN_ABS) {
                failures.add(image + "@" + size + ": max " + d[0] + ", mean " + d[1]);
            }
        }
        assertTrue(failures.isEmpty(), "cases over the bounds (max " + MAX_ABS + ", mean " + MEAN_ABS + "): "
                + failures);
    }
}
