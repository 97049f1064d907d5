package dev.decap.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.memory.file.BankInfo;
import dev.decap.memory.file.Corpus;
import dev.decap.memory.file.MemoryBankWriteException;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.spark.internal.ExecutorCache;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The distributed memory-bank build. The corpus's captions are normalised ({@link MemoryBankWriter#normalizeCaption})
 * and deduplicated keeping each caption's first position, put in order of first position (the order
 * {@code decap memory build} writes them in), cut into {@code shards} contiguous ranges of nearly equal size (the
 * rule of {@code MemoryBanks.split}), and each range is encoded and written as one bank file by one task.
 *
 * <p>Commit protocol: a task writes its shard atomically (temporary file, fsync, rename) under
 * {@code BANK_DIR/_temporary/} with a name that holds its stage attempt and task attempt id, so retried and
 * speculative attempts never write the same file. The driver takes, for each shard, the file of the attempt that
 * Spark reports successful, renames it to {@code shard-SSSSS-of-NNNNN-HASH.dmb} (HASH: the start of its
 * {@code content_sha256}, so the same content always gets the same name and another content never overwrites a
 * shard the current manifest lists), and then writes {@code manifest.json} atomically: the commit point. Only
 * then are the attempt files and the shard files no manifest lists deleted. A job that fails at any point leaves
 * the previous bank (if any) readable and complete; running it again gives the same bank.
 */
final class MemoryBuild {
    static final String TEMPORARY = "_temporary";
    /** The names this build gives shards; only such files are removed when a new manifest no longer lists them. */
    static final java.util.regex.Pattern SHARD_NAME = java.util.regex.Pattern.compile(
            "shard-\\d{5}-of-\\d{5}-[0-9a-f]{16}\\.dmb");
    static final StructType CORPUS_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("position", DataTypes.LongType, false),
        DataTypes.createStructField("caption", DataTypes.StringType, false)});

    private MemoryBuild() {
    }

    // ------------------------------------------------------------------------------------------------ corpus

    /** See {@link DecapSpark#readCorpus}. */
    static Dataset<Row> readCorpus(SparkSession spark, String file) {
        Corpus.Format format = Corpus.Format.of(Path.of(ExecutorModels.fileName(file)));
        if (format == Corpus.Format.COCO_JSON) {
            // one JSON document: parsed whole (by the same reader as `decap memory build`); use JSONL when large
            List<String> captions = Corpus.read(Path.of(file), format);
            List<Row> rows = new ArrayList<>(captions.size());
            for (int i = 0; i < captions.size(); i++) {
                rows.add(RowFactory.create((long) i, captions.get(i)));
            }
            return spark.createDataFrame(rows, CORPUS_SCHEMA);
        }
        boolean jsonl = format == Corpus.Format.JSONL;
        JavaRDD<Row> rows = spark.read().textFile(file).javaRDD().zipWithIndex().flatMap(t -> {
            String line = t._2() == 0 && t._1().startsWith("\ufeff") ? t._1().substring(1) : t._1();
            if (line.isBlank()) {
                return java.util.Collections.emptyIterator();
            }
            String caption = jsonl ? JsonLines.caption(file, t._2() + 1, line) : line;
            return List.of(RowFactory.create(t._2(), caption)).iterator();
        });
        return spark.createDataFrame(rows, CORPUS_SCHEMA);
    }

    /** JSON Lines parsing, with the corpus reader's messages. */
    static final class JsonLines {
        private static final ObjectMapper JSON = new ObjectMapper();

        private JsonLines() {
        }

        static String caption(String file, long line, String text) {
            JsonNode node;
            try {
                node = JSON.readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new InvalidInputException("corpus " + file + " line " + line + " is not valid JSON: "
                        + e.getOriginalMessage(), e);
            }
            JsonNode c = node != null && node.isObject() ? node.get("caption") : null;
            if (c == null || !c.isTextual()) {
                throw new InvalidInputException("corpus " + file + " line " + line + " has no \"caption\" string");
            }
            if (c.asText().isBlank()) {
                throw new InvalidInputException("corpus " + file + " line " + line + " has an empty caption; "
                        + "remove it");
            }
            return c.asText();
        }
    }

    // ------------------------------------------------------------------------------------------------ build

    /** See {@link DecapSpark#buildMemory}. */
    static MemoryBuildResult run(Dataset<Row> captions, MemoryJob job) {
        List<String> fields = Arrays.asList(captions.schema().fieldNames());
        if (!fields.contains("caption")) {
            throw new ConfigurationException("the captions dataset needs a \"caption\" string column, found "
                    + fields);
        }
        Path out = Path.of(job.output()).toAbsolutePath().normalize();
        try {
            Files.createDirectories(out);
            deleteRecursively(out.resolve(TEMPORARY)); // attempts of an earlier, failed run
        } catch (IOException e) {
            throw new MemoryBankWriteException("cannot prepare bank directory " + out + ": " + e.getMessage(), e);
        }
        boolean positioned = fields.contains("position");
        JavaRDD<Row> rows = (positioned ? captions.select("position", "caption") : captions.select("caption"))
                .javaRDD();
        JavaPairRDD<Long, String> byPosition = positioned
                ? rows.mapToPair(r -> new Tuple2<>(r.getLong(0), r.getString(1)))
                : rows.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1().getString(0)));
        JavaPairRDD<String, Long> normalised = byPosition.mapToPair(t -> new Tuple2<>(normalise(t._2(), t._1()),
                t._1())).persist(StorageLevel.MEMORY_AND_DISK());
        JavaPairRDD<Long, String> ordered = null;
        try {
            long corpusCount = normalised.count();
            if (corpusCount == 0) {
                throw new InvalidInputException("the corpus has no captions; give at least one");
            }
            ordered = normalised.reduceByKey(Math::min).mapToPair(Tuple2::swap)
                    .sortByKey(true, Math.max(1, normalised.getNumPartitions()))
                    .persist(StorageLevel.MEMORY_AND_DISK());
            long unique = ordered.count();
            if (job.shards() > unique) {
                throw new InvalidInputException("shards must be at most the number of unique captions (" + unique
                        + "), found " + job.shards() + "; ask for fewer shards");
            }
            long[] bounds = new long[job.shards() + 1];
            for (int s = 0; s <= job.shards(); s++) {
                bounds[s] = unique * s / job.shards();
            }
            JavaPairRDD<Long, String> ranked = ordered.values().zipWithIndex().mapToPair(Tuple2::swap);
            List<ShardResult> written = ranked.repartitionAndSortWithinPartitions(new RankPartitioner(bounds))
                    .mapPartitionsWithIndex(new ShardWriter(job, out.toString(), bounds), true).collect();
            return commit(out, job.shards(), written, corpusCount, unique);
        } finally {
            normalised.unpersist(false);
            if (ordered != null) {
                ordered.unpersist(false);
            }
        }
    }

    private static String normalise(String caption, long position) {
        if (caption == null) {
            throw new InvalidInputException("caption " + position + " of the corpus is null; pass caption text");
        }
        String n = MemoryBankWriter.normalizeCaption(caption);
        if (n.isEmpty()) {
            throw new InvalidInputException("caption " + position + " of the corpus is empty (only whitespace); "
                    + "remove it");
        }
        return n;
    }

    /** What a shard task reports: its shard and the file its successful attempt wrote. */
    record ShardResult(int shard, String file, long count, String contentSha256) implements Serializable {
    }

    /** Sends rank {@code r} to the shard whose range {@code [bounds[s], bounds[s+1])} holds it. */
    static final class RankPartitioner extends Partitioner {
        private static final long serialVersionUID = 1L;
        private final long[] bounds;

        RankPartitioner(long[] bounds) {
            this.bounds = bounds.clone();
        }

        @Override
        public int numPartitions() {
            return bounds.length - 1;
        }

        @Override
        public int getPartition(Object key) {
            long rank = (Long) key;
            int i = Arrays.binarySearch(bounds, rank);
            int s = i >= 0 ? i : -i - 2;
            while (s < numPartitions() - 1 && bounds[s + 1] <= rank) {
                s++; // equal bounds: skip ranges that are empty
            }
            return s;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RankPartitioner p && Arrays.equals(p.bounds, bounds);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bounds);
        }
    }

    /** Encodes one shard's captions, in rank order, into an attempt file under {@code _temporary/}. */
    static final class ShardWriter implements Function2<Integer, Iterator<Tuple2<Long, String>>,
            Iterator<ShardResult>> {
        private static final long serialVersionUID = 1L;
        private final MemoryJob job;
        private final String out;
        private final long[] bounds;

        ShardWriter(MemoryJob job, String out, long[] bounds) {
            this.job = job;
            this.out = out;
            this.bounds = bounds.clone();
        }

        @Override
        public Iterator<ShardResult> call(Integer shard, Iterator<Tuple2<Long, String>> rows) throws IOException {
            TaskContext ctx = TaskContext.get();
            ExecutorModels.ModelKey key = ExecutorModels.ModelKey.of(job.bundle(), job.vocabulary(),
                    job.verifyChecksums(), job.intraOpThreads());
            Path dir = Path.of(out).resolve(TEMPORARY);
            Files.createDirectories(dir);
            Path file = dir.resolve(String.format("shard-%05d.attempt-%d-%d.dmb", shard,
                    ctx == null ? 0 : ctx.stageAttemptNumber(), ctx == null ? 0 : ctx.taskAttemptId()));
            BankInfo info;
            try (ExecutorCache.Lease<ExecutorModels.TextModel> lease =
                         ExecutorCache.acquire(key, () -> new ExecutorModels.TextModel(key));
                 MemoryBankWriter w = MemoryBankWriter.builder().output(file)
                         .dimension(lease.value().encoder.dimension()).encoder(lease.value().identity)
                         .vectorType(job.vectorType()).dedupe(false).build()) {
                long expected = bounds[shard];
                List<String> batch = new ArrayList<>(job.batchSize());
                while (rows.hasNext()) {
                    Tuple2<Long, String> row = rows.next();
                    if (row._1() != expected) {
                        throw new IllegalStateException("shard " + shard + " received caption rank " + row._1()
                                + " out of order: expected " + expected + ", found " + row._1());
                    }
                    expected++;
                    batch.add(row._2());
                    if (batch.size() == job.batchSize()) {
                        encode(lease.value(), batch, w);
                    }
                }
                if (!batch.isEmpty()) {
                    encode(lease.value(), batch, w);
                }
                if (expected != bounds[shard + 1]) {
                    throw new IllegalStateException("shard " + shard + " has " + (expected - bounds[shard])
                            + " captions: expected " + (bounds[shard + 1] - bounds[shard]));
                }
                info = w.commit();
            }
            if (job.failFirstAttempts() && ctx != null && ctx.attemptNumber() == 0) {
                throw new IllegalStateException("decap-spark test hook: the first attempt of shard " + shard
                        + " fails after writing " + file);
            }
            return List.of(new ShardResult(shard, file.toString(), info.count(), info.contentSha256())).iterator();
        }

        private static void encode(ExecutorModels.TextModel model, List<String> batch, MemoryBankWriter w) {
            List<float[]> embeddings = model.encoder.encodeAll(batch);
            if (embeddings == null || embeddings.size() != batch.size()) {
                throw new InvalidInputException("the text encoder returned the wrong number of embeddings: expected "
                        + batch.size() + ", found " + (embeddings == null ? 0 : embeddings.size()));
            }
            for (int i = 0; i < batch.size(); i++) {
                w.add(batch.get(i), embeddings.get(i));
            }
            batch.clear();
        }
    }

    // ------------------------------------------------------------------------------------------------ commit

    private static MemoryBuildResult commit(Path out, int shardCount, List<ShardResult> written, long corpusCount,
                                            long unique) {
        ShardResult[] byShard = new ShardResult[shardCount];
        for (ShardResult r : written) {
            if (byShard[r.shard()] != null) {
                throw new IllegalStateException("shard " + r.shard() + " was reported twice: " + byShard[r.shard()]
                        + " and " + r);
            }
            byShard[r.shard()] = r;
        }
        List<Path> shards = new ArrayList<>(shardCount);
        try {
            for (int s = 0; s < shardCount; s++) {
                ShardResult r = byShard[s];
                if (r == null) {
                    throw new IllegalStateException("shard " + s + " was not written; run the build again");
                }
                Path target = out.resolve(String.format("shard-%05d-of-%05d-%s.dmb", s, shardCount,
                        r.contentSha256().substring(0, 16)));
                Files.move(Path.of(r.file()), target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                shards.add(target);
            }
            forceDirectory(out);
            Path manifest = out.resolve(ShardedMemoryBank.DIRECTORY_MANIFEST);
            ShardedMemoryBank.writeManifest(manifest, shards); // the commit point
            Set<Path> keep = new HashSet<>(shards);
            try (Stream<Path> files = Files.list(out)) {
                for (Path f : files.filter(f -> SHARD_NAME.matcher(f.getFileName().toString()).matches())
                        .filter(f -> !keep.contains(f)).sorted(Comparator.naturalOrder()).toList()) {
                    Files.deleteIfExists(f); // shards of an earlier bank in this directory
                }
            }
            deleteRecursively(out.resolve(TEMPORARY));
            return new MemoryBuildResult(out, manifest, corpusCount, unique, shards);
        } catch (IOException e) {
            throw new MemoryBankWriteException("committing the shards of " + out + " failed: " + e.getMessage()
                    + "; run the build again (the previous manifest, if any, is intact)", e);
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException | UnsupportedOperationException e) {
            return; // not every platform can open a directory; there the renames are durable on their own
        }
        try (ch) {
            ch.force(true); // a failure here would let the renames be lost before the manifest commits them
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
