package dev.decap.internal.kernels;

/**
 * Keeps the {@code capacity} strongest (score, index) pairs seen so far in a bounded binary min-heap of primitive
 * arrays, so offering a candidate costs one comparison in the common case and allocates nothing.
 *
 * <p>"Stronger" means a higher score, or an equal score and a lower index; the order is total, so the result does
 * not depend on the order candidates were offered in. Not thread-safe: use one instance per thread and
 * {@link #merge(TopK)} them.
 */
public final class TopK {
    /** Storage allocated up front; beyond it the arrays grow with the pairs actually kept. */
    private static final int INITIAL_STORAGE = 1024;

    private final int capacity;
    private float[] scores;
    private int[] indices;
    private int size;

    /**
     * A collector of at most {@code capacity} pairs; zero keeps nothing. Storage grows with the pairs kept, so a
     * capacity larger than the candidates (even {@link Integer#MAX_VALUE}) costs only what the candidates need and
     * simply keeps them all.
     */
    public TopK(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative, found " + capacity);
        }
        this.capacity = capacity;
        int initial = Math.min(capacity, INITIAL_STORAGE);
        this.scores = new float[initial];
        this.indices = new int[initial];
    }

    /** Number of pairs kept. */
    public int size() {
        return size;
    }

    /**
     * The score a candidate must beat to be kept (it may also tie it with a lower index): the weakest kept score
     * when full, negative infinity otherwise. Lets scan loops skip {@link #offer} for most candidates.
     */
    public float threshold() {
        if (size < capacity) {
            return Float.NEGATIVE_INFINITY;
        }
        return capacity == 0 ? Float.POSITIVE_INFINITY : scores[0];
    }

    /** Offers a candidate; returns whether it was kept. */
    public boolean offer(float score, int index) {
        if (size < capacity) {
            if (size == scores.length) {
                int grown = (int) Math.min(capacity, Math.max(16L, 2L * size));
                scores = java.util.Arrays.copyOf(scores, grown);
                indices = java.util.Arrays.copyOf(indices, grown);
            }
            int i = size++;
            // Sift up: move weaker-or-equal parents down until the parent is weaker than the new pair.
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!weaker(score, index, scores[parent], indices[parent])) {
                    break;
                }
                scores[i] = scores[parent];
                indices[i] = indices[parent];
                i = parent;
            }
            scores[i] = score;
            indices[i] = index;
            return true;
        }
        if (capacity == 0 || !weaker(scores[0], indices[0], score, index)) {
            return false;
        }
        siftDownFromRoot(score, index, size);
        return true;
    }

    /** Offers every pair another collector holds. */
    public void merge(TopK other) {
        for (int i = 0; i < other.size; i++) {
            offer(other.scores[i], other.indices[i]);
        }
    }

    /** The kept indices, strongest first. */
    public int[] sortedIndices() {
        int[] out = new int[size];
        float[] ignored = new float[size];
        sorted(out, ignored);
        return out;
    }

    /** The kept scores, strongest first (parallel to {@link #sortedIndices()}). */
    public float[] sortedScores() {
        float[] out = new float[size];
        sorted(new int[size], out);
        return out;
    }

    /** Fills both arrays (of length {@link #size()}) with the kept pairs, strongest first. Leaves this intact. */
    public void sorted(int[] indicesOut, float[] scoresOut) {
        // Heap-sort a copy: popping the weakest repeatedly fills the output from the back.
        float[] s = scores.clone();
        int[] ix = indices.clone();
        int n = size;
        while (n > 0) {
            indicesOut[n - 1] = ix[0];
            scoresOut[n - 1] = s[0];
            n--;
            float ls = s[n];
            int li = ix[n];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) {
                    break;
                }
                if (child + 1 < n && weaker(s[child + 1], ix[child + 1], s[child], ix[child])) {
                    child++;
                }
                if (!weaker(s[child], ix[child], ls, li)) {
                    break;
                }
                s[i] = s[child];
                ix[i] = ix[child];
                i = child;
            }
            s[i] = ls;
            ix[i] = li;
        }
    }

    private void siftDownFromRoot(float score, int index, int n) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) {
                break;
            }
            if (child + 1 < n && weaker(scores[child + 1], indices[child + 1], scores[child], indices[child])) {
                child++;
            }
            if (!weaker(scores[child], indices[child], score, index)) {
                break;
            }
            scores[i] = scores[child];
            indices[i] = indices[child];
            i = child;
        }
        scores[i] = score;
        indices[i] = index;
    }

    /** Whether (sa, ia) ranks below (sb, ib): lower score, or equal score and higher index. */
    private static boolean weaker(float sa, int ia, float sb, int ib) {
        return sa < sb || (sa == sb && ia > ib);
    }
}
