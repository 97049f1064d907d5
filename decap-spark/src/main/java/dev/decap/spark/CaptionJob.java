package dev.decap.spark;

import dev.decap.ConfigurationException;
import dev.decap.decoding.DecodingOptions;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * What {@link DecapSpark#caption} does: which model bundle and memory bank caption the images, how they are
 * decoded, which columns hold them, and what becomes of a bad image. A small serialisable spec: it travels with
 * every task; the models and the bank never do (each executor JVM loads them once, by path). Immutable.
 *
 * <pre>{@code
 * CaptionJob job = CaptionJob.builder().bundle("/shared/models/decap-coco").vocabulary("/shared/bpe.txt.gz")
 *         .bank("/shared/banks/coco").build();
 * Dataset<Row> captions = DecapSpark.caption(spark.read().format("binaryFile").load("/shared/images"), job);
 * }</pre>
 */
public final class CaptionJob implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What a bad image (unreadable, not an image, too large) becomes. */
    public enum OnError {
        /** A row with the image's key and the {@code error} column set; the caption columns are null. */
        ROW,
        /** No row. Either way the image is counted in the job's bad-image accumulator. */
        SKIP
    }

    /** How an image embedding becomes a caption (the paper's strategies that decode). */
    public enum Strategy {
        /** Projection decoding onto the memory (DeCap's method; the default). */
        PD,
        /** Nearest-neighbour decoding: the closest memory embedding, decoded. */
        NND,
        /** The image embedding decoded directly, without the memory. */
        VISUAL;

        /** {@code pd}, {@code nnd} or {@code visual}, case-insensitive. */
        public static Strategy parse(String id) {
            for (Strategy s : values()) {
                if (s.name().equalsIgnoreCase(id)) {
                    return s;
                }
            }
            throw new ConfigurationException("strategy must be pd, nnd or visual, found \"" + id + "\"");
        }

        /** The lower-case name. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String bundle;
    private final String vocabulary;
    private final String bank;
    private final Strategy strategy;
    private final int topK;
    private final int beam;
    private final int maxTokens;
    private final int batchSize;
    private final OnError onError;
    private final String keyColumn;
    private final String contentColumn;
    private final boolean verifyChecksums;
    private final int intraOpThreads;
    private final boolean distributeFiles;

    private CaptionJob(Builder b) {
        this.bundle = b.bundle;
        this.vocabulary = b.vocabulary;
        this.bank = b.bank;
        this.strategy = b.strategy;
        this.topK = b.topK;
        this.beam = b.beam;
        this.maxTokens = b.maxTokens;
        this.batchSize = b.batchSize;
        this.onError = b.onError;
        this.keyColumn = b.keyColumn;
        this.contentColumn = b.contentColumn;
        this.verifyChecksums = b.verifyChecksums;
        this.intraOpThreads = b.intraOpThreads;
        this.distributeFiles = b.distributeFiles;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The model bundle directory. */
    public String bundle() {
        return bundle;
    }

    /** The CLIP BPE vocabulary (file or directory), or null for the bundle's own. */
    public String vocabulary() {
        return vocabulary;
    }

    /** The memory bank: a bank file, a shard manifest, or a bank directory. */
    public String bank() {
        return bank;
    }

    /** The decoding strategy. */
    public Strategy strategy() {
        return strategy;
    }

    /** With {@link Strategy#PD}: the number of most similar memory entries mixed, 0 for all. */
    public int topK() {
        return topK;
    }

    /** The beam width, 0 for greedy decoding. */
    public int beam() {
        return beam;
    }

    /** The token limit, 0 for the bundle's. */
    public int maxTokens() {
        return maxTokens;
    }

    /** Images captioned per batch (one image-encoder run and one projection pass per batch). */
    public int batchSize() {
        return batchSize;
    }

    /** What a bad image becomes. */
    public OnError onError() {
        return onError;
    }

    /** The column holding each image's key (a path or id, copied to the output). */
    public String keyColumn() {
        return keyColumn;
    }

    /** The binary column holding the image bytes; when the dataset has none, the key column is read as a path. */
    public String contentColumn() {
        return contentColumn;
    }

    /** Whether the bundle's file hashes and the bank's checksums are verified when an executor loads them. */
    public boolean verifyChecksums() {
        return verifyChecksums;
    }

    /** ONNX Runtime threads per model call on an executor. */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Whether the bundle and bank are shipped to executors with {@code SparkContext.addFile}. */
    public boolean distributeFiles() {
        return distributeFiles;
    }

    /** Decoding options: beam width (0 greedy), token limit (0 for {@code bundleMaxTokens}). */
    static DecodingOptions decodingOptions(int beam, int maxTokens, int bundleMaxTokens) {
        DecodingOptions.Builder b = DecodingOptions.builder().maxTokens(maxTokens > 0 ? maxTokens : bundleMaxTokens);
        if (beam > 0) {
            b.beam(beam);
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "CaptionJob[bundle=" + bundle + ", bank=" + bank + ", strategy=" + strategy.id() + ", batch="
                + batchSize + ", onError=" + onError + "]";
    }

    /** Builder; {@link #bundle} and {@link #bank} are required. Not thread-safe. */
    public static final class Builder {
        private String bundle;
        private String vocabulary;
        private String bank;
        private Strategy strategy = Strategy.PD;
        private int topK;
        private int beam;
        private int maxTokens;
        private int batchSize = 16;
        private OnError onError = OnError.ROW;
        private String keyColumn = "path";
        private String contentColumn = "content";
        private boolean verifyChecksums = true;
        private int intraOpThreads = 1;
        private boolean distributeFiles;

        private Builder() {
        }

        /**
         * Required: the model bundle directory, at the same path on every executor (shared storage), or on the
         * driver with {@link #distributeFiles(boolean) distributeFiles(true)}.
         */
        public Builder bundle(String directory) {
            this.bundle = directory;
            return this;
        }

        /** Optional: the CLIP BPE vocabulary file or its directory. Default: the bundle directory. */
        public Builder vocabulary(String fileOrDirectory) {
            this.vocabulary = fileOrDirectory;
            return this;
        }

        /**
         * Required: the memory bank, a bank file ({@code decap memory build}), a shard manifest, or a bank
         * directory ({@link DecapSpark#buildMemory}); memory-mapped on each executor, never broadcast.
         */
        public Builder bank(String bankPath) {
            this.bank = bankPath;
            return this;
        }

        /** Optional. Default: {@link Strategy#PD}. */
        public Builder strategy(Strategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /** Optional, with {@link Strategy#PD}: mix only the k most similar entries. Default: 0, all of them. */
        public Builder topK(int k) {
            this.topK = k;
            return this;
        }

        /** Optional: beam search of this width. Default: 0, greedy. */
        public Builder beam(int width) {
            this.beam = width;
            return this;
        }

        /** Optional: most tokens per caption. Default: 0, the bundle's {@code generation.max_tokens}. */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** Optional: images per batch. Default: 16. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Optional. Default: {@link OnError#ROW}. */
        public Builder onError(OnError onError) {
            this.onError = onError;
            return this;
        }

        /** Optional: the key column. Default: {@code path} (as Spark's {@code binaryFile} source names it). */
        public Builder keyColumn(String column) {
            this.keyColumn = column;
            return this;
        }

        /** Optional: the image-bytes column. Default: {@code content} (as {@code binaryFile} names it). */
        public Builder contentColumn(String column) {
            this.contentColumn = column;
            return this;
        }

        /** Optional. Default: true. */
        public Builder verifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        /**
         * Optional: ONNX Runtime intra-op threads per model call. Default: 1, since an executor already runs one
         * task per core, each calling the shared models.
         */
        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        /**
         * Optional: ship the bundle and bank from the driver with {@code SparkContext.addFile} (directories need a
         * Hadoop file system path, e.g. {@code hdfs://}, except in local mode). Default: false, read them at
         * the given paths on every executor.
         */
        public Builder distributeFiles(boolean distribute) {
            this.distributeFiles = distribute;
            return this;
        }

        /**
         * @throws ConfigurationException naming the setting that is missing or out of range
         */
        public CaptionJob build() {
            if (bundle == null || bundle.isBlank()) {
                throw new ConfigurationException("a caption job needs bundle(DIR): the model bundle directory");
            }
            if (bank == null || bank.isBlank()) {
                throw new ConfigurationException("a caption job needs bank(PATH): a bank file, shard manifest or "
                        + "bank directory");
            }
            Objects.requireNonNull(strategy, "strategy");
            Objects.requireNonNull(onError, "onError");
            Objects.requireNonNull(keyColumn, "keyColumn");
            Objects.requireNonNull(contentColumn, "contentColumn");
            if (topK < 0 || (topK > 0 && strategy != Strategy.PD)) {
                throw new ConfigurationException("topK must be 0 or positive and applies to strategy pd only, found "
                        + topK + " with strategy " + strategy.id());
            }
            if (beam < 0 || beam > DecodingOptions.MAX_BEAM_WIDTH) {
                throw new ConfigurationException("beam must be 0 (greedy) to " + DecodingOptions.MAX_BEAM_WIDTH
                        + ", found " + beam);
            }
            if (maxTokens < 0) {
                throw new ConfigurationException("maxTokens must be 0 (the bundle's) or positive, found " + maxTokens);
            }
            if (batchSize < 1 || batchSize > 4096) {
                throw new ConfigurationException("batchSize must be 1 to 4096, found " + batchSize);
            }
            if (intraOpThreads < 1) {
                throw new ConfigurationException("intraOpThreads must be at least 1, found " + intraOpThreads);
            }
            return new CaptionJob(this);
        }
    }
}
