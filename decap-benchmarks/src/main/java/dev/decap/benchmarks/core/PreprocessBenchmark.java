package dev.decap.benchmarks.core;

import dev.decap.image.ClipPreprocessor;
import dev.decap.image.ImageLoader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * CLIP preprocessing of a 640x480 photo-sized image: resize to 298x224 (Pillow bicubic), centre crop 224,
 * normalise, CHW. {@code preprocess} starts from a decoded image (what an encoder pays per image);
 * {@code decodeAndPreprocess} starts from JPEG bytes. Run on demand, see docs/image-preprocessing.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PreprocessBenchmark {
    private final ClipPreprocessor preprocessor = ClipPreprocessor.defaults();
    private final ImageLoader loader = ImageLoader.defaults();
    private BufferedImage rgb;
    private byte[] jpeg;
    private float[] batch;

    @Setup
    public void setup() throws IOException {
        rgb = new BufferedImage(640, 480, BufferedImage.TYPE_3BYTE_BGR);
        Random rnd = new Random(42);
        for (int y = 0; y < 480; y++) {
            for (int x = 0; x < 640; x++) {
                int r = (x * 255 / 639 + rnd.nextInt(16)) & 0xFF;
                int g = (y * 255 / 479 + rnd.nextInt(16)) & 0xFF;
                int b = ((x ^ y) + rnd.nextInt(16)) & 0xFF;
                rgb.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(rgb, "jpeg", out);
        jpeg = out.toByteArray();
        rgb = loader.load(jpeg, "bench.jpg");
        batch = new float[8 * preprocessor.outputLength()];
    }

    @Benchmark
    public float[] preprocess() {
        return preprocessor.preprocess(rgb);
    }

    @Benchmark
    public float[] preprocessIntoBatch() {
        preprocessor.preprocess(rgb, batch, 3 * preprocessor.outputLength());
        return batch;
    }

    @Benchmark
    public float[] decodeAndPreprocess() {
        return preprocessor.preprocess(loader.load(jpeg, "bench.jpg"));
    }

    public static void main(String[] args) throws RunnerException {
        new Runner(new OptionsBuilder().include(PreprocessBenchmark.class.getSimpleName()).build()).run();
    }
}
