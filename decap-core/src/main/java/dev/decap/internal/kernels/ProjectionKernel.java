package dev.decap.internal.kernels;

import java.util.Arrays;

/**
 * The two halves of projection decoding over one {@link RowBlock}, for a batch of queries: the similarities of
 * every query with every row ({@link #score}), and the weighted sums of the rows ({@link #mix}). The caller turns
 * similarities into weights in between (the online softmax of {@code ProjectionAccumulator}), so a block is read
 * from memory once and from cache twice. Not public API; one instance per thread.
 *
 * <p>Scoring is {@link BatchScorer} and mixing {@link RowMixer}, on the block's rows as they are: a block in
 * another {@link RowLayout} (fp16 pairs, int8 quads) is scored with the queries permuted the same way and times
 * the block's alpha, and its weighted sums are permuted back by {@link #drain}; a row scale (int8) multiplies
 * the row's similarity and its weight. Blocks of fp32 rows in index order are scored exactly as
 * {@link DotKernels#dots} scores them, so a query's results do not depend on the batch it is part of.
 */
public final class ProjectionKernel {
    private final int dimension;
    private final int count;
    private final float[] queries;
    private final float[] permuted;
    private RowLayout permutedLayout;
    private float permutedAlpha = Float.NaN;
    private final BatchScorer scorer;
    private final RowMixer mixer;
    private final float[][] acc;

    /**
     * A kernel for {@code count} queries of {@code dimension} floats at {@code queries[q * dimension]} (unit
     * vectors in component order), over blocks of at most {@code maxRows} rows. The array is not copied and must
     * not change while the kernel is used.
     */
    public ProjectionKernel(float[] queries, int count, int dimension, int maxRows) {
        this.dimension = dimension;
        this.count = count;
        this.queries = queries;
        this.permuted = new float[count * dimension];
        this.scorer = new BatchScorer(dimension, maxRows);
        this.mixer = new RowMixer(dimension);
        this.acc = new float[count][dimension];
    }

    /** The queries in the block's layout, times its alpha. */
    private float[] prepared(RowBlock block) {
        if (block.layout() == RowLayout.IDENTITY && block.alpha() == 1f) {
            return queries;
        }
        if (block.layout() != permutedLayout || block.alpha() != permutedAlpha) {
            int d = dimension;
            float[] one = new float[d];
            for (int q = 0; q < count; q++) {
                block.layout().permute(queries, q * d, d, block.alpha(), one);
                System.arraycopy(one, 0, permuted, q * d, d);
            }
            permutedLayout = block.layout();
            permutedAlpha = block.alpha();
        }
        return permuted;
    }

    /**
     * {@code out[q * stride + r]} = the similarity of query {@code q} with row {@code r} of the block (the dot
     * product with the row's true values), for every query and row.
     */
    public void score(RowBlock block, float[] out, int stride) {
        int rows = block.count();
        scorer.score(prepared(block), count, block.data(), block.offset(), rows, out, stride);
        if (block.scaled()) {
            for (int q = 0; q < count; q++) {
                int o = q * stride;
                for (int r = 0; r < rows; r++) {
                    out[o + r] *= block.scale[r];
                }
            }
        }
    }

    /**
     * Adds {@code Σ_r weights[q * stride + r] · row_r} (true values) to query {@code q}'s running sum, for every
     * query; rows whose weights are all zero are skipped. The weights of a scaled block or one with an alpha are
     * multiplied by them in place. Collect the sums with {@link #drain} before the next block.
     */
    public void mix(RowBlock block, float[] weights, int stride) {
        int rows = block.count();
        float alpha = block.alpha();
        if (block.scaled() || alpha != 1f) {
            for (int q = 0; q < count; q++) {
                int o = q * stride;
                for (int r = 0; r < rows; r++) {
                    weights[o + r] *= block.scale(r) * alpha;
                }
            }
        }
        mixer.mix(weights, stride, count, rows, block.data(), block.offset(), acc);
    }

    /** Query {@code q}'s weighted sum since the last drain, in component order, into {@code out}; resets it. */
    public void drain(int q, RowLayout layout, float[] out) {
        layout.unpermute(acc[q], dimension, out);
        Arrays.fill(acc[q], 0f);
    }
}
