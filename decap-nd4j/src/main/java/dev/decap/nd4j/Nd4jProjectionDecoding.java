package dev.decap.nd4j;

import dev.decap.spi.Arguments;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.spi.ProjectionAccumulator;
import dev.decap.projection.spi.ProjectionInputs;
import dev.decap.spi.CloseGuard;
import dev.decap.projection.Projector;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;

/**
 * DeCap's projection-based decoding on ND4J (OpenBLAS): the same semantics as {@link ProjectionDecoding}
 * ({@code normalize(Σ softmax(m·v/τ)_i m_i)}, optional top-k restriction, contributions), computed with dense
 * matrix products. {@link #projectAll} stacks the queries into a B×D matrix and, per block of memory rows, runs one
 * gemm for the similarities ({@code Q·M_bᵀ}), the online-softmax update of {@link ProjectionDecoding} (in Java, on
 * the block's scores) and one gemm for the weighted sum ({@code W·M_b}), so the bank is read once per batch and
 * BLAS uses every core.
 *
 * <p><b>Memory.</b> The first call with a bank copies it off-heap (N×D floats, e.g. 2 GB for 1M×512) and keeps the
 * copy, weakly keyed by the bank's identity, for as long as the bank is reachable; then ND4J frees it. ND4J's
 * off-heap limit ({@code -Dorg.bytedeco.javacpp.maxbytes}, by default the heap size {@code -Xmx}) must leave room
 * for it. {@link #close()} frees every copy at once.
 *
 * <p><b>Small batches.</b> For one or two queries a gemm degenerates to a matrix-vector product, which reads
 * memory no faster than the pure-Java kernel and pays ND4J's call overhead, so by default {@link #project} and
 * batches of up to two are delegated to a {@link ProjectionDecoding} with the same settings (see
 * {@link Builder#pureJavaBatchLimit(int)}). Top-k projection onto a bank that prefers its own search
 * ({@link MemoryBank#prefersSearchForTopK()}, e.g. an approximate nearest-neighbour index) is delegated too: it
 * searches the bank and never copies it.
 *
 * <p>Thread-safe; results agree with {@link ProjectionDecoding} to about 1e-6 (float rounding differs).
 */
public final class Nd4jProjectionDecoding implements Projector, AutoCloseable {
    /** Memory rows per gemm block by default. */
    public static final int DEFAULT_BLOCK_ROWS = 65536;
    /** Batches of at most this many queries run in pure Java by default (measured crossover: 2 to 4). */
    public static final int DEFAULT_PURE_JAVA_BATCH_LIMIT = 2;
    /** Queries per memory pass; bounds the block matrices of a huge batch. */
    static final int QUERIES_PER_PASS = 256;

    private final ProjectionSettings settings;
    private final int blockRows;
    private final ProjectionDecoding javaProjector;
    private final int pureJavaBatchLimit;
    private final BankMatrixCache cache = new BankMatrixCache();
    private final CloseGuard guard = new CloseGuard("this Nd4jProjectionDecoding was closed; create a new one");

    private Nd4jProjectionDecoding(Builder b, ProjectionSettings settings) {
        this.settings = settings;
        this.blockRows = b.blockRows;
        this.pureJavaBatchLimit = b.pureJavaBatchLimit;
        this.javaProjector = ProjectionDecoding.builder().settings(settings).parallelism(b.pureJavaParallelism)
                .build();
    }

    /** A builder with DeCap's defaults (τ = 0.01, all entries, 10 contributions listed). */
    public static Builder builder() {
        return new Builder();
    }

    /** What this projector computes: temperature, top-k restriction, listed contributions. */
    public ProjectionSettings settings() {
        return settings;
    }

    /** The softmax temperature τ. */
    public double temperature() {
        return settings.temperature();
    }

    /** The number of most similar entries mixed, or 0 for all. */
    public int topK() {
        return settings.topK();
    }

    /** How many contributions a projection lists at most. */
    public int maxContributions() {
        return settings.maxContributions();
    }

    @Override
    public Projection project(float[] imageEmbedding, MemoryBank memory) {
        return projectAll(List.of(Arguments.requireNonNull(imageEmbedding, "imageEmbedding")), memory).get(0);
    }

    @Override
    public List<Projection> projectAll(List<float[]> imageEmbeddings, MemoryBank memory) {
        guard.ensureOpen();
        float[] queries = ProjectionInputs.unitQueries(imageEmbeddings, memory);
        if (imageEmbeddings.isEmpty()) {
            return List.of();
        }
        // A bank that prefers its own (approximate) search for top-k is searched, not copied into a matrix.
        if (imageEmbeddings.size() <= pureJavaBatchLimit || (settings.topK() > 0 && memory.prefersSearchForTopK())) {
            return javaProjector.projectAll(imageEmbeddings, memory);
        }
        try (CloseGuard.Permit permit = guard.enter()) {
            INDArray matrix = cache.get(memory);
            int d = memory.dimension();
            int count = imageEmbeddings.size();
            List<Projection> out = new ArrayList<>(count);
            for (int start = 0; start < count; start += QUERIES_PER_PASS) {
                int n = Math.min(QUERIES_PER_PASS, count - start);
                float[] group = new float[n * d];
                System.arraycopy(queries, start * d, group, 0, n * d);
                for (ProjectionAccumulator state : scan(group, n, d, matrix, memory.size())) {
                    out.add(state.finish(memory));
                }
            }
            return out;
        } finally {
            // The cache is weakly keyed: keep the bank, and so its matrix, alive until the gemms are done.
            Reference.reachabilityFence(memory);
        }
    }

    private ProjectionAccumulator[] scan(float[] group, int n, int d, INDArray matrix, int size) {
        ProjectionAccumulator[] states = new ProjectionAccumulator[n];
        for (int q = 0; q < n; q++) {
            states[q] = new ProjectionAccumulator(d, settings);
        }
        boolean restricted = settings.topK() > 0;
        double[] sums = new double[n];
        try (INDArray q = Nd4j.create(group, new long[] {n, d}, 'c')) {
            for (int first = 0; first < size; first += blockRows) {
                int rows = Math.min(blockRows, size - first);
                INDArray block = matrix.get(NDArrayIndex.interval(first, first + rows), NDArrayIndex.all());
                float[] s;
                try (INDArray scores = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, rows}, 'c')) {
                    Nd4j.gemm(q, block, scores, false, true, 1.0, 0.0);
                    s = scores.data().asFloat();
                }
                if (restricted) {
                    for (int i = 0; i < n; i++) {
                        states[i].offer(s, i * rows, rows, first);
                    }
                    continue;
                }
                // The softmax bookkeeping is O(n * rows), done here rather than as ND4J element-wise ops, whose
                // OpenMP regions stall badly when the cores are busy with other work.
                for (int i = 0; i < n; i++) {
                    sums[i] = states[i].weigh(s, i * rows, rows, first);
                }
                try (INDArray weights = Nd4j.create(s, new long[] {n, rows}, 'c');
                     INDArray mixed = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, d}, 'c')) {
                    Nd4j.gemm(weights, block, mixed, false, false, 1.0, 0.0);
                    float[] p = mixed.data().asFloat();
                    for (int i = 0; i < n; i++) {
                        states[i].addWeighted(sums[i], p, i * d);
                    }
                }
            }
        }
        return states;
    }

    /** Number of banks whose off-heap copy this projector holds. */
    public int cachedBanks() {
        return cache.size();
    }

    /** Frees the off-heap copies of every bank, waiting for running projections. Idempotent. */
    @Override
    public void close() {
        guard.close(cache::clear);
    }

    @Override
    public String toString() {
        return "Nd4jProjectionDecoding[" + settings + ", blockRows=" + blockRows + ", pureJavaBatchLimit="
                + pureJavaBatchLimit + "]";
    }

    /** Configures an {@link Nd4jProjectionDecoding}. Not thread-safe. */
    public static final class Builder {
        private ProjectionSettings settings = ProjectionSettings.DEFAULT;
        private Double temperature;
        private Integer topK;
        private Integer maxContributions;
        private int blockRows = DEFAULT_BLOCK_ROWS;
        private int pureJavaBatchLimit = DEFAULT_PURE_JAVA_BATCH_LIMIT;
        private int pureJavaParallelism = Math.max(1, Runtime.getRuntime().availableProcessors());

        private Builder() {
        }

        /**
         * Optional. Temperature, top-k restriction and listed contributions, exactly as
         * {@link ProjectionDecoding} takes them. Default: {@link ProjectionSettings#DEFAULT} (DeCap: τ = 0.01).
         */
        public Builder settings(ProjectionSettings settings) {
            this.settings = Arguments.requireNonNull(settings, "settings");
            return this;
        }

        /** Optional. The softmax temperature τ, finite and positive. Default: 0.01 (DeCap). */
        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /** Optional. Mix only the k most similar entries; 0 mixes all. Default: 0. */
        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        /** Optional. How many of the largest contributions each projection lists, 0 or more. Default: 10. */
        public Builder maxContributions(int maxContributions) {
            this.maxContributions = maxContributions;
            return this;
        }

        /** Optional. Memory rows per gemm block, positive. Default: 65536. */
        public Builder blockRows(int blockRows) {
            this.blockRows = blockRows;
            return this;
        }

        /**
         * Optional. Batches of at most this many queries (and single queries) are computed by the pure-Java
         * {@link ProjectionDecoding} instead: a matrix-vector product is bound by memory bandwidth, where the Java
         * kernel was faster than ND4J in our benchmark (docs/memory-and-projection.md). 0 sends everything to
         * ND4J. Default: 2 (at 100k x 512, two queries took 30 ms in Java against 38 ms on ND4J, four took 52
         * against 39 ms).
         */
        public Builder pureJavaBatchLimit(int pureJavaBatchLimit) {
            this.pureJavaBatchLimit = pureJavaBatchLimit;
            return this;
        }

        /**
         * Optional. How many threads the pure-Java path splits one scan across (see
         * {@link ProjectionDecoding.Builder#parallelism(int)}; banks under 16 384 entries are never split).
         * Default: the number of available processors (with the second core free, two threads halved the time of
         * one query on a 1M bank: 95 against 178 ms).
         */
        public Builder pureJavaParallelism(int pureJavaParallelism) {
            this.pureJavaParallelism = pureJavaParallelism;
            return this;
        }

        /**
         * Builds the projector.
         *
         * @throws ConfigurationException if a setting is out of range
         */
        public Nd4jProjectionDecoding build() {
            ProjectionSettings resolved = new ProjectionSettings(
                    temperature != null ? temperature : settings.temperature(),
                    topK != null ? topK : settings.topK(),
                    maxContributions != null ? maxContributions : settings.maxContributions());
            if (pureJavaParallelism < 1) {
                throw new ConfigurationException("pureJavaParallelism must be at least 1, found "
                        + pureJavaParallelism);
            }
            if (pureJavaBatchLimit < 0) {
                throw new ConfigurationException("pureJavaBatchLimit must not be negative, found "
                        + pureJavaBatchLimit);
            }
            if (blockRows <= 0) {
                throw new ConfigurationException("blockRows must be positive, found " + blockRows);
            }
            return new Nd4jProjectionDecoding(this, resolved);
        }
    }
}
