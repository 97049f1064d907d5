package dev.decap.benchmarks.onnx;

import dev.decap.DeCap;
import dev.decap.decoding.DecodingOptions;
import dev.decap.image.ImageLoader;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.tokenization.ClipTokenizer;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Where the time of one full caption goes (run on demand, never in CI): times {@code DeCap.caption(BufferedImage)}
 * (greedy forced to 20 tokens) and, in the same loop, its three stages run back to back (image tower with Java
 * preprocessing, projection, decoding) and each stage alone after an idle pause, so that the cost of one stage
 * running right after another (thread-pool hand-over, spinning threads) shows as the difference.
 *
 * <pre>
 * java -Xmx6g -cp decap-benchmarks/target/decap-benchmarks.jar \
 *     dev.decap.benchmarks.onnx.FullCaptionProfile tools/out/full --shared ../shared/data [--memory 500000]
 *     [--threads 2] [--spinning ALWAYS|NEVER|DECODER_ONLY] [--reps 7]
 * </pre>
 */
public final class FullCaptionProfile {
    private FullCaptionProfile() {
    }

    public static void main(String[] args) throws Exception {
        Path bundleDir = Path.of(args[0]);
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            opt.put(args[i], args[i + 1]);
        }
        Path shared = Path.of(opt.getOrDefault("--shared", "../shared/data"));
        int memorySize = Integer.parseInt(opt.getOrDefault("--memory", "500000"));
        int threads = Integer.parseInt(opt.getOrDefault("--threads", "2"));
        int reps = Integer.parseInt(opt.getOrDefault("--reps", "7"));
        OnnxOptions.Builder ob = OnnxOptions.builder().intraOpThreads(threads).interOpThreads(1);
        if (opt.containsKey("--spinning")) {
            ob.spinning(OnnxOptions.Spinning.valueOf(opt.get("--spinning")));
        }
        OnnxOptions onnx = ob.build();
        System.err.println("options: " + onnx);
        ModelBundle bundle = ModelBundle.open(bundleDir);
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        Random rnd = new Random(0);
        int d = bundle.embeddingDimension();
        InMemoryMemoryBank.Builder bb = InMemoryMemoryBank.builder().dimension(d).expectedSize(memorySize);
        for (int i = 0; i < memorySize; i++) {
            float[] v = new float[d];
            double s = 0;
            for (int j = 0; j < d; j++) {
                v[j] = (float) rnd.nextGaussian();
                s += v[j] * v[j];
            }
            for (int j = 0; j < d; j++) {
                v[j] /= (float) Math.sqrt(s);
            }
            bb.add("caption " + i, v);
        }
        MemoryBank bank = bb.build();
        List<BufferedImage> photos = new ArrayList<>();
        try (var files = Files.list(shared.resolve("images"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jpg")).sorted().toList()) {
                photos.add(ImageLoader.defaults().load(f));
            }
        }
        while (photos.size() < 8) {
            photos.add(photos.get(photos.size() % 5));
        }
        BufferedImage photo = photos.get(0);
        List<BufferedImage> batch = photos.subList(0, 8);
        DecodingOptions twenty = DecodingOptions.builder().minTokens(20).maxTokens(20).build();
        ProjectionDecoding pd = ProjectionDecoding.builder().parallelism(threads).build();
        try (OnnxImageEncoder image = OnnxImageEncoder.builder().model(bundle.imageEncoderFile().orElseThrow())
                .onnxOptions(onnx).maxBatchSize(8).build();
             OnnxCaptionDecoder decoder = OnnxDeCap.fromBundle(bundle.directory()).tokenizer(tokenizer)
                     .onnxOptions(onnx).buildDecoder();
             DeCap decap = DeCap.builder().imageEncoder(image).memoryBank(bank).projector(pd).decoder(decoder)
                     .build()) {
            String[] names = {"full caption", "chained: encode", "chained: project", "chained: decode",
                "chained: sum", "alone: encode", "alone: project", "alone: decode", "full caption batch 8"};
            double[][] t = new double[names.length][reps];
            for (int rep = -1; rep < reps; rep++) {
                double[] row = new double[names.length];
                long s = System.nanoTime();
                decap.caption(photo, twenty);
                row[0] = ms(s);
                s = System.nanoTime();
                float[] e = image.encode(photo);
                row[1] = ms(s);
                s = System.nanoTime();
                Projection p = pd.projectAll(List.of(unit(e)), bank).get(0);
                row[2] = ms(s);
                s = System.nanoTime();
                decoder.decodeAll(List.of(p.vector()), twenty);
                row[3] = ms(s);
                row[4] = row[1] + row[2] + row[3];
                Thread.sleep(200);
                s = System.nanoTime();
                image.encode(photo);
                row[5] = ms(s);
                Thread.sleep(200);
                s = System.nanoTime();
                pd.projectAll(List.of(unit(e)), bank);
                row[6] = ms(s);
                Thread.sleep(200);
                s = System.nanoTime();
                decoder.decodeAll(List.of(p.vector()), twenty);
                row[7] = ms(s);
                Thread.sleep(200);
                s = System.nanoTime();
                decap.captionAll(batch, twenty);
                row[8] = ms(s);
                if (rep >= 0) {
                    for (int k = 0; k < names.length; k++) {
                        t[k][rep] = row[k];
                    }
                }
            }
            double[] dec = new double[Integer.parseInt(opt.getOrDefault("--decode-reps", "12"))];
            float[] prefix = pd.projectAll(List.of(unit(image.encode(photo))), bank).get(0).vector();
            for (int i = 0; i < dec.length; i++) {
                long s = System.nanoTime();
                decoder.decodeAll(List.of(prefix), twenty);
                dec[i] = ms(s);
            }
            Arrays.sort(dec);
            System.out.printf("%-24s median %7.1f ms  min %7.1f ms%n", "decode back to back", dec[dec.length / 2],
                    dec[0]);
            for (int k = 0; k < names.length; k++) {
                double[] x = t[k].clone();
                Arrays.sort(x);
                System.out.printf("%-24s median %7.1f ms  min %7.1f ms%n", names[k], x[x.length / 2], x[0]);
            }
        }
    }

    private static float[] unit(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        float[] u = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = (float) (v[i] / Math.sqrt(s));
        }
        return u;
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }
}
