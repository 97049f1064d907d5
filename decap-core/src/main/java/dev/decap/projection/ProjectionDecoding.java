package dev.decap.projection;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.internal.kernels.ProjectionKernel;
import dev.decap.internal.kernels.VectorKernels;
import dev.decap.internal.kernels.RowBlock;
import dev.decap.internal.kernels.RowSource;
import dev.decap.projection.spi.ProjectionAccumulator;
import dev.decap.projection.spi.ProjectionInputs;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * DeCap's projection-based decoding (PD), in pure Java: the image embedding {@code v} is normalised, every memory
 * entry {@code m_i} gets the weight {@code w_i = softmax_i(m_i·v / τ)}, and the projection is
 * {@code normalize(Σ w_i m_i)}. The weights sum to 1 over all entries; the {@link Builder#maxContributions}
 * largest are reported as {@link Contribution}s (the largest weights are the largest similarities).
 *
 * <p>One streaming pass over the memory: per block of 256 rows, the similarities are computed, the running softmax
 * is updated with max-subtraction (an online softmax, {@link ProjectionAccumulator}), and the block is mixed in
 * while it is in cache. Bank files ({@code MemoryBankFile}) decode their fp32, fp16 or int8 rows straight from the
 * mapping into the block; other banks hand out their rows through {@link MemoryBank#scan}. Extra memory is one
 * block of rows and scores and one vector per query; nothing grows with the bank. {@link #projectAll} scores a
 * whole batch of queries per block, reading the memory once per batch (up to 64 queries per pass), and gives
 * results bit-identical to {@link #project}. With {@link Builder#parallelism} the rows are split into contiguous
 * ranges, one per thread, whose partial states merge exactly (the log-sum-exp rule).
 *
 * <p>With {@link Builder#topK(int)} only the k most similar entries take part in the softmax (the others get
 * weight 0). They are found by a scan, exactly, unless the bank says its search is the faster way
 * ({@link MemoryBank#prefersSearchForTopK()}, as an approximate nearest-neighbour index does): then they are the
 * hits of {@code memory.search(query, k)}, no scan is made, and the projection is as exact as that search.
 * Immutable and thread-safe.
 */
public final class ProjectionDecoding implements Projector {
    /** DeCap's temperature τ ({@link ProjectionSettings#DEFAULT_TEMPERATURE}). */
    public static final double DEFAULT_TEMPERATURE = ProjectionSettings.DEFAULT_TEMPERATURE;
    /** Contributions listed by default ({@link ProjectionSettings#DEFAULT_MAX_CONTRIBUTIONS}). */
    public static final int DEFAULT_MAX_CONTRIBUTIONS = ProjectionSettings.DEFAULT_MAX_CONTRIBUTIONS;
    /** Rows per block: 256 rows of 512 floats are 512 KiB, which stay in a core's L2 cache while mixed in. */
    static final int BLOCK_ROWS = 256;
    /** Queries scored together in one memory pass; bounds the scratch memory of a huge batch. */
    static final int QUERIES_PER_PASS = 64;
    /** Below this many rows per thread, splitting a scan costs more than it saves. */
    static final int MIN_ROWS_PER_TASK = 8192;

    private final ProjectionSettings settings;
    private final int parallelism;
    private final Executor executor;

    private ProjectionDecoding(Builder b, ProjectionSettings settings) {
        this.settings = settings;
        this.parallelism = b.parallelism;
        this.executor = b.executor == null ? ForkJoinPool.commonPool() : b.executor;
    }

    /** A builder with DeCap's defaults (τ = 0.01, all entries, 10 contributions listed, one thread). */
    public static Builder builder() {
        return new Builder();
    }

    /** Projection decoding with DeCap's defaults. */
    public static ProjectionDecoding create() {
        return builder().build();
    }

    /**
     * Whether this JVM runs the projection's vector kernels: it does when it was started with
     * {@code --add-modules jdk.incubator.vector} (Java 17 to 25; the JDK's incubating Vector API), unless
     * {@code -Ddecap.vector=false}. The vector kernels compute the same bits as the scalar ones, three to five
     * times faster (see {@code docs/performance.md}).
     */
    public static boolean vectorKernels() {
        return VectorKernels.enabled();
    }

    /**
     * The kernels in use and why, for diagnostics: {@code "jdk.incubator.vector (256-bit)"}, or
     * {@code "scalar (...)"} with the reason and, where it applies, the JVM option that enables the vector kernels.
     */
    public static String kernels() {
        return VectorKernels.description();
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

    /** How many threads one scan is split across. */
    public int parallelism() {
        return parallelism;
    }

    @Override
    public Projection project(float[] imageEmbedding, MemoryBank memory) {
        return projectAll(List.of(Arguments.requireNonNull(imageEmbedding, "imageEmbedding")), memory).get(0);
    }

    @Override
    public List<Projection> projectAll(List<float[]> imageEmbeddings, MemoryBank memory) {
        float[] queries = ProjectionInputs.unitQueries(imageEmbeddings, memory);
        int count = imageEmbeddings.size();
        int d = memory.dimension();
        List<Projection> out = new ArrayList<>(count);
        if (settings.topK() > 0 && memory.prefersSearchForTopK()) {
            for (int i = 0; i < count; i++) {
                out.add(searchTopK(Arrays.copyOfRange(queries, i * d, (i + 1) * d), memory));
            }
            return out;
        }
        for (int start = 0; start < count; start += QUERIES_PER_PASS) {
            int n = Math.min(QUERIES_PER_PASS, count - start);
            float[] group = new float[n * d];
            System.arraycopy(queries, start * d, group, 0, n * d);
            ProjectionAccumulator[] states = scanAll(group, n, memory);
            for (ProjectionAccumulator s : states) {
                out.add(s.finish(memory));
            }
        }
        return out;
    }

    /** Top-k PD over the hits of the bank's own (typically approximate) search instead of a scan. */
    private Projection searchTopK(float[] query, MemoryBank memory) {
        ProjectionAccumulator state = new ProjectionAccumulator(memory.dimension(), settings);
        for (MemoryHit hit : memory.search(query, settings.topK())) {
            state.offer(hit.similarity(), hit.index());
        }
        return state.finish(memory);
    }

    private ProjectionAccumulator[] scanAll(float[] queries, int count, MemoryBank memory) {
        int n = memory.size();
        int tasks = Math.max(1, Math.min(parallelism, n / MIN_ROWS_PER_TASK));
        if (tasks == 1) {
            return scanRange(queries, count, memory, 0, n);
        }
        // Contiguous ranges, block aligned; the calling thread takes the first one.
        int perTask = ((n + tasks - 1) / tasks + BLOCK_ROWS - 1) / BLOCK_ROWS * BLOCK_ROWS;
        List<CompletableFuture<ProjectionAccumulator[]>> futures = new ArrayList<>();
        for (int t = 1; t < tasks; t++) {
            int from = Math.min(n, t * perTask);
            int to = Math.min(n, from + perTask);
            futures.add(CompletableFuture.supplyAsync(() -> scanRange(queries, count, memory, from, to), executor));
        }
        ProjectionAccumulator[] states = scanRange(queries, count, memory, 0, Math.min(n, perTask));
        for (CompletableFuture<ProjectionAccumulator[]> f : futures) {
            ProjectionAccumulator[] part;
            try {
                part = f.join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException) {
                    throw (RuntimeException) e.getCause();
                }
                throw e;
            }
            for (int q = 0; q < count; q++) {
                states[q].merge(part[q]);
            }
        }
        return states;
    }

    private ProjectionAccumulator[] scanRange(float[] queries, int count, MemoryBank memory, int from, int to) {
        int d = memory.dimension();
        ProjectionAccumulator[] states = new ProjectionAccumulator[count];
        for (int q = 0; q < count; q++) {
            states[q] = new ProjectionAccumulator(d, settings);
        }
        RowBlock block = new RowBlock(d, BLOCK_ROWS);
        ProjectionKernel kernel = new ProjectionKernel(queries, count, d, BLOCK_ROWS);
        float[] scores = new float[count * BLOCK_ROWS];
        boolean restricted = settings.topK() > 0;
        double[] sums = new double[count];
        float[] mixed = new float[d];
        Runnable step = () -> {
            int rows = block.count();
            int first = block.first();
            kernel.score(block, scores, BLOCK_ROWS);
            if (restricted) {
                for (int q = 0; q < count; q++) {
                    states[q].offer(scores, q * BLOCK_ROWS, rows, first);
                }
                return;
            }
            // Scores become weights in place (the online softmax); the block is then mixed in from cache.
            for (int q = 0; q < count; q++) {
                sums[q] = states[q].weigh(scores, q * BLOCK_ROWS, rows, first);
            }
            kernel.mix(block, scores, BLOCK_ROWS);
            for (int q = 0; q < count; q++) {
                if (sums[q] > 0) {
                    kernel.drain(q, block.layout(), mixed);
                    states[q].addWeighted(sums[q], mixed, 0);
                }
            }
        };
        if (memory instanceof RowSource source) {
            // The bank decodes its storage (fp16, int8) straight into the block: one read of the memory.
            for (int at = from; at < to; ) {
                at += source.decode(at, to, block);
                step.run();
            }
            return states;
        }
        BlockConsumer consumer = (first, rows, data, offset) -> {
            for (int done = 0; done < rows; done += BLOCK_ROWS) {
                block.wrap(first + done, Math.min(BLOCK_ROWS, rows - done), data, offset + done * d);
                step.run();
            }
        };
        if (from == 0 && to == memory.size()) {
            // The whole bank: the two-argument scan, which every bank that streams its storage overrides.
            memory.scan(BLOCK_ROWS, consumer);
        } else {
            memory.scan(from, to, BLOCK_ROWS, consumer);
        }
        return states;
    }

    @Override
    public String toString() {
        return "ProjectionDecoding[temperature=" + settings.temperature() + ", topK=" + settings.topK()
                + ", maxContributions=" + settings.maxContributions() + ", parallelism=" + parallelism + "]";
    }

    /** Configures a {@link ProjectionDecoding}. Not thread-safe. */
    public static final class Builder {
        private double temperature = DEFAULT_TEMPERATURE;
        private int topK;
        private int maxContributions = DEFAULT_MAX_CONTRIBUTIONS;
        private int parallelism = 1;
        private Executor executor;

        private Builder() {
        }

        /**
         * Optional. Temperature, top-k and listed contributions in one value, as the ND4J projector takes them;
         * the individual setters below override its fields. Default: {@link ProjectionSettings#DEFAULT}.
         */
        public Builder settings(ProjectionSettings settings) {
            Arguments.requireNonNull(settings, "settings");
            this.temperature = settings.temperature();
            this.topK = settings.topK();
            this.maxContributions = settings.maxContributions();
            return this;
        }

        /** Optional. The softmax temperature τ, finite and positive. Default: 0.01 (DeCap). */
        public Builder temperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * Optional. Mix only the k most similar entries; 0 mixes all. Default: 0. The k entries come from a scan
         * (exact) or, for banks whose {@link MemoryBank#prefersSearchForTopK()} is true, from their search. A value
         * above the bank's size is clamped to it at use: {@link Integer#MAX_VALUE} mixes every entry.
         */
        public Builder topK(int topK) {
            this.topK = topK;
            return this;
        }

        /**
         * Optional. How many of the largest contributions each projection lists, 0 or more. Default: 10. Clamped to
         * the bank's size at use: {@link Integer#MAX_VALUE} lists every entry.
         */
        public Builder maxContributions(int maxContributions) {
            this.maxContributions = maxContributions;
            return this;
        }

        /**
         * Optional. How many threads one memory scan is split across (the calling thread plus
         * {@code parallelism - 1} tasks on the executor); small banks are never split. Default: 1.
         */
        public Builder parallelism(int parallelism) {
            this.parallelism = parallelism;
            return this;
        }

        /** Optional. Where the extra scan tasks run. Default: {@link ForkJoinPool#commonPool()}. */
        public Builder executor(Executor executor) {
            this.executor = Arguments.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * Builds the projector.
         *
         * @throws ConfigurationException if a setting is out of range
         */
        public ProjectionDecoding build() {
            ProjectionSettings checked = new ProjectionSettings(temperature, topK, maxContributions);
            if (parallelism < 1) {
                throw new ConfigurationException("parallelism must be at least 1, found " + parallelism);
            }
            return new ProjectionDecoding(this, checked);
        }
    }
}
