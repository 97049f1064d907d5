package dev.decap.spark;

import dev.decap.ConfigurationException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.util.LongAccumulator;

import java.util.Arrays;

/**
 * DeCap on Apache Spark: batch captioning of image datasets and distributed memory-bank builds.
 *
 * <pre>{@code
 * Dataset<Row> images = DecapSpark.readImages(spark, "/shared/images");            // path + content
 * CaptionJob job = CaptionJob.builder().bundle("/shared/models/decap-coco").bank("/shared/banks/coco").build();
 * LongAccumulator bad = spark.sparkContext().longAccumulator("bad images");
 * DecapSpark.caption(images, job, bad).write().json("/shared/captions");
 *
 * MemoryBuildResult bank = DecapSpark.buildMemory(DecapSpark.readCorpus(spark, "/shared/captions.jsonl"),
 *         MemoryJob.builder().bundle("/shared/models/decap-coco").output("/shared/banks/coco").shards(16).build());
 * }</pre>
 *
 * <p>Executors load the models and memory-map the bank once per JVM and share them between their tasks; the
 * closures carry only the job specs. Stateless and thread-safe.
 */
public final class DecapSpark {
    /** Image file endings (lower or upper case) {@link #readImages} takes, as {@code decap caption} does. */
    static final String IMAGE_GLOB = "*.{png,jpg,jpeg,gif,bmp,PNG,JPG,JPEG,GIF,BMP}";

    private DecapSpark() {
    }

    /**
     * The image files of a directory (not its subdirectories), with Spark's {@code binaryFile} source: columns
     * {@code path}, {@code modificationTime}, {@code length}, {@code content}.
     */
    public static Dataset<Row> readImages(SparkSession spark, String directory) {
        return spark.read().format("binaryFile").option("pathGlobFilter", IMAGE_GLOB).load(directory);
    }

    /**
     * Captions images, counting bad ones in a new accumulator named {@code decap bad images} (visible in the
     * Spark UI); see {@link #caption(Dataset, CaptionJob, LongAccumulator)}.
     */
    public static Dataset<Row> caption(Dataset<Row> images, CaptionJob job) {
        LongAccumulator bad = images.sparkSession().sparkContext().longAccumulator("decap bad images");
        return caption(images, job, bad);
    }

    /**
     * Captions images: one output row per input row (a bad image gives a row with {@code error} set, or none with
     * {@link CaptionJob.OnError#SKIP}), with the columns: the key column (as {@link CaptionJob#keyColumn()}),
     * {@code text}, {@code tokens} (decoder ids), {@code logprobs} (per token), {@code score},
     * {@code neighbours} (the memory captions that shaped the caption: {@code index}, {@code caption},
     * {@code weight}, {@code similarity}) and {@code error}. Lazy, like every Dataset transformation: nothing runs
     * until an action.
     *
     * <p>The input is any Dataset with the key column (a string: path or id) and either a binary content column
     * ({@link CaptionJob#contentColumn()}, as Spark's {@code binaryFile} source gives) or, without one, paths in
     * the key column that each task reads through Hadoop's file systems.
     *
     * @param badImages counts bad images (added to when tasks run; a task that is retried counts again, so read
     *                  exact figures from the {@code error} column)
     * @throws ConfigurationException if the key column is missing
     */
    public static Dataset<Row> caption(Dataset<Row> images, CaptionJob job, LongAccumulator badImages) {
        String[] fields = images.schema().fieldNames();
        if (!Arrays.asList(fields).contains(job.keyColumn())) {
            throw new ConfigurationException("the images dataset has no key column \"" + job.keyColumn()
                    + "\" (found " + Arrays.toString(fields) + "); set keyColumn(..) on the CaptionJob");
        }
        boolean hasContent = false;
        for (StructField f : images.schema().fields()) {
            if (f.name().equals(job.contentColumn()) && f.dataType() instanceof BinaryType) {
                hasContent = true;
            }
        }
        if (job.distributeFiles()) {
            var sc = images.sparkSession().sparkContext();
            sc.addFile(job.bundle(), true);
            sc.addFile(job.bank(), true);
            if (job.vocabulary() != null) {
                sc.addFile(job.vocabulary(), true);
            }
        }
        Dataset<Row> input = hasContent ? images.select(job.keyColumn(), job.contentColumn())
                : images.select(job.keyColumn());
        return input.mapPartitions(new CaptionPartitions(job, hasContent, badImages),
                Encoders.row(CaptionPartitions.schema(job.keyColumn())));
    }

    /**
     * Reads a caption corpus as the Dataset {@link #buildMemory} takes ({@code position: long, caption: string}),
     * in the formats {@code decap memory build} reads: {@code .txt} (one caption per line, blank lines skipped),
     * {@code .jsonl}/{@code .ndjson} ({@code {"caption": ...}} per line), read in parallel, or {@code .json} (COCO
     * captions, one JSON document, parsed on the driver: use JSON Lines for corpora of millions).
     *
     * @throws dev.decap.InvalidInputException (when the job runs) naming the file and line of a bad entry
     */
    public static Dataset<Row> readCorpus(SparkSession spark, String file) {
        return MemoryBuild.readCorpus(spark, file);
    }

    /**
     * Builds a sharded memory bank from captions: normalised and deduplicated (first occurrence kept), in order of
     * first position (so the bank holds the entries of {@code decap memory build} on the same corpus, in the same
     * order), encoded in parallel, one task per shard, and committed atomically as
     * {@code BANK_DIR/manifest.json} over the shard files. Safe under task retries and speculative execution: each task attempt writes a file
     * of its own, and the driver commits the successful attempts' files through the manifest (the protocol is in
     * {@code docs/spark.md}). Runs now (it is an action).
     *
     * @param captions a {@code caption} string column and optionally a {@code position} long column giving the
     *                 corpus order (without it, the Dataset's partition order is used)
     * @throws ConfigurationException if the caption column is missing
     * @throws dev.decap.InvalidInputException if the corpus has no caption, an empty one, or fewer unique
     *                                         captions than shards
     */
    public static MemoryBuildResult buildMemory(Dataset<Row> captions, MemoryJob job) {
        return MemoryBuild.run(captions, job);
    }
}
