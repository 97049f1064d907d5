package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test fixtures (committed under {@code fixtures/}) and the shared reference data ({@code ../shared/data}). */
final class Fixtures {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    /** A committed fixture file, e.g. {@code tiny/image_encoder.onnx}. */
    static Path fixture(String relative) {
        URL url = Fixtures.class.getResource("/fixtures/" + relative);
        if (url == null) {
            throw new IllegalStateException("test fixture fixtures/" + relative + " is missing; regenerate the "
                    + "fixtures with tools/make_fixtures.py");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code ../shared/data}; skips the calling test with a clear message when it is absent. */
    static Path sharedData() {
        String dir = System.getProperty("decap.shared.dir", "../shared");
        Path data = Path.of(dir).resolve("data").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(data.resolve("golden")),
                "../shared/data not found: " + data + " (reference data is not part of the repository)");
        return data;
    }

    static boolean sharedDataPresent() {
        String dir = System.getProperty("decap.shared.dir", "../shared");
        return Files.isDirectory(Path.of(dir).resolve("data").resolve("golden"));
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    /** A float32 little-endian file. */
    static float[] f32(Path file) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.remaining() / Float.BYTES];
            bytes.asFloatBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<JsonNode> list(JsonNode array) {
        List<JsonNode> out = new ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    static double maxAbs(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: expected " + b.length + ", found " + a.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
