package dev.decap.testkit;


import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The textbook projection decoding in double precision, two full passes with an N-sized weight array: the
 * reference that the streaming float implementations are checked against. Also the references of nearest-neighbour
 * and visual decoding, for {@link ProjectorContractTest}.
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

    /** Nearest-neighbour decoding: the unit embedding of the most similar entry (ties: lowest index). */
    public static double[] nearestNeighbour(List<float[]> memory, float[] query) {
        double[] q = TestVectors.unit(query);
        int best = 0;
        double bestSim = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < memory.size(); i++) {
            double s = TestVectors.dot(TestVectors.unit(memory.get(i)), q);
            if (s > bestSim) {
                bestSim = s;
                best = i;
            }
        }
        return TestVectors.unit(memory.get(best));
    }

    /** Visual decoding: the unit query itself. */
    public static double[] visual(float[] query) {
        return TestVectors.unit(query);
    }
}
