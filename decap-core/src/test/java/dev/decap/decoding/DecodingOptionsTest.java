package dev.decap.decoding;

import dev.decap.ConfigurationException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodingOptionsTest {

    @Test
    void beam_widths_beyond_the_documented_bound_are_refused_before_any_work() {
        assertEquals(DecodingOptions.MAX_BEAM_WIDTH, DecodingOptions.beam(DecodingOptions.MAX_BEAM_WIDTH).beamWidth());
        for (int width : new int[] {0, -1, DecodingOptions.MAX_BEAM_WIDTH + 1, 100_000, Integer.MAX_VALUE}) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> DecodingOptions.beam(width));
            assertTrue(e.getMessage().contains("between 1 and " + DecodingOptions.MAX_BEAM_WIDTH + ", found " + width),
                    e.getMessage());
        }
    }

    @Test
    void token_limits_beyond_gpt2_positions_are_refused_before_any_work() {
        assertEquals(DecodingOptions.MAX_TOKENS, DecodingOptions.greedy(DecodingOptions.MAX_TOKENS).maxTokens());
        for (int tokens : new int[] {0, DecodingOptions.MAX_TOKENS + 1, Integer.MAX_VALUE}) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> DecodingOptions.greedy(tokens));
            assertTrue(e.getMessage().contains("found " + tokens), e.getMessage());
        }
    }

    @Test
    void length_penalty_must_be_finite() {
        assertThrows(ConfigurationException.class,
                () -> DecodingOptions.builder().beam(3).lengthPenalty(Double.NaN).build());
        assertThrows(ConfigurationException.class,
                () -> DecodingOptions.builder().beam(3).lengthPenalty(Double.NEGATIVE_INFINITY).build());
    }

    @Test
    void length_penalty_is_within_plus_or_minus_ten_so_that_scores_stay_finite() {
        for (double penalty : new double[] {-1e308, 1e308, -10.5, 11}) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> DecodingOptions.builder().beam(3).lengthPenalty(penalty).build());
            assertTrue(e.getMessage().contains("between -10 and 10"), e.getMessage());
            assertTrue(e.getMessage().contains("found " + penalty), e.getMessage());
        }
        for (double penalty : new double[] {-10, -1, 0, 0.5, 2, 10}) {
            assertEquals(penalty, DecodingOptions.builder().beam(3).lengthPenalty(penalty).build().lengthPenalty());
        }
    }
}
