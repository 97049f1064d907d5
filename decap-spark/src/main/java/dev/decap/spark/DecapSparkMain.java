package dev.decap.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.DecapException;
import dev.decap.memory.file.VectorType;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.concurrent.Callable;

/**
 * The {@code decap-spark} command: {@code caption} and {@code memory build} as Spark jobs. Run locally with the
 * launcher the build writes ({@code decap-spark/target/decap-spark caption --master local[4] ...}) or on a cluster
 * with {@code spark-submit --class dev.decap.spark.DecapSparkMain decap-spark-VERSION-cluster.jar ...} (then
 * {@code --master} comes from spark-submit). Data goes to the output files and one JSON summary line to standard
 * output; errors are one line {@code error: ...} on standard error, exit code 1 for bad input, 2 for a usage error.
 */
@Command(name = "decap-spark", mixinStandardHelpOptions = true,
        description = "DeCap batch captioning and memory-bank builds on Apache Spark.",
        subcommands = {DecapSparkMain.CaptionCommand.class, DecapSparkMain.MemoryCommand.class})
public final class DecapSparkMain implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every job takes. */
    static class SparkOptions {
        @Option(names = "--master", paramLabel = "URL", description = "Spark master, e.g. local[4] (default: "
                + "spark-submit's).")
        String master;

        @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "Model bundle directory.")
        Path bundle;

        @Option(names = "--vocab", paramLabel = "PATH", description = "CLIP BPE vocabulary file, or a directory "
                + "holding it (default: the bundle directory).")
        Path vocabulary;

        @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files and the bank's "
                + "checksums.")
        boolean noVerify;

        /**
         * The session: the thread's active or the JVM's default one (tests, notebooks), else a new one, with
         * {@code --master} if given.
         */
        Session session(String app) {
            SparkSession active = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                    : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
            if (active != null) {
                return new Session(active, false);
            }
            SparkSession.Builder b = SparkSession.builder().appName(app);
            if (master != null) {
                b.master(master).config("spark.ui.enabled", master.startsWith("local"));
            } else if (System.getProperty("spark.master") == null) {
                throw new dev.decap.ConfigurationException("give --master local[N] to run locally, or run under "
                        + "spark-submit");
            }
            return new Session(b.getOrCreate(), true);
        }
    }

    /** A session, stopped at the end if this command started it. */
    record Session(SparkSession spark, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                spark.stop();
            }
        }
    }

    /** {@code decap-spark caption}. */
    @Command(name = "caption", mixinStandardHelpOptions = true, description = "Caption a directory of images "
            + "into a JSON Lines file (one object per image, sorted by image path).")
    static final class CaptionCommand extends SparkOptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--bank", required = true, paramLabel = "BANK", description = "Memory bank file, shard "
                + "manifest or bank directory.")
        Path bank;

        @Option(names = "--images", required = true, paramLabel = "DIR", description = "Directory of images (png, "
                + "jpg, jpeg, gif, bmp); any Hadoop path (file:, hdfs:, s3a:).")
        String images;

        @Option(names = "--out", required = true, paramLabel = "OUT.jsonl", description = "JSON Lines file to write "
                + "(atomically): {\"image\", \"text\", \"tokens\", \"logprobs\", \"score\", \"neighbours\"}, or "
                + "{\"image\", \"error\"} for a bad image.")
        Path out;

        @Option(names = "--strategy", paramLabel = "pd|nnd|visual", defaultValue = "pd",
                description = "pd: projection decoding (default); nnd: nearest neighbour; visual: no memory.")
        String strategy;

        @Option(names = "--beam", paramLabel = "N", defaultValue = "0", description = "Beam width (default: greedy).")
        int beam;

        @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "With pd: mix only the K "
                + "most similar memory captions (default: all).")
        int topK;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "16", description = "Images per batch "
                + "(default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--partitions", paramLabel = "N", description = "Repartition the images into N tasks "
                + "(default: as Spark reads them).")
        Integer partitions;

        @Option(names = "--skip-bad-images", description = "Leave bad images out of the output (they are still "
                + "counted and reported).")
        boolean skipBad;

        @Override
        public Integer call() throws IOException {
            CaptionJob job = CaptionJob.builder().bundle(bundle.toString())
                    .vocabulary(vocabulary == null ? null : vocabulary.toString()).bank(bank.toString())
                    .strategy(CaptionJob.Strategy.parse(strategy)).beam(beam).topK(topK).batchSize(batch)
                    .onError(skipBad ? CaptionJob.OnError.SKIP : CaptionJob.OnError.ROW).verifyChecksums(!noVerify)
                    .build();
            PrintWriter err = spec.commandLine().getErr();
            long started = System.nanoTime();
            long rows = 0;
            long errors = 0;
            try (Session session = session("decap-spark caption")) {
                Dataset<Row> input = DecapSpark.readImages(session.spark(), images);
                if (partitions != null) {
                    input = input.repartition(partitions);
                }
                LongAccumulator bad = session.spark().sparkContext().longAccumulator("decap bad images");
                // captioned once, in parallel, and kept: sorting samples its input, which must not caption again
                Dataset<Row> captioned = DecapSpark.caption(input, job, bad)
                        .persist(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
                long jobStarted = System.nanoTime();
                if (captioned.count() == 0 && bad.value() == 0) {
                    captioned.unpersist();
                    throw new dev.decap.InvalidInputException("directory " + images + " has no image files (.bmp, "
                            + ".gif, .jpeg, .jpg, .png)");
                }
                double captionSeconds = (System.nanoTime() - jobStarted) / 1e9;
                Dataset<Row> captions = captioned.orderBy("path");
                Path target = out.toAbsolutePath().normalize();
                Files.createDirectories(target.getParent());
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
                try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                    Iterator<Row> it = captions.toLocalIterator();
                    while (it.hasNext()) {
                        Row r = it.next();
                        ObjectNode o = toJson(r, images);
                        errors += o.has("error") ? 1 : 0;
                        w.write(JSON.writeValueAsString(o));
                        w.write('\n');
                        rows++;
                    }
                } catch (IOException | RuntimeException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                captioned.unpersist();
                double seconds = (System.nanoTime() - started) / 1e9;
                long badCount = skipBad ? bad.value() : errors;
                if (badCount > 0) {
                    err.println("error: " + badCount + " image(s) could not be captioned"
                            + (skipBad ? " (left out)" : " (rows with \"error\" in " + target + ")"));
                }
                err.flush();
                ObjectNode summary = JSON.createObjectNode();
                summary.put("out", target.toString());
                summary.put("captions", rows - errors);
                summary.put("bad_images", badCount);
                summary.put("seconds", seconds);
                summary.put("caption_seconds", captionSeconds);
                summary.put("images_per_second", (rows + (skipBad ? badCount : 0)) / captionSeconds);
                PrintWriter stdout = spec.commandLine().getOut();
                stdout.println(JSON.writeValueAsString(summary));
                stdout.flush();
            }
            return 0;
        }
    }

    /**
     * One output row as the JSON object {@code decap caption --json} prints, the image named as that command
     * names it: under the {@code --images} directory as given (relative stays relative).
     */
    static ObjectNode toJson(Row r, String imagesDir) {
        ObjectNode o = JSON.createObjectNode();
        o.put("image", displayPath(r.getString(0), imagesDir));
        if (!r.isNullAt(6)) {
            o.put("error", r.getString(6));
            return o;
        }
        o.put("text", r.getString(1));
        ArrayNode tokens = o.putArray("tokens");
        for (Object t : r.getList(2)) {
            tokens.add((Integer) t);
        }
        ArrayNode lps = o.putArray("logprobs");
        for (Object lp : r.getList(3)) {
            lps.add((Float) lp);
        }
        o.put("score", r.getDouble(4));
        ArrayNode neighbours = o.putArray("neighbours");
        for (Object n : r.getList(5)) {
            Row nr = (Row) n;
            ObjectNode e = neighbours.addObject();
            e.put("caption", nr.getString(1));
            e.put("weight", nr.getFloat(2));
            e.put("similarity", nr.getFloat(3));
        }
        return o;
    }

    /**
     * A {@code file:} URI as a plain path, relative to {@code imagesDir} as the user gave it when it lies there;
     * any other key as it is.
     */
    static String displayPath(String key, String imagesDir) {
        if (key == null || !key.startsWith("file:")) {
            return key;
        }
        Path file;
        try {
            file = Path.of(new URI(key));
        } catch (Exception e) {
            return key;
        }
        if (imagesDir != null && !imagesDir.contains(":")) {
            Path given = Path.of(imagesDir);
            Path base = given.toAbsolutePath().normalize();
            if (file.startsWith(base)) {
                return given.resolve(base.relativize(file)).toString();
            }
        }
        return file.toString();
    }

    /** {@code decap-spark memory}. */
    @Command(name = "memory", mixinStandardHelpOptions = true, description = "Memory banks.",
            subcommands = {BuildCommand.class})
    static final class MemoryCommand implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }
    }

    /** {@code decap-spark memory build}. */
    @Command(name = "build", mixinStandardHelpOptions = true, description = "Encode a caption corpus (text lines, "
            + "COCO captions JSON or JSONL) into a sharded bank directory, in parallel.")
    static final class BuildCommand extends SparkOptions implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "Captions: .txt (one per "
                + "line), .json (COCO annotations[].caption) or .jsonl ({\"caption\": ...} per line).")
        String corpus;

        @Option(names = "--out", required = true, paramLabel = "BANK_DIR", description = "Bank directory to write "
                + "(shards and manifest.json), on storage the driver and executors share.")
        Path out;

        @Option(names = "--shards", required = true, paramLabel = "N", description = "Number of shards (tasks).")
        int shards;

        @Option(names = "--dtype", paramLabel = "fp32|fp16|int8", defaultValue = "fp32",
                description = "Stored precision (default: ${DEFAULT-VALUE}); fp16 halves the size, int8 (one scale "
                        + "per row) quarters it.")
        String dtype;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Captions per encoder "
                + "call (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() throws IOException {
            VectorType type;
            try {
                type = VectorType.parse(dtype);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be fp32, fp16 or int8, "
                        + "found " + dtype);
            }
            MemoryJob job = MemoryJob.builder().bundle(bundle.toString())
                    .vocabulary(vocabulary == null ? null : vocabulary.toString()).output(out.toString())
                    .shards(shards).batchSize(batch).vectorType(type).verifyChecksums(!noVerify).build();
            long started = System.nanoTime();
            try (Session session = session("decap-spark memory build")) {
                long jobStarted = System.nanoTime();
                MemoryBuildResult r = DecapSpark.buildMemory(DecapSpark.readCorpus(session.spark(), corpus), job);
                double seconds = (System.nanoTime() - started) / 1e9;
                double buildSeconds = (System.nanoTime() - jobStarted) / 1e9;
                PrintWriter err = spec.commandLine().getErr();
                err.println("wrote " + r.manifest() + ": " + r.count() + " unique captions (" + (r.corpusCaptions()
                        - r.count()) + " duplicates removed) in " + r.shards().size() + " shards");
                err.flush();
                ObjectNode o = JSON.createObjectNode();
                o.put("manifest", r.manifest().toString());
                o.put("count", r.count());
                o.put("corpus_captions", r.corpusCaptions());
                o.put("shards", r.shards().size());
                o.put("seconds", seconds);
                o.put("build_seconds", buildSeconds);
                o.put("captions_per_second", r.corpusCaptions() / buildSeconds);
                PrintWriter stdout = spec.commandLine().getOut();
                stdout.println(JSON.writeValueAsString(o));
                stdout.flush();
            }
            return 0;
        }
    }

    /** The message of the first decap error in a chain (Spark wraps task failures in its own exceptions). */
    static String message(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DecapException || t instanceof CommandLine.ParameterException) {
                return t.getMessage();
            }
        }
        String m = e.getMessage();
        return m == null ? e.toString() : m.lines().findFirst().orElse(m);
    }

    /** Runs the command and returns its exit code (for tests: an active session is used, not stopped). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DecapSparkMain());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + message(ex).replaceAll("\\s*\\R\\s*", " "));
            commandLine.getErr().flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** Entry point of the launcher and of {@code spark-submit}. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
