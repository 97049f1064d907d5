package dev.decap.internal.kernels;

/**
 * The order in which a {@link RowBlock} holds a row's components, chosen by the decoder: the order its storage
 * converts to fastest. Dot products and weighted sums do not care about the order as long as queries are
 * permuted the same way and results permuted back. Not public API.
 */
public enum RowLayout {
    /** Component {@code i} at position {@code i}. */
    IDENTITY,
    /** fp16 pairs: the even components, then the odd ones (position {@code p < d/2} holds component {@code 2p}). */
    PAIRS,
    /** int8 quads: components {@code 4j + k} at position {@code k·d/4 + j}, for {@code k} = 0..3. */
    QUADS;

    /** The component held at position {@code p} of a row of {@code d} components. */
    int component(int p, int d) {
        return switch (this) {
            case IDENTITY -> p;
            case PAIRS -> p < d / 2 ? 2 * p : 2 * (p - d / 2) + 1;
            case QUADS -> 4 * (p % (d / 4)) + p / (d / 4);
        };
    }

    /** {@code out[p] = factor · v[component(p)]}: a query in this layout. */
    void permute(float[] v, int offset, int d, float factor, float[] out) {
        for (int p = 0; p < d; p++) {
            out[p] = factor * v[offset + component(p, d)];
        }
    }

    /** {@code out[component(p)] = v[p]}: a result back in component order. */
    void unpermute(float[] v, int d, float[] out) {
        switch (this) {
            case IDENTITY -> System.arraycopy(v, 0, out, 0, d);
            case PAIRS -> {
                int h = d / 2;
                for (int j = 0; j < h; j++) {
                    out[2 * j] = v[j];
                    out[2 * j + 1] = v[h + j];
                }
            }
            case QUADS -> {
                int q = d / 4;
                for (int j = 0; j < q; j++) {
                    out[4 * j] = v[j];
                    out[4 * j + 1] = v[q + j];
                    out[4 * j + 2] = v[2 * q + j];
                    out[4 * j + 3] = v[3 * q + j];
                }
            }
            default -> throw new AssertionError(this);
        }
    }
}
