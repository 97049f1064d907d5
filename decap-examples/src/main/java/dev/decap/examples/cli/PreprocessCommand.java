package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ConfigurationException;
import dev.decap.image.ClipPreprocessor;
import dev.decap.image.ImageLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code decap preprocess IMAGE --out FILE [--size N] [--mean R,G,B] [--std R,G,B] [--exif]}: decodes an image and
 * writes CLIP's preprocessed tensor as float32 little-endian, CHW ({@code 3 x N x N}), exactly as openai/CLIP's
 * reference preprocessing. Prints one JSON line describing what it wrote.
 */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = "Write CLIP's preprocessed image tensor (float32 little-endian, CHW 3xNxN) to a file.")
public final class PreprocessCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IMAGE", description = "JPEG, PNG, GIF or BMP file.")
    Path image;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (float32 LE, CHW).")
    Path out;

    @Option(names = "--size", paramLabel = "N", description = "Output side (default: ${DEFAULT-VALUE}).")
    int size = ClipPreprocessor.DEFAULT_SIZE;

    @Option(names = "--mean", paramLabel = "R,G,B", split = ",",
            description = "Per-channel mean (default: OpenAI CLIP's 0.48145466,0.4578275,0.40821073).")
    List<Float> mean;

    @Option(names = "--std", paramLabel = "R,G,B", split = ",",
            description = "Per-channel std (default: OpenAI CLIP's 0.26862954,0.26130258,0.27577711).")
    List<Float> std;

    @Option(names = "--exif", description = "Apply the JPEG EXIF orientation (CLIP's reference does not).")
    boolean exif;

    @Option(names = "--max-pixels", paramLabel = "PIXELS",
            description = "Refuse images larger than this many pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels = ImageLoader.DEFAULT_MAX_PIXELS;

    @Override
    public Integer call() {
        ClipPreprocessor.Builder builder = ClipPreprocessor.builder().size(size);
        if (mean != null) {
            builder.mean(floats("--mean", mean));
        }
        if (std != null) {
            builder.std(floats("--std", std));
        }
        ClipPreprocessor preprocessor = builder.build();
        ImageLoader loader = ImageLoader.builder().maxPixels(maxPixels).applyExifOrientation(exif).build();
        float[] tensor = preprocessor.preprocess(loader.load(image));
        ByteBuffer buf = ByteBuffer.allocate(tensor.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(tensor);
        try (OutputStream os = Files.newOutputStream(out)) {
            os.write(buf.array());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("image", image.toString());
        line.put("out", out.toString());
        line.put("shape", List.of(3, size, size));
        line.put("dtype", "float32-le");
        try {
            System.out.println(new ObjectMapper().writeValueAsString(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }

    private static float[] floats(String option, List<Float> values) {
        if (values.size() != 3) {
            throw new ConfigurationException(option + " needs one value per channel: expected 3, found "
                    + values.size() + " (write R,G,B)");
        }
        float[] v = new float[3];
        for (int i = 0; i < 3; i++) {
            v[i] = values.get(i);
        }
        return v;
    }
}
