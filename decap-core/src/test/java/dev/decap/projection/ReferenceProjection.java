package dev.decap.projection;

import dev.decap.memory.TestVectors;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The textbook projection decoding in double precision, two full passes with an N-sized weight array: the
 * reference that the streaming float implementations are checked against. Test-jar API.
 */
public final class ReferenceProjection {
    /** The normalised projection. */
    public final double[] vector;
    /** Softmax weight of every entry (0 outside the top-k when restricted). */
    public final double[] weights;
    /** Cosine similarity of every entry. */
    public final double[] similarities;

    private ReferenceProjection(double[] vector, double[] weights, double[] similarities) {
        this.vector = vector;
        this.weights = weights;
        this.similarities = similarities;
    }

    /**
     * @param memory raw (not necessarily unit) memory vectors
     * @param topK   0 for all entries
     */
    public static ReferenceProjection of(List<float[]> memory, float[] query, double temperature, int topK) {
        int n = memory.size();
        int d = query.length;
        double[] q = TestVectors.unit(query);
        List<double[]> units = new ArrayList<>(n);
        double[] sims = new double[n];
        for (int i = 0; i < n; i++) {
            units.add(TestVectors.unit(memory.get(i)));
            sims[i] = TestVectors.dot(units.get(i), q);
        }
        boolean[] used = new boolean[n];
        if (topK > 0) {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            order.sort(Comparator.<Integer>comparingDouble(i -> -sims[i]).thenComparing(i -> i));
            for (int j = 0; j < Math.min(topK, n); j++) {
                used[order.get(j)] = true;
            }
        } else {
            java.util.Arrays.fill(used, true);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (used[i]) {
                max = Math.max(max, sims[i]);
            }
        }
        double[] w = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) {
            if (used[i]) {
                w[i] = Math.exp((sims[i] - max) / temperature);
                z += w[i];
            }
        }
        double[] p = new double[d];
        for (int i = 0; i < n; i++) {
            w[i] /= z;
            for (int j = 0; j < d; j++) {
                p[j] += w[i] * units.get(i)[j];
            }
        }
        double norm = Math.sqrt(TestVectors.dot(p, p));
        for (int j = 0; j < d; j++) {
            p[j] /= norm;
        }
        return new ReferenceProjection(p, w, sims);
    }
}
