package dev.decap.projection;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.internal.kernels.DotKernels;
import dev.decap.internal.kernels.TopK;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.spi.ProjectionAccumulator;

import java.util.ArrayList;
import java.util.List;

/**
 * The projection-decoding state of one query over one part (shard) of a memory, which merges exactly with the
 * states of the other parts: the way to project onto a memory split across machines. Each worker computes
 * {@link #compute} over its shard (giving the shard's first global index), the partials are sent to one place
 * and {@link #merge}d in any order and grouping, and {@link #finish()} gives the projection of the whole memory.
 *
 * <p>Dense mode (no top-k): the state is the shard's largest similarity {@code m}, {@code S = Σ exp((s_i - m)/τ)}
 * and {@code P = Σ exp((s_i - m)/τ) m_i}. Two states merge by the log-sum-exp rule: with {@code M = max(m_a,
 * m_b)}, {@code S = S_a e^{(m_a - M)/τ} + S_b e^{(m_b - M)/τ}} and likewise for {@code P}; the projection is
 * {@code P / |P|} and entry {@code i}'s weight {@code exp((s_i - M)/τ) / S}. Top-k mode: the state is the shard's
 * k most similar entries with their embeddings; merged states keep the k best, and the softmax is taken over them.
 * Either way the result equals projecting onto the unsharded memory up to float rounding (see
 * {@code docs/memory-bank-format.md}, "Sharding").
 *
 * <p>Immutable and thread-safe. The state is plain data ({@link #max()}, {@link #sum()}, {@link #weightedSum()},
 * {@link #candidates()}) for callers that ship it between processes; {@link #of} rebuilds it.
 */
public final class PartialProjection {
    /** Weights below {@code exp(-CUTOFF)} relative to the running maximum are dropped, as in one-bank PD. */
    private static final double CUTOFF = 30.0;
    private static final int BLOCK = 256;

    /**
     * An entry kept for the contributions list (dense mode) or the top-k softmax (top-k mode).
     *
     * @param index      the entry's global index in the whole memory
     * @param caption    its caption
     * @param similarity its cosine similarity with the query
     * @param embedding  its unit embedding (top-k mode), or an empty array (dense mode)
     */
    public record Candidate(int index, String caption, float similarity, float[] embedding) {
        public Candidate {
            Arguments.requireNonNull(caption, "caption");
            Arguments.requireNonNull(embedding, "embedding");
            embedding = embedding.clone();
        }

        @Override
        public float[] embedding() {
            return embedding.clone();
        }
    }

    private final double temperature;
    private final int topK;
    private final int maxContributions;
    private final float max;
    private final double sum;
    private final double[] weighted;
    private final List<Candidate> candidates;

    private PartialProjection(double temperature, int topK, int maxContributions, float max, double sum,
                              double[] weighted, List<Candidate> candidates) {
        this.temperature = temperature;
        this.topK = topK;
        this.maxContributions = maxContributions;
        this.max = max;
        this.sum = sum;
        this.weighted = weighted;
        this.candidates = List.copyOf(candidates);
    }

    /**
     * Rebuilds a partial state from its data (as shipped between processes).
     *
     * @param weightedSum {@code P} of {@link #weightedSum()} (dense mode), or an empty array (top-k mode)
     */
    public static PartialProjection of(ProjectionSettings settings, float max, double sum, double[] weightedSum,
                                       List<Candidate> candidates) {
        Arguments.requireNonNull(settings, "settings");
        return new PartialProjection(settings.temperature(), settings.topK(), settings.maxContributions(), max, sum,
                weightedSum.clone(), candidates);
    }

    /**
     * Projection state of {@code query} over {@code shard}, whose entry 0 is entry {@code firstIndex} of the whole
     * memory. Uses the temperature, top-k and contribution count of {@code settings}.
     *
     * @throws InvalidInputException if the query is unusable or of the wrong dimension
     */
    public static PartialProjection compute(ProjectionSettings settings, float[] query, MemoryBank shard,
                                            int firstIndex) {
        Arguments.requireNonNull(settings, "settings");
        int d = shard.dimension();
        float[] q = Vectors.normalized(Vectors.requireDimension(query, d, "image embedding"), "image embedding");
        double invT = 1.0 / settings.temperature();
        boolean restricted = settings.topK() > 0;
        TopK top = new TopK(restricted ? settings.topK() : settings.maxContributions());
        double[] state = {Double.NEGATIVE_INFINITY, 0}; // max, sum
        double[] p = restricted ? new double[0] : new double[d];
        float[] scores = new float[BLOCK];
        shard.scan(BLOCK, (first, rows, data, offset) -> {
            DotKernels.dots(q, 0, data, offset, rows, d, scores, 0);
            float threshold = top.threshold();
            float blockMax = Float.NEGATIVE_INFINITY;
            for (int r = 0; r < rows; r++) {
                if (scores[r] >= threshold && top.offer(scores[r], firstIndex + first + r)) {
                    threshold = top.threshold();
                }
                blockMax = Math.max(blockMax, scores[r]);
            }
            if (restricted) {
                return;
            }
            if (blockMax > state[0]) {
                if (state[0] != Double.NEGATIVE_INFINITY) {
                    double scale = Math.exp((state[0] - blockMax) * invT);
                    state[1] *= scale;
                    for (int i = 0; i < d; i++) {
                        p[i] *= scale;
                    }
                }
                state[0] = blockMax;
            }
            for (int r = 0; r < rows; r++) {
                double e = (scores[r] - state[0]) * invT;
                if (e < -CUTOFF) {
                    continue;
                }
                double w = Math.exp(e);
                state[1] += w;
                int o = offset + r * d;
                for (int i = 0; i < d; i++) {
                    p[i] += w * data[o + i];
                }
            }
        });
        int[] idx = new int[top.size()];
        float[] sim = new float[top.size()];
        top.sorted(idx, sim);
        List<Candidate> kept = new ArrayList<>(idx.length);
        for (int j = 0; j < idx.length; j++) {
            int local = idx[j] - firstIndex;
            kept.add(new Candidate(idx[j], shard.caption(local), sim[j],
                    restricted ? shard.embedding(local) : new float[0]));
        }
        float m = restricted ? (sim.length > 0 ? sim[0] : Float.NEGATIVE_INFINITY) : (float) state[0];
        return new PartialProjection(settings.temperature(), settings.topK(), settings.maxContributions(), m,
                state[1], p, kept);
    }

    /**
     * Combines this state with one over a disjoint set of entries (log-sum-exp rule; top-k by merged heaps).
     *
     * @throws InvalidInputException if the two were computed with different settings or dimensions
     */
    public PartialProjection merge(PartialProjection other) {
        if (other.temperature != temperature || other.topK != topK || other.maxContributions != maxContributions
                || other.weighted.length != weighted.length) {
            throw new InvalidInputException("cannot merge partial projections computed with different settings or "
                    + "dimensions: " + this + " and " + other);
        }
        TopK top = new TopK(topK > 0 ? topK : maxContributions);
        java.util.Map<Integer, Candidate> byIndex = new java.util.HashMap<>();
        for (List<Candidate> list : List.of(candidates, other.candidates)) {
            for (Candidate c : list) {
                byIndex.put(c.index(), c);
                top.offer(c.similarity(), c.index());
            }
        }
        int[] pick = new int[top.size()];
        top.sorted(pick, new float[top.size()]);
        List<Candidate> kept = new ArrayList<>(pick.length);
        for (int i : pick) {
            kept.add(byIndex.get(i));
        }
        if (topK > 0) {
            return new PartialProjection(temperature, topK, maxContributions, Math.max(max, other.max), 0,
                    weighted, kept);
        }
        float m = Math.max(max, other.max);
        double invT = 1.0 / temperature;
        double sa = max == Float.NEGATIVE_INFINITY ? 0 : Math.exp((max - (double) m) * invT);
        double sb = other.max == Float.NEGATIVE_INFINITY ? 0 : Math.exp((other.max - (double) m) * invT);
        double[] p = new double[weighted.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = weighted[i] * sa + other.weighted[i] * sb;
        }
        return new PartialProjection(temperature, topK, maxContributions, m, sum * sa + other.sum * sb, p, kept);
    }

    /**
     * The projection of the memory covered by the merged states.
     *
     * @throws InvalidInputException if the weighted sum is the zero vector
     */
    public Projection finish() {
        double invT = 1.0 / temperature;
        double[] mix;
        double z;
        double m;
        if (topK > 0) {
            m = candidates.isEmpty() ? 0 : candidates.get(0).similarity();
            z = 0;
            mix = null;
            for (Candidate c : candidates) {
                double w = Math.exp((c.similarity() - m) * invT);
                z += w;
                float[] e = c.embedding;
                if (mix == null) {
                    mix = new double[e.length];
                }
                for (int i = 0; i < e.length; i++) {
                    mix[i] += w * e[i];
                }
            }
            if (mix == null) {
                throw new InvalidInputException("no memory entries were projected onto; give at least one shard");
            }
        } else {
            m = max;
            z = sum;
            mix = weighted;
        }
        float[] vector = ProjectionAccumulator.unitVector(mix);
        List<Contribution> contributions = new ArrayList<>();
        for (int j = 0; j < Math.min(maxContributions, candidates.size()); j++) {
            Candidate c = candidates.get(j);
            contributions.add(new Contribution(c.index(), c.caption(), c.similarity(),
                    (float) (Math.exp((c.similarity() - m) * invT) / z)));
        }
        return new Projection(vector, contributions);
    }

    /** The largest similarity seen (negative infinity for an empty shard). */
    public float max() {
        return max;
    }

    /** {@code S}, the sum of weights relative to {@link #max()} (dense mode; 0 in top-k mode). */
    public double sum() {
        return sum;
    }

    /** A copy of {@code P}, the weighted embedding sum relative to {@link #max()} (dense mode; empty in top-k). */
    public double[] weightedSum() {
        return weighted.clone();
    }

    /** The entries kept, strongest first. */
    public List<Candidate> candidates() {
        return candidates;
    }

    @Override
    public String toString() {
        return "PartialProjection[temperature=" + temperature + ", topK=" + topK + ", max=" + max + ", sum=" + sum
                + ", candidates=" + candidates.size() + ", dimension=" + weighted.length + "]";
    }
}
