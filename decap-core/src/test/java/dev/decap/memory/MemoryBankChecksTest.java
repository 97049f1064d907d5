package dev.decap.memory;

import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBankChecksTest {

    /** A bank whose every row is {@code scale} times an axis vector, except row {@code bad}, which holds {@code v}. */
    private static MemoryBank bank(int size, float scale, int bad, float v) {
        return new MemoryBank() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public int dimension() {
                return 4;
            }

            @Override
            public String caption(int index) {
                return "caption " + index;
            }

            @Override
            public float[] embedding(int index) {
                float[] e = new float[4];
                e[index % 4] = index == bad ? v : scale;
                return e;
            }
        };
    }

    @Test
    void unit_rows_within_float16_precision_pass_the_sample_check() {
        assertDoesNotThrow(() -> MemoryBankChecks.requireUnitSample(bank(1000, 1.004f, -1, 0), 32, "bank"));
    }

    @Test
    void unnormalised_rows_are_refused_naming_the_entry_its_caption_and_the_fix() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> MemoryBankChecks.requireUnitSample(bank(10, 12.5f, -1, 0), 32, "the bank"));
        assertTrue(e.getMessage().contains("the bank: entry 0 (\"caption 0\") has length 12.5"), e.getMessage());
        assertTrue(e.getMessage().contains("Vectors.normalized"), e.getMessage());
    }

    @Test
    void nan_and_infinity_are_named_as_such() {
        String nan = assertThrows(ConfigurationException.class,
                () -> MemoryBankChecks.requireUnitSample(bank(10, 1, 9, Float.NaN), 32, "bank")).getMessage();
        assertTrue(nan.contains("entry 9") && nan.contains("NaN"), nan);
        String inf = assertThrows(ConfigurationException.class, () -> MemoryBankChecks.requireUnitSample(
                bank(10, 1, 3, Float.POSITIVE_INFINITY), 32, "bank")).getMessage();
        assertTrue(inf.contains("entry 3") && inf.contains("Infinity"), inf);
    }

    @Test
    void the_sample_includes_the_first_and_last_rows_of_a_large_bank() {
        assertThrows(ConfigurationException.class,
                () -> MemoryBankChecks.requireUnitSample(bank(1_000_000, 1, 999_999, 7f), 32, "bank"));
        assertThrows(ConfigurationException.class,
                () -> MemoryBankChecks.requireUnitSample(bank(1_000_000, 1, 0, 7f), 32, "bank"));
    }

    @Test
    void similarities_at_use_are_checked_for_nan_and_for_exceeding_one() {
        assertDoesNotThrow(() -> MemoryBankChecks.requireSimilarity(1.005f, 3));
        assertDoesNotThrow(() -> MemoryBankChecks.requireSimilarity(-1f, 3));
        InvalidInputException nan = assertThrows(InvalidInputException.class,
                () -> MemoryBankChecks.requireSimilarity(Float.NaN, 3));
        assertTrue(nan.getMessage().contains("NaN") && !nan.getMessage().contains("temperature"), nan.getMessage());
        InvalidInputException big = assertThrows(InvalidInputException.class,
                () -> MemoryBankChecks.requireSimilarity(15.9f, 3));
        assertTrue(big.getMessage().contains("15.9") && big.getMessage().contains("Vectors.normalized"),
                big.getMessage());
    }

    @Test
    void vectors_require_unit_accepts_unit_vectors_and_refuses_others_with_the_fix() {
        float[] unit = Vectors.normalized(new float[] {3, 4}, "v");
        assertTrue(Vectors.isUnit(unit, Vectors.UNIT_TOLERANCE));
        assertDoesNotThrow(() -> Vectors.requireUnit(unit, 2, "v"));
        assertFalse(Vectors.isUnit(new float[] {3, 4}, Vectors.UNIT_TOLERANCE));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Vectors.requireUnit(new float[] {3, 4}, 2, "image embedding"));
        assertTrue(e.getMessage().contains("image embedding has length 5.0")
                && e.getMessage().contains("Vectors.normalized"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> Vectors.requireUnit(unit, 3, "v"));
    }
}
