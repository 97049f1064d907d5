package dev.decap.projection.spi;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;
import dev.decap.internal.kernels.TopK;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryBankChecks;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.ProjectionSettings;

import java.util.ArrayList;
import java.util.List;

/**
 * The running state of one query's projection-based decoding over a memory scan: an online (streaming) softmax
 * over {@code similarity / temperature} that never holds more than one block of scores. A service-provider
 * interface: every implementation of projection decoding (the pure-Java {@link ProjectionDecoding}, the ND4J
 * projector of {@code decap-nd4j}, a sharded or distributed scan) feeds its similarities here, so that all of them
 * define PD identically. Partial states over disjoint entries combine exactly with {@link #merge}.
 *
 * <p>State: the largest similarity seen so far {@code max}, {@code sum = Σ exp((s_i - max)/τ)} and
 * {@code p = Σ exp((s_i - max)/τ) m_i} (in double). When a block raises the maximum, {@code sum} and {@code p}
 * are rescaled by {@code exp((oldMax - newMax)/τ)}, so no exponent ever exceeds 0 and nothing overflows.
 *
 * <p>In the dense mode (no top-k restriction), entries whose weight is below {@code e^-30} times the largest
 * weight seen so far are skipped; their total share is below {@code N * 1e-13}, under float precision for any
 * bank of fewer than 100 million entries. With a top-k restriction only the k most similar entries are mixed:
 * the scan just collects them, and {@link #finish} does the softmax over them.
 *
 * <p>Not thread-safe: one instance per query and thread; {@link #merge} combines partial states.
 */
public final class ProjectionAccumulator {
    /** Weights below {@code exp(-CUTOFF)} relative to the running maximum are not accumulated. */
    static final double CUTOFF = 30.0;

    private final int dimension;
    private final double temperature;
    private final double invTemperature;
    private final int topK;
    private final int maxContributions;
    private final TopK top;
    private float max = Float.NEGATIVE_INFINITY;
    private double sum;
    private final double[] p;

    /**
     * A fresh state for one query.
     *
     * @param dimension the memory bank's embedding dimension
     * @param settings  temperature, top-k restriction and listed contributions (validated by the record)
     */
    public ProjectionAccumulator(int dimension, ProjectionSettings settings) {
        Arguments.requireNonNull(settings, "settings");
        if (dimension <= 0) {
            throw new InvalidInputException("dimension must be positive, found " + dimension);
        }
        this.dimension = dimension;
        this.temperature = settings.temperature();
        this.invTemperature = 1.0 / temperature;
        this.topK = settings.topK();
        this.maxContributions = settings.maxContributions();
        this.top = new TopK(topK > 0 ? topK : maxContributions);
        this.p = topK > 0 ? null : new double[dimension];
    }

    /** Whether only the top-k entries are mixed; then the scan only needs {@link #offer}. */
    public boolean restricted() {
        return topK > 0;
    }

    /** The largest similarity seen so far (negative infinity before the first). */
    public float max() {
        return max;
    }

    /**
     * Offers a block's similarities to the top-entry collector (contributions, or the top-k set when restricted).
     *
     * @throws InvalidInputException if a similarity is NaN (the bank holds NaN) or outside [-1, 1] beyond
     *                               {@link MemoryBankChecks#UNIT_TOLERANCE} (the bank's rows are not unit vectors)
     */
    public void offer(float[] scores, int scoreOffset, int rows, int firstIndex) {
        float threshold = top.threshold();
        for (int r = 0; r < rows; r++) {
            float s = scores[scoreOffset + r];
            // A unit query against unit rows: anything outside [-1, 1] (or NaN) is a broken bank, not a weight.
            if (!(s <= MemoryBankChecks.MAX_SIMILARITY && s >= -MemoryBankChecks.MAX_SIMILARITY)) {
                throw MemoryBankChecks.badSimilarity(s, firstIndex + r);
            }
            if (s >= threshold && top.offer(s, firstIndex + r)) {
                threshold = top.threshold();
            }
        }
    }

    /** Offers one entry found by a search (restricted mode: the entries to mix; otherwise a contribution). */
    public void offer(float similarity, int index) {
        top.offer(similarity, index);
    }

    /**
     * Dense mode: offers the block's similarities
     * as contributions, raises the running maximum, and turns the similarities into weights in place,
     * {@code exp((s - max())/τ)}, or 0 below the cutoff. The caller mixes the rows with these weights and hands the
     * result to {@link #addWeighted}.
     *
     * @return the sum of the block's weights
     */
    public double weigh(float[] scores, int scoreOffset, int rows, int firstIndex) {
        offer(scores, scoreOffset, rows, firstIndex);
        float blockMax = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            blockMax = Math.max(blockMax, scores[scoreOffset + r]);
        }
        raiseMax(blockMax);
        double m = max;
        double blockSum = 0;
        for (int r = scoreOffset, end = scoreOffset + rows; r < end; r++) {
            double e = (scores[r] - m) * invTemperature;
            float w = e >= -CUTOFF ? (float) Math.exp(e) : 0f;
            scores[r] = w;
            blockSum += w;
        }
        return blockSum;
    }

    /**
     * Dense mode, for callers that weigh blocks themselves: raises the running maximum to at least
     * {@code blockMax}, rescaling what was accumulated. Weights of the next block must then be computed as
     * {@code exp((s - max()) / τ)}.
     */
    public void raiseMax(float blockMax) {
        if (blockMax > max) {
            if (max != Float.NEGATIVE_INFINITY) {
                double scale = Math.exp((max - (double) blockMax) * invTemperature);
                sum *= scale;
                for (int i = 0; i < p.length; i++) {
                    p[i] *= scale;
                }
            }
            max = blockMax;
        }
    }

    /**
     * Dense mode: adds a block's weight sum and weighted embedding sum, both computed relative to {@link #max()}
     * (see {@link #weigh}).
     */
    public void addWeighted(double blockSum, float[] weightedSum, int offset) {
        sum += blockSum;
        for (int i = 0; i < dimension; i++) {
            p[i] += weightedSum[offset + i];
        }
    }

    /** Folds another partial state over a disjoint set of entries into this one. */
    public void merge(ProjectionAccumulator other) {
        top.merge(other.top);
        if (restricted() || other.max == Float.NEGATIVE_INFINITY) {
            return;
        }
        raiseMax(other.max);
        double scale = Math.exp((other.max - (double) max) * invTemperature);
        sum += other.sum * scale;
        for (int i = 0; i < dimension; i++) {
            p[i] += other.p[i] * scale;
        }
    }

    /**
     * The projection: the normalised weighted sum, and the strongest entries with their similarity and weight.
     *
     * @throws InvalidInputException if the weighted sum is the zero vector (the entries cancel out)
     */
    public Projection finish(MemoryBank bank) {
        int[] idx = new int[top.size()];
        float[] sim = new float[top.size()];
        top.sorted(idx, sim);
        double z;
        double m;
        double[] mix;
        if (restricted()) {
            m = sim[0];
            z = 0;
            mix = new double[dimension];
            for (int j = 0; j < idx.length; j++) {
                double w = Math.exp((sim[j] - m) * invTemperature);
                z += w;
                float[] e = bank.embedding(idx[j]);
                for (int i = 0; i < dimension; i++) {
                    mix[i] += w * e[i];
                }
            }
        } else {
            m = max;
            z = sum;
            mix = p;
        }
        float[] vector = unitVector(mix);
        int listed = Math.min(idx.length, maxContributions);
        List<Contribution> contributions = new ArrayList<>(listed);
        for (int j = 0; j < listed; j++) {
            double w = Math.exp((sim[j] - m) * invTemperature) / z;
            contributions.add(new Contribution(idx[j], bank.caption(idx[j]), sim[j], (float) w));
        }
        return new Projection(vector, contributions);
    }

    /**
     * The weighted sum of a projection, normalised to a unit float vector: the last step of PD, shared by every
     * implementation (including the exact shard merge).
     *
     * @throws InvalidInputException if the sum is the zero vector (the weighted entries cancel out) or not finite
     */
    public static float[] unitVector(double[] mix) {
        Arguments.requireNonNull(mix, "mix");
        double norm = 0;
        for (double x : mix) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        if (!(norm > 0) || !Double.isFinite(norm)) {
            throw new InvalidInputException("the projection onto the memory is the zero vector (the weighted "
                    + "entries cancel out); use a lower temperature or a different memory bank");
        }
        float[] vector = new float[mix.length];
        for (int i = 0; i < mix.length; i++) {
            vector[i] = (float) (mix[i] / norm);
        }
        return vector;
    }

    /** The temperature this state uses. */
    public double temperature() {
        return temperature;
    }
}
