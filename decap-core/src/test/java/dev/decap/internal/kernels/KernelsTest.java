package dev.decap.internal.kernels;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class KernelsTest {

    /** Gaussian vectors of random scale (as decap-test-kit's TestVectors, which decap-core cannot depend on). */
    private static List<float[]> gaussian(int count, int dimension, long seed) {
        Random random = new Random(seed);
        List<float[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            float[] v = new float[dimension];
            double scale = 0.5 + 3 * random.nextDouble();
            for (int j = 0; j < dimension; j++) {
                v[j] = (float) (random.nextGaussian() * scale);
            }
            out.add(v);
        }
        return out;
    }

    @Test
    void the_kernels_in_use_are_the_ones_this_test_run_expects() {
        String expected = System.getProperty("decap.expect.vector");
        assumeTrue(expected != null, "decap.expect.vector not set (run through Maven)");
        boolean moduleResolved = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertEquals(Boolean.parseBoolean(expected), moduleResolved, "jdk.incubator.vector resolved");
        assertEquals(Boolean.parseBoolean(expected), VectorKernels.enabled(), VectorKernels.description());
    }

    @Test
    void batched_and_single_query_scores_are_bit_identical_for_every_tile_remainder() {
        for (int d : new int[] {1, 5, 16, 37}) {
            for (int rows = 1; rows <= 9; rows++) {
                float[] data = flatten(gaussian(rows + 2, d, rows * 31L + d));
                for (int count = 1; count <= 9; count++) {
                    float[] queries = flatten(gaussian(count, d, count));
                    int stride = rows + 3;
                    float[] batch = new float[count * stride];
                    // Offset of one row: blocks need not start at the beginning of the array.
                    DotKernels.dotsBatch(queries, count, data, d, rows, d, batch, stride);
                    for (int q = 0; q < count; q++) {
                        float[] single = new float[rows];
                        DotKernels.dots(queries, q * d, data, d, rows, d, single, 0);
                        for (int r = 0; r < rows; r++) {
                            float canonical = DotKernels.dot(queries, q * d, data, d + r * d, d);
                            assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(single[r]));
                            assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(batch[q * stride + r]),
                                    "d=" + d + " rows=" + rows + " count=" + count + " q=" + q + " r=" + r);
                        }
                    }
                }
            }
        }
    }

    @Test
    void the_transposed_batch_scorer_is_bit_identical_to_single_query_scores() {
        int d = 37;
        for (int count : new int[] {BatchScorer.TRANSPOSE_FROM - 1, BatchScorer.TRANSPOSE_FROM, 18, 33}) {
            for (int rows : new int[] {1, 5, 64}) {
                float[] data = flatten(gaussian(rows + 1, d, rows + count));
                float[] queries = flatten(gaussian(count, d, count));
                int stride = 64 + 2;
                float[] out = new float[count * stride];
                BatchScorer scorer = new BatchScorer(d, 64);
                // Twice, to prove that leftovers of the first block do not leak into the second.
                scorer.score(queries, count, data, d, rows, out, stride);
                scorer.score(queries, count, data, d, rows, out, stride);
                for (int q = 0; q < count; q++) {
                    for (int r = 0; r < rows; r++) {
                        float canonical = DotKernels.dot(queries, q * d, data, d + r * d, d);
                        assertEquals(Float.floatToIntBits(canonical), Float.floatToIntBits(out[q * stride + r]),
                                "count=" + count + " rows=" + rows + " q=" + q + " r=" + r);
                    }
                }
            }
        }
    }

    @Test
    void dot_agrees_with_double_precision() {
        float[] a = gaussian(1, 512, 1).get(0);
        float[] b = gaussian(1, 512, 2).get(0);
        double expected = 0;
        for (int i = 0; i < 512; i++) {
            expected += (double) a[i] * b[i];
        }
        assertEquals(expected, DotKernels.dot(a, 0, b, 0, 512), 1e-4 * Math.abs(expected) + 1e-3);
    }

    @Test
    void axpy_adds_a_scaled_row() {
        float[] acc = {1, 1, 1, 1, 1};
        DotKernels.axpy(2f, new float[] {9, 1, 2, 3, 4, 5}, 1, acc, 0, 5);
        assertArrayEquals(new float[] {3, 5, 7, 9, 11}, acc);
    }

    @Test
    void row_mixer_adds_the_weighted_rows_for_every_query_and_skips_zero_weights() {
        int d = 7;
        for (int rows = 1; rows <= 10; rows++) {
            float[] data = flatten(gaussian(rows + 1, d, rows));
            for (int count = 1; count <= 3; count++) {
                int stride = rows + 2;
                float[] weights = new float[count * stride];
                for (int q = 0; q < count; q++) {
                    for (int r = 0; r < rows; r++) {
                        weights[q * stride + r] = (r + q) % 3 == 0 ? 0f : 0.25f * r + q;
                    }
                }
                float[][] acc = new float[count][d];
                acc[0][2] = 1f;
                new RowMixer(d).mix(weights, stride, count, rows, data, d, acc);
                for (int q = 0; q < count; q++) {
                    for (int i = 0; i < d; i++) {
                        double expected = q == 0 && i == 2 ? 1 : 0;
                        for (int r = 0; r < rows; r++) {
                            expected += (double) weights[q * stride + r] * data[d + r * d + i];
                        }
                        assertEquals(expected, acc[q][i], 1e-5, "rows " + rows + ", query " + q + ", i " + i);
                    }
                }
            }
        }
    }

    @Test
    void top_k_keeps_the_strongest_with_ties_by_lower_index_whatever_the_offer_order() {
        Random random = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + random.nextInt(60);
            int k = random.nextInt(12);
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = random.nextInt(8) / 4f;
            }
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, random);
            TopK top = new TopK(k);
            for (int i : order) {
                top.offer(scores[i], i);
            }
            List<Integer> expected = new ArrayList<>(order);
            expected.sort(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparing(i -> i));
            expected = expected.subList(0, Math.min(k, n));
            int[] idx = top.sortedIndices();
            float[] sc = top.sortedScores();
            assertEquals(expected, java.util.Arrays.stream(idx).boxed().toList());
            for (int j = 0; j < idx.length; j++) {
                assertEquals(scores[idx[j]], sc[j]);
            }
        }
    }

    @Test
    void merged_top_k_equals_one_collector_over_everything() {
        Random random = new Random(8);
        TopK all = new TopK(7);
        TopK left = new TopK(7);
        TopK right = new TopK(7);
        for (int i = 0; i < 500; i++) {
            float s = random.nextInt(50);
            all.offer(s, i);
            (i < 250 ? left : right).offer(s, i);
        }
        left.merge(right);
        assertArrayEquals(all.sortedIndices(), left.sortedIndices());
        TopK none = new TopK(0);
        assertFalse(none.offer(1f, 0));
        assertEquals(0, none.sortedIndices().length);
    }

    static float[] flatten(List<float[]> rows) {
        int d = rows.get(0).length;
        float[] out = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, out, i * d, d);
        }
        return out;
    }
}
