package dev.decap;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorsTest {

    @Test
    void normalized_returns_unit_copy_and_leaves_input_alone() {
        float[] v = {3, 4};
        float[] n = Vectors.normalized(v, "v");
        assertArrayEquals(new float[] {0.6f, 0.8f}, n, 1e-7f);
        assertArrayEquals(new float[] {3, 4}, v);
    }

    @Test
    void zero_nan_and_empty_vectors_are_refused_with_their_name() {
        InvalidInputException zero = assertThrows(InvalidInputException.class,
                () -> Vectors.normalized(new float[3], "image embedding"));
        assertTrue(zero.getMessage().contains("image embedding"));
        assertThrows(InvalidInputException.class, () -> Vectors.normalized(new float[] {1, Float.NaN}, "v"));
        assertThrows(InvalidInputException.class, () -> Vectors.normalized(new float[0], "v"));
        assertThrows(InvalidInputException.class, () -> Vectors.normalized(null, "v"));
    }

    @Test
    void dimension_mismatch_says_expected_and_found() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Vectors.requireDimension(new float[768], 512, "prefix"));
        assertTrue(e.getMessage().contains("expected 512, found 768"), e.getMessage());
    }

    @Test
    void dot_matches_naive_sum_for_odd_lengths() {
        float[] a = new float[7];
        float[] b = new float[7];
        double naive = 0;
        for (int i = 0; i < 7; i++) {
            a[i] = i + 1;
            b[i] = 2 - i;
            naive += a[i] * b[i];
        }
        assertEquals(naive, Vectors.dot(a, b), 1e-5);
    }

    @Test
    void normalized_mean_pools_frames_to_unit_length() {
        float[] m = Vectors.normalizedMean(List.of(new float[] {1, 0}, new float[] {0, 1}), "frames");
        assertEquals(1.0, Vectors.norm(m), 1e-6);
        assertEquals(m[0], m[1], 1e-7);
    }
}
