package dev.decap.spark;

import dev.decap.ConfigurationException;
import dev.decap.memory.file.VectorType;

import java.io.Serializable;

/**
 * What {@link DecapSpark#buildMemory} builds: the bundle whose text tower encodes the captions, the bank directory
 * to write, and how many shards. A small serialisable spec that travels with every task. Immutable.
 */
public final class MemoryJob implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String bundle;
    private final String vocabulary;
    private final String output;
    private final int shards;
    private final int batchSize;
    private final VectorType vectorType;
    private final boolean verifyChecksums;
    private final int intraOpThreads;
    private final boolean failFirstAttempts;

    private MemoryJob(Builder b) {
        this.bundle = b.bundle;
        this.vocabulary = b.vocabulary;
        this.output = b.output;
        this.shards = b.shards;
        this.batchSize = b.batchSize;
        this.vectorType = b.vectorType;
        this.verifyChecksums = b.verifyChecksums;
        this.intraOpThreads = b.intraOpThreads;
        this.failFirstAttempts = b.failFirstAttempts;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The model bundle directory (its text encoder encodes the captions). */
    public String bundle() {
        return bundle;
    }

    /** The CLIP BPE vocabulary (file or directory), or null for the bundle's own. */
    public String vocabulary() {
        return vocabulary;
    }

    /** The bank directory written: shard files and {@code manifest.json}. */
    public String output() {
        return output;
    }

    /** The number of shards (one Spark task each). */
    public int shards() {
        return shards;
    }

    /** Captions per text-encoder call. */
    public int batchSize() {
        return batchSize;
    }

    /** How vectors are stored. */
    public VectorType vectorType() {
        return vectorType;
    }

    /** Whether executors check the bundle's file hashes when they load it. */
    public boolean verifyChecksums() {
        return verifyChecksums;
    }

    /** ONNX Runtime threads per text-encoder call on an executor. */
    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Test hook: the first attempt of every shard task fails after writing its file. */
    boolean failFirstAttempts() {
        return failFirstAttempts;
    }

    @Override
    public String toString() {
        return "MemoryJob[bundle=" + bundle + ", output=" + output + ", shards=" + shards + ", dtype="
                + vectorType.id() + "]";
    }

    /** Builder; {@link #bundle}, {@link #output} and {@link #shards} are required. Not thread-safe. */
    public static final class Builder {
        private String bundle;
        private String vocabulary;
        private String output;
        private int shards;
        private int batchSize = 256;
        private VectorType vectorType = VectorType.FP32;
        private boolean verifyChecksums = true;
        private int intraOpThreads = 1;
        private boolean failFirstAttempts;

        private Builder() {
        }

        /** Required: the model bundle directory, at the same path on the driver and every executor. */
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
         * Required: the bank directory, on storage that the driver and every executor see at this path (a shared
         * POSIX file system: shards are written there by the tasks and memory-mapped by readers).
         */
        public Builder output(String directory) {
            this.output = directory;
            return this;
        }

        /** Required: the number of shards, 1 to the number of unique captions. */
        public Builder shards(int shards) {
            this.shards = shards;
            return this;
        }

        /** Optional: captions per text-encoder call. Default: 256. */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Optional. Default: {@link VectorType#FP32}. */
        public Builder vectorType(VectorType type) {
            this.vectorType = type;
            return this;
        }

        /** Optional. Default: true. */
        public Builder verifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        /** Optional: ONNX Runtime intra-op threads per call. Default: 1 (one task per executor core). */
        public Builder intraOpThreads(int threads) {
            this.intraOpThreads = threads;
            return this;
        }

        /** Test hook (package-private): make the first attempt of every shard task fail after writing. */
        Builder failFirstAttempts(boolean fail) {
            this.failFirstAttempts = fail;
            return this;
        }

        /**
         * @throws ConfigurationException naming the setting that is missing or out of range
         */
        public MemoryJob build() {
            if (bundle == null || bundle.isBlank()) {
                throw new ConfigurationException("a memory job needs bundle(DIR): the model bundle directory");
            }
            if (output == null || output.isBlank()) {
                throw new ConfigurationException("a memory job needs output(DIR): the bank directory to write");
            }
            if (shards < 1 || shards > 99_999) {
                throw new ConfigurationException("shards must be 1 to 99999, found " + shards);
            }
            if (batchSize < 1 || batchSize > 65_536) {
                throw new ConfigurationException("batchSize must be 1 to 65536, found " + batchSize);
            }
            if (vectorType == null) {
                throw new ConfigurationException("vectorType must not be null; use VectorType.FP32 or FP16");
            }
            if (intraOpThreads < 1) {
                throw new ConfigurationException("intraOpThreads must be at least 1, found " + intraOpThreads);
            }
            return new MemoryJob(this);
        }
    }
}
