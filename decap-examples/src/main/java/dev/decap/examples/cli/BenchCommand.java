package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.DeCap;
import dev.decap.StageListener;
import dev.decap.StageListener.Stage;
import dev.decap.decoding.DecodingOptions;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.projection.ProjectionDecoding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;

/**
 * {@code decap bench}: measures captioning on this machine. Captions {@code --images N} image files (synthetic
 * 640 × 480 JPEGs written to a temporary directory, or the files of {@code --image-dir}) with greedy decoding forced
 * to exactly {@code --tokens T} tokens (so every caption does the same work), after one warm-up pass, and prints the
 * median latency per caption, the throughput and the time of each stage per caption (decode image, preprocess,
 * encode, project, decode tokens), measured through {@link StageListener}.
 *
 * <p>{@code --batch 1} (default) captions one file per call ({@code DeCap.caption(Path)}): the latency is the
 * median over the calls. {@code --batch B > 1} captions all the files in one {@code DeCap.captionFiles} call with
 * batches of B (the next batch is read and preprocessed while the current one is encoded and decoded): the latency
 * per caption is the median over {@code --repeats} calls of the call's time divided by the number of images. Stage
 * times are sums over the timed calls divided by the captions; with {@code --batch B > 1} decoding and
 * preprocessing overlap the other stages, so the stages can add up to more than the latency.
 *
 * <p>{@code --json} prints one object with stable keys: {@code model}, {@code memory} ({@code "shipped"},
 * {@code "bank"}, {@code "random"}), {@code memory_rows}, {@code images}, {@code tokens}, {@code batch},
 * {@code repeats}, {@code threads} (0: ONNX Runtime's default), {@code median_ms_per_caption} (milliseconds, as
 * every {@code _ms} key), {@code min_ms_per_caption},
 * {@code max_ms_per_caption}, {@code captions_per_second} and {@code stages_ms_per_caption} with {@code decode_image},
 * {@code preprocess}, {@code encode}, {@code project}, {@code decode_tokens}. Flag errors exit with code 2 and one
 * line on standard error.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = DecapCli.VersionProvider.class,
        description = {"Measure captioning on this machine: median latency per caption and the time of each stage.",
            "Without --bundle, uses the shipped miniature model and its memory. Example: decap bench --images 16"})
public final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Longest side of a synthetic image (640 × 480, a typical COCO photo). */
    private static final int WIDTH = 640;
    private static final int HEIGHT = 480;
    /** Most random memory rows (2^31 bytes of floats at dimension 512 is the JVM's array limit anyway). */
    static final int MAX_RANDOM_ROWS = 4_000_000;
    /** Most images one run captions. */
    static final int MAX_IMAGES = 100_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--bundle", paramLabel = "DIR",
            description = "Model bundle directory (default: the shipped miniature model).")
    Path bundle;

    @Option(names = "--bank", paramLabel = "BANK", description = "Memory bank file from `decap memory build`.")
    Path bankFile;

    @Option(names = "--random-memory", paramLabel = "N", description = "A memory of N random unit vectors "
            + "(the captions never reach the output, so random rows time the projection exactly).")
    Integer randomMemory;

    @Option(names = "--images", paramLabel = "N", defaultValue = "8",
            description = "Images per run (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--image-dir", paramLabel = "DIR", description = "Caption the image files of DIR (taken in "
            + "name order, repeated to reach --images) instead of synthetic images.")
    Path imageDir;

    @Option(names = "--tokens", paramLabel = "T", defaultValue = "20",
            description = "Tokens per caption, exactly (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "1",
            description = "Images per batch; 1 captions one image per call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--repeats", paramLabel = "R", defaultValue = "3",
            description = "Timed runs over the images (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime intra-op threads (default: "
            + "ONNX Runtime's, all cores).")
    Integer threads;

    @Option(names = "--vocab", paramLabel = "PATH", description = "With --bundle of a CLIP BPE model: the CLIP BPE "
            + "vocabulary file, or a directory holding it (default: the bundle directory).")
    Path vocabulary;

    @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files.")
    boolean noVerify;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        checkOptions();
        OnnxDeCap.Builder builder = bundle == null ? Miniature.onnxBuilder()
                : OnnxDeCap.fromBundle(bundle).vocabulary(vocabulary);
        builder.verifyChecksums(!noVerify);
        if (threads != null) {
            builder.onnxOptions(OnnxOptions.builder().intraOpThreads(threads).build());
        }
        ModelBundle model = builder.bundle();
        Integer positions = model.manifest().decoder() == null ? null : model.manifest().decoder().maxPositions();
        if (positions != null && tokens > positions - 1) {
            throw usage("--tokens " + tokens + " is more than this model can produce: expected at most "
                    + (positions - 1) + " (its decoder.max_positions " + positions + " minus the prefix), found "
                    + tokens);
        }
        String memoryKind;
        MemoryBankFile bank = null;
        if (bankFile != null) {
            bank = noVerify ? MemoryBankFile.open(bankFile) : MemoryBankFile.openVerified(bankFile);
            builder.memoryBank(bank);
            memoryKind = "bank";
        } else if (randomMemory != null) {
            builder.memoryBank(randomBank(randomMemory, model.embeddingDimension()));
            memoryKind = "random";
        } else {
            builder.memoryCaptions(Miniature.memoryCaptions()).memoryProgress(ProgressBar.onTerminal("encoding memory"));
            memoryKind = "shipped";
        }
        DecodingOptions forced = DecodingOptions.builder().minTokens(tokens).maxTokens(tokens).build();
        StageClock clock = new StageClock();
        Path synthetic = null;
        try (MemoryBankFile ownedBank = bank; DeCap base = builder.decodingOptions(forced).build();
             DeCap decap = base.withBatchSize(batch).withStageListener(clock)) {
            List<Path> files;
            if (imageDir != null) {
                files = cycle(CaptionCommand.expand(List.of(imageDir)), images);
            } else {
                synthetic = Files.createTempDirectory("decap-bench-");
                files = syntheticImages(synthetic, images);
            }
            run(decap, files); // warm-up: first touches of the memory, the weights and the JIT
            clock.reset();
            double[] perCaption = batch == 1 ? new double[repeats * files.size()] : new double[repeats];
            double totalMs = 0;
            for (int r = 0; r < repeats; r++) {
                if (batch == 1) {
                    for (int i = 0; i < files.size(); i++) {
                        long t = System.nanoTime();
                        decap.caption(files.get(i));
                        double ms = (System.nanoTime() - t) / 1e6;
                        perCaption[r * files.size() + i] = ms;
                        totalMs += ms;
                    }
                } else {
                    long t = System.nanoTime();
                    decap.captionFiles(files);
                    double ms = (System.nanoTime() - t) / 1e6;
                    perCaption[r] = ms / files.size();
                    totalMs += ms;
                }
            }
            int captions = repeats * files.size();
            report(spec.commandLine().getOut(), memoryKind, decap.memoryBank().size(), perCaption,
                    captions / (totalMs / 1000.0), clock, captions);
        } finally {
            if (synthetic != null) {
                deleteTree(synthetic);
            }
        }
        return 0;
    }

    private void run(DeCap decap, List<Path> files) {
        if (batch == 1) {
            for (Path f : files) {
                decap.caption(f);
            }
        } else {
            decap.captionFiles(files);
        }
    }

    private void checkOptions() {
        if (bankFile != null && randomMemory != null) {
            throw usage("give either --bank BANK or --random-memory N, not both");
        }
        if (bundle != null && bankFile == null && randomMemory == null) {
            throw usage("--bundle needs --bank BANK or --random-memory N (the shipped memory belongs to the shipped "
                    + "model)");
        }
        if (bundle != null && !Files.isDirectory(bundle)) {
            throw usage("--bundle " + bundle + " is not a directory; pass a model bundle directory");
        }
        if (bundle == null && vocabulary != null) {
            throw usage("--vocab is for a --bundle with a CLIP BPE tokenizer; the shipped model carries its own "
                    + "vocabulary");
        }
        if (bankFile != null && !Files.isRegularFile(bankFile)) {
            throw usage("--bank " + bankFile + " is not a file; pass a bank built by `decap memory build`");
        }
        if (imageDir != null && !Files.isDirectory(imageDir)) {
            throw usage("--image-dir " + imageDir + " is not a directory");
        }
        checkRange("--random-memory", randomMemory, 1, MAX_RANDOM_ROWS);
        checkRange("--images", images, 1, MAX_IMAGES);
        checkRange("--tokens", tokens, 1, DecodingOptions.MAX_TOKENS);
        checkRange("--batch", batch, 1, DeCap.MAX_BATCH_SIZE);
        checkRange("--repeats", repeats, 1, 1000);
        checkRange("--threads", threads, 1, 1024);
    }

    private void checkRange(String flag, Integer value, int min, int max) {
        if (value != null && (value < min || value > max)) {
            throw usage(flag + " must be between " + min + " and " + max + ", found " + value);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private void report(PrintWriter out, String memoryKind, int memoryRows, double[] perCaption,
                        double captionsPerSecond, StageClock clock, int captions) throws IOException {
        double[] sorted = perCaption.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        Map<Stage, Double> stages = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            stages.put(s, clock.nanos(s) / 1e6 / captions);
        }
        String modelName = bundle == null ? "miniature" : bundle.toString();
        int threadCount = threads == null ? 0 : threads;
        if (json) {
            ObjectNode o = JSON.createObjectNode();
            o.put("model", modelName);
            o.put("memory", memoryKind);
            o.put("memory_rows", memoryRows);
            o.put("images", images);
            o.put("tokens", tokens);
            o.put("batch", batch);
            o.put("repeats", repeats);
            o.put("threads", threadCount);
            o.put("kernels", ProjectionDecoding.kernels());
            o.put("median_ms_per_caption", round(median));
            o.put("min_ms_per_caption", round(sorted[0]));
            o.put("max_ms_per_caption", round(sorted[n - 1]));
            o.put("captions_per_second", round(captionsPerSecond));
            ObjectNode st = o.putObject("stages_ms_per_caption");
            for (Stage s : Stage.values()) {
                st.put(s.name().toLowerCase(Locale.ROOT), round(stages.get(s)));
            }
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "decap bench: %s, memory %,d rows (%s), %d images, %d tokens, batch %d, %s%n",
                    modelName, memoryRows, memoryKind, images, tokens, batch,
                    threadCount == 0 ? "default threads" : threadCount + " threads");
            out.printf(Locale.ROOT, "projection kernels: %s%n", ProjectionDecoding.kernels());
            out.printf(Locale.ROOT, "median per caption: %.2f ms (min %.2f, max %.2f); %.1f captions/s%n", median,
                    sorted[0], sorted[n - 1], captionsPerSecond);
            out.println("stage          ms/caption");
            for (Stage s : Stage.values()) {
                out.printf(Locale.ROOT, "%-14s %10.2f%n", s.name().toLowerCase(Locale.ROOT), stages.get(s));
            }
        }
        out.flush();
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    /** Total time per stage, from any thread. */
    private static final class StageClock implements StageListener {
        private final AtomicLongArray nanos = new AtomicLongArray(Stage.values().length);

        @Override
        public void stageCompleted(Stage stage, int items, long elapsed) {
            nanos.addAndGet(stage.ordinal(), elapsed);
        }

        long nanos(Stage stage) {
            return nanos.get(stage.ordinal());
        }

        void reset() {
            for (int i = 0; i < nanos.length(); i++) {
                nanos.set(i, 0);
            }
        }
    }

    /** N random unit vectors (Gaussian, normalised): rows like a real bank's for the projection's cost. */
    static MemoryBank randomBank(int rows, int dimension) {
        SplittableRandom random = new SplittableRandom(42);
        InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(dimension).expectedSize(rows);
        float[] row = new float[dimension];
        for (int i = 0; i < rows; i++) {
            double norm = 0;
            for (int j = 0; j < dimension; j++) {
                double g = gaussian(random);
                row[j] = (float) g;
                norm += g * g;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < dimension; j++) {
                row[j] *= inv;
            }
            b.add("random memory row " + i, row);
        }
        return b.build();
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** {@code count} synthetic 640 × 480 JPEG files: gradients and shapes, different in every file. */
    static List<Path> syntheticImages(Path dir, int count) throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        List<Path> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setPaint(new GradientPaint(0, 0, new Color(random.nextInt(0x1000000)), WIDTH, HEIGHT,
                    new Color(random.nextInt(0x1000000))));
            g.fillRect(0, 0, WIDTH, HEIGHT);
            for (int k = 0; k < 12; k++) {
                g.setColor(new Color(random.nextInt(0x1000000)));
                g.fillOval(random.nextInt(WIDTH), random.nextInt(HEIGHT), 20 + random.nextInt(200),
                        20 + random.nextInt(200));
            }
            g.dispose();
            Path f = dir.resolve(String.format(Locale.ROOT, "synthetic-%05d.jpg", i));
            ImageIO.write(img, "jpg", f.toFile());
            out.add(f);
        }
        return out;
    }

    private static List<Path> cycle(List<Path> files, int count) {
        List<Path> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(files.get(i % files.size()));
        }
        return out;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
