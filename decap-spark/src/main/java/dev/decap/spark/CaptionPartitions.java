package dev.decap.spark;

import dev.decap.Caption;
import dev.decap.DecapException;
import dev.decap.image.DecodedImage;
import dev.decap.projection.Contribution;
import dev.decap.spark.internal.ExecutorCache;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.TaskCompletionListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Captions one partition: rows are read in batches of {@link CaptionJob#batchSize()}, each batch decoded, encoded
 * in one image-encoder call and captioned in one projection pass and one batched decode, through the captioner
 * this executor JVM holds ({@link ExecutorCache}). A row whose image cannot be read or decoded becomes an error
 * row (or none) and is counted; a batch that fails as a whole is retried image by image so that only the bad
 * images fail.
 */
final class CaptionPartitions implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    static final StructType NEIGHBOUR = new StructType(new StructField[] {
        DataTypes.createStructField("index", DataTypes.IntegerType, false),
        DataTypes.createStructField("caption", DataTypes.StringType, false),
        DataTypes.createStructField("weight", DataTypes.FloatType, false),
        DataTypes.createStructField("similarity", DataTypes.FloatType, false)});

    private final CaptionJob job;
    private final boolean hasContent;
    private final LongAccumulator badImages;

    CaptionPartitions(CaptionJob job, boolean hasContent, LongAccumulator badImages) {
        this.job = job;
        this.hasContent = hasContent;
        this.badImages = badImages;
    }

    /** The output schema: the key column, then the caption's columns, then {@code error}. */
    static StructType schema(String keyColumn) {
        return new StructType(new StructField[] {
            DataTypes.createStructField(keyColumn, DataTypes.StringType, true),
            DataTypes.createStructField("text", DataTypes.StringType, true),
            DataTypes.createStructField("tokens", DataTypes.createArrayType(DataTypes.IntegerType, false), true),
            DataTypes.createStructField("logprobs", DataTypes.createArrayType(DataTypes.FloatType, false), true),
            DataTypes.createStructField("score", DataTypes.DoubleType, true),
            DataTypes.createStructField("neighbours", DataTypes.createArrayType(NEIGHBOUR, false), true),
            DataTypes.createStructField("error", DataTypes.StringType, true)});
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        ExecutorModels.ModelKey model = ExecutorModels.ModelKey.of(
                ExecutorModels.resolve(job.bundle(), job.distributeFiles()),
                job.vocabulary() == null ? null : ExecutorModels.resolve(job.vocabulary(), job.distributeFiles()),
                job.verifyChecksums(), job.intraOpThreads());
        String bank = ExecutorModels.resolve(job.bank(), job.distributeFiles());
        ExecutorModels.CaptionerKey key = new ExecutorModels.CaptionerKey(model,
                Path.of(bank).toAbsolutePath().normalize().toString(), ExecutorModels.stamp(Path.of(bank)),
                job.strategy(), job.topK(), job.beam(), job.maxTokens());
        ExecutorCache.Lease<ExecutorModels.Captioner> lease =
                ExecutorCache.acquire(key, () -> new ExecutorModels.Captioner(key));
        TaskContext context = TaskContext.get();
        if (context != null) {
            context.addTaskCompletionListener((TaskCompletionListener) ctx -> lease.close());
        }
        return new Batches(input, lease.value());
    }

    /** Lazily captions the input, one batch at a time. */
    private final class Batches implements Iterator<Row> {
        private final Iterator<Row> input;
        private final ExecutorModels.Captioner captioner;
        private final List<Row> ready = new ArrayList<>();
        private int next;

        Batches(Iterator<Row> input, ExecutorModels.Captioner captioner) {
            this.input = input;
            this.captioner = captioner;
        }

        @Override
        public boolean hasNext() {
            while (next >= ready.size()) {
                if (!input.hasNext()) {
                    return false;
                }
                ready.clear();
                next = 0;
                captionBatch();
            }
            return true;
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return ready.get(next++);
        }

        private void captionBatch() {
            List<String> keys = new ArrayList<>();
            List<DecodedImage> images = new ArrayList<>();
            Row[] out = new Row[job.batchSize()];
            int n = 0;
            while (n < job.batchSize() && input.hasNext()) {
                Row row = input.next();
                String key = keyOf(row);
                try {
                    images.add(captioner.loader.decode(bytesOf(row, key), key));
                    keys.add(key);
                } catch (DecapException | UncheckedIOException e) {
                    out[n] = failed(key, e);
                }
                n++;
            }
            List<Object> results = images.isEmpty() ? List.of() : captionAll(images);
            int c = 0;
            for (int i = 0; i < n; i++) {
                if (out[i] == null) {
                    Object result = results.get(c);
                    out[i] = result instanceof Caption caption ? row(keys.get(c), caption)
                            : failed(keys.get(c), (RuntimeException) result);
                    c++;
                }
                if (out[i] != SKIPPED) {
                    ready.add(out[i]);
                }
            }
        }

        /**
         * For each image its {@link Caption}, or the exception that stopped it: the batch in one go, and image by
         * image only when the batch fails.
         */
        private List<Object> captionAll(List<DecodedImage> images) {
            try {
                return new ArrayList<>(caption(images));
            } catch (DecapException batchFailure) {
                List<Object> each = new ArrayList<>(images.size());
                for (DecodedImage image : images) {
                    try {
                        each.add(caption(List.of(image)).get(0));
                    } catch (DecapException e) {
                        each.add(e);
                    }
                }
                return each;
            }
        }

        private List<Caption> caption(List<DecodedImage> images) {
            return captioner.decap.captionEmbeddings(captioner.imageEncoder.encodeAllDecoded(images),
                    captioner.decap.decodingOptions());
        }

        private Row failed(String key, RuntimeException e) {
            if (badImages != null) {
                badImages.add(1);
            }
            if (job.onError() == CaptionJob.OnError.SKIP) {
                return SKIPPED;
            }
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            if (key != null && !message.contains(key)) {
                message = "image " + key + ": " + message;
            }
            return RowFactory.create(key, null, null, null, null, null, message);
        }
    }

    private static final Row SKIPPED = RowFactory.create();

    private String keyOf(Row row) {
        Object k = row.get(row.fieldIndex(job.keyColumn()));
        return k == null ? null : k.toString();
    }

    private byte[] bytesOf(Row row, String key) {
        if (hasContent) {
            Object content = row.get(row.fieldIndex(job.contentColumn()));
            if (content == null) {
                throw new dev.decap.InvalidInputException("image " + key + " has no content (null "
                        + job.contentColumn() + ")");
            }
            return (byte[]) content;
        }
        if (key == null) {
            throw new dev.decap.InvalidInputException("a row has a null " + job.keyColumn() + "; give each image "
                    + "a path");
        }
        return read(key);
    }

    /** Reads an image through Hadoop's file systems (local paths, file:, hdfs:, s3a: ...). */
    private static byte[] read(String path) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            FileSystem fs = p.getFileSystem(new Configuration());
            try (FSDataInputStream in = fs.open(p)) {
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("image " + path + " cannot be read: " + e.getMessage(), e);
        }
    }

    static Row row(String key, Caption c) {
        Row[] neighbours = new Row[c.contributions().size()];
        for (int i = 0; i < neighbours.length; i++) {
            Contribution n = c.contributions().get(i);
            neighbours[i] = RowFactory.create(n.index(), n.caption(), n.weight(), n.similarity());
        }
        int[] tokens = c.tokenIds();
        float[] logprobs = c.tokenLogProbs();
        Integer[] t = new Integer[tokens.length];
        Float[] lp = new Float[logprobs.length];
        for (int i = 0; i < tokens.length; i++) {
            t[i] = tokens[i];
        }
        for (int i = 0; i < logprobs.length; i++) {
            lp[i] = logprobs[i];
        }
        return RowFactory.create(key, c.text(), t, lp, c.score(), neighbours, null);
    }
}
