package dev.decap.benchmarks.onnx;

import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.tokenization.ClipTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput of the ONNX encoders, one item per call against batched calls. Run on demand, e.g.
 * <pre>
 * ./mvnw -B -o -q -pl decap-benchmarks -am package -DskipTests
 * java -cp decap-benchmarks/target/decap-benchmarks.jar \
 *   dev.decap.benchmarks.onnx.EncoderBench IMAGE_MODEL TEXT_MODEL BPE_VOCAB [items] [batch] [intraOpThreads]
 * </pre>
 * Prints items per second; the first pass of each mode is a warm-up and is not reported.
 */
public final class EncoderBench {
    private EncoderBench() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: EncoderBench IMAGE_MODEL TEXT_MODEL BPE_VOCAB [items=64] [batch=32] [threads=0]");
            System.exit(2);
        }
        int items = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        int batch = args.length > 4 ? Integer.parseInt(args[4]) : 32;
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        OnnxOptions options = OnnxOptions.builder().intraOpThreads(threads).build();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(Path.of(args[2]));
        try (OnnxImageEncoder image = OnnxImageEncoder.builder().model(Path.of(args[0])).onnxOptions(options)
                .maxBatchSize(batch).build();
             OnnxTextEncoder text = OnnxTextEncoder.builder().model(Path.of(args[1])).tokenizer(tokenizer)
                     .onnxOptions(options).maxBatchSize(batch).build()) {
            List<float[]> pixels = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                float[] p = new float[image.pixelCount()];
                for (int k = 0; k < p.length; k++) {
                    p[k] = (float) Math.sin(0.01 * k + i);
                }
                pixels.add(p);
                captions.add("a photo of " + (i % 7 + 1) + " dogs playing with a red ball on a sunny beach");
            }
            System.out.printf("%s%n%s%nitems %d, batch %d, intraOpThreads %d%n", image, text, items, batch, threads);
            for (int pass = 0; pass < 2; pass++) {
                long t0 = System.nanoTime();
                for (float[] p : pixels) {
                    image.encodePixels(p);
                }
                long t1 = System.nanoTime();
                image.encodePixelsAll(pixels);
                long t2 = System.nanoTime();
                for (String c : captions) {
                    text.encode(c);
                }
                long t3 = System.nanoTime();
                text.encodeAll(captions);
                long t4 = System.nanoTime();
                if (pass == 1) {
                    System.out.printf("images: %.1f/s one per call, %.1f/s batched%n", rate(items, t1 - t0),
                            rate(items, t2 - t1));
                    System.out.printf("texts:  %.1f/s one per call, %.1f/s batched%n", rate(items, t3 - t2),
                            rate(items, t4 - t3));
                }
            }
        }
    }

    private static double rate(int items, long nanos) {
        return items / (nanos / 1e9);
    }
}
