package dev.decap.memory;

import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.encoding.TextEncoder;
import dev.decap.testkit.TestVectors;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryMemoryBankTest extends MemoryBankContractTest {

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        return InMemoryMemoryBank.builder().addAll(captions, vectors).build();
    }

    @Test
    void bad_embeddings_are_refused_at_the_door_naming_the_entry() {
        float[] nan = {1, Float.NaN, 2};
        float[] inf = {1, 2, Float.NEGATIVE_INFINITY};
        InvalidInputException e1 = assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder()
                .add("fine", new float[] {1, 2, 3}).add("a cat", nan));
        assertTrue(e1.getMessage().contains("entry 1") && e1.getMessage().contains("a cat"), e1.getMessage());
        InvalidInputException e2 = assertThrows(InvalidInputException.class,
                () -> InMemoryMemoryBank.builder().add("inf", inf));
        assertTrue(e2.getMessage().contains("entry 0"), e2.getMessage());
        InvalidInputException e3 = assertThrows(InvalidInputException.class,
                () -> InMemoryMemoryBank.builder().add("zero", new float[3]));
        assertTrue(e3.getMessage().contains("zero"), e3.getMessage());
        InvalidInputException e4 = assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder()
                .add("three", new float[] {1, 2, 3}).add("four", new float[] {1, 2, 3, 4}));
        assertTrue(e4.getMessage().contains("expected 3, found 4") && e4.getMessage().contains("entry 1"),
                e4.getMessage());
        assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder().add(null, new float[] {1}));
        assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder().add("null", null));
        assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder().add("empty", new float[0]));
    }

    @Test
    void declared_dimension_is_enforced() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> InMemoryMemoryBank.builder().dimension(512).add("short", new float[] {1, 2}));
        assertTrue(e.getMessage().contains("expected 512, found 2"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> InMemoryMemoryBank.builder().dimension(0));
        assertThrows(ConfigurationException.class,
                () -> InMemoryMemoryBank.builder().add("a", new float[] {1, 2}).dimension(3));
    }

    @Test
    void an_expected_size_larger_than_one_array_holds_is_refused_instead_of_running_out_of_memory() {
        // Dimension first: refused when expectedSize is set.
        ConfigurationException early = assertThrows(ConfigurationException.class,
                () -> InMemoryMemoryBank.builder().dimension(512).expectedSize(Integer.MAX_VALUE));
        assertTrue(early.getMessage().contains("expectedSize"), early.getMessage());
        assertTrue(early.getMessage().contains("expected at most " + (InMemoryMemoryBank.MAX_FLOATS / 512)),
                early.getMessage());
        // Dimension later: refused when it becomes known (by dimension() or the first entry), before allocating.
        assertThrows(ConfigurationException.class,
                () -> InMemoryMemoryBank.builder().expectedSize(Integer.MAX_VALUE).dimension(3));
        ConfigurationException late = assertThrows(ConfigurationException.class,
                () -> InMemoryMemoryBank.builder().expectedSize(Integer.MAX_VALUE).add("a", new float[] {1, 0, 0}));
        assertTrue(late.getMessage().contains("expectedSize " + Integer.MAX_VALUE), late.getMessage());
        // The largest size that fits is accepted (nothing is allocated until the first entry).
        InMemoryMemoryBank.builder().dimension(512).expectedSize((int) (InMemoryMemoryBank.MAX_FLOATS / 512));
        assertEquals(1, InMemoryMemoryBank.builder().expectedSize(1000).add("a", new float[] {1, 0, 0}).build()
                .size());
    }

    @Test
    void an_empty_builder_cannot_build() {
        assertThrows(ConfigurationException.class, () -> InMemoryMemoryBank.builder().build());
    }

    @Test
    void add_all_refuses_lists_of_different_lengths() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> InMemoryMemoryBank.builder()
                .addAll(List.of("a", "b"), List.of(new float[] {1})));
        assertTrue(e.getMessage().contains("expected 2"), e.getMessage());
    }

    @Test
    void a_built_bank_never_changes_afterwards() {
        float[] v = {3, 4};
        InMemoryMemoryBank.Builder builder = InMemoryMemoryBank.builder().expectedSize(1).add("first", v);
        InMemoryMemoryBank bank = builder.build();
        v[0] = -100;
        builder.add("second", new float[] {0, 1}).add("third", new float[] {1, 0});
        InMemoryMemoryBank bigger = builder.build();
        assertEquals(1, bank.size());
        assertArrayEquals(new float[] {0.6f, 0.8f}, bank.embedding(0), 1e-7f);
        assertEquals(3, bigger.size());
        assertArrayEquals(new float[] {0.6f, 0.8f}, bigger.embedding(0), 1e-7f);
        assertArrayEquals(new float[] {1, 0}, bigger.embedding(2), 1e-7f);
    }

    @Test
    void scan_hands_out_the_storage_without_copying() {
        InMemoryMemoryBank bank = InMemoryMemoryBank.builder()
                .addAll(TestVectors.captions(100), TestVectors.gaussian(100, 8, 1)).build();
        List<float[]> arrays = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        bank.scan(30, (first, rows, data, offset) -> {
            arrays.add(data);
            offsets.add(offset);
        });
        assertEquals(4, arrays.size());
        for (int i = 0; i < arrays.size(); i++) {
            assertSame(arrays.get(0), arrays.get(i), "every block must come from the one storage array");
            assertEquals(i * 30 * 8, offsets.get(i));
        }
        assertEquals(100 * 8, arrays.get(0).length, "storage is trimmed to size * dimension floats");
    }

    @Test
    void encoding_a_corpus_reports_progress_up_to_the_total() {
        TextEncoder encoder = new TextEncoder() {
            @Override
            public int dimension() {
                return 6;
            }

            @Override
            public float[] encode(String text) {
                float[] v = new float[6];
                for (int i = 0; i < text.length(); i++) {
                    v[i % 6] += text.charAt(i) % 13 + 1;
                }
                return v;
            }
        };
        List<String> corpus = TestVectors.captions(150);
        List<int[]> reports = new ArrayList<>();
        InMemoryMemoryBank bank = InMemoryMemoryBank.encode(encoder, corpus,
                (done, total) -> reports.add(new int[] {done, total}));
        assertEquals(150, bank.size());
        assertEquals(6, bank.dimension());
        assertEquals("caption 149", bank.caption(149));
        double[] expected = TestVectors.unit(encoder.encode("caption 77"));
        float[] actual = bank.embedding(77);
        for (int i = 0; i < 6; i++) {
            assertEquals(expected[i], actual[i], 1e-6);
        }
        assertArrayEquals(new int[] {0, 150}, reports.get(0));
        assertArrayEquals(new int[] {150, 150}, reports.get(reports.size() - 1));
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i)[0] > reports.get(i - 1)[0], "progress must increase");
        }
    }

    @Test
    void encoding_refuses_an_encoder_that_returns_bad_embeddings() {
        TextEncoder broken = new TextEncoder() {
            @Override
            public int dimension() {
                return 4;
            }

            @Override
            public float[] encode(String text) {
                return new float[] {1, 2, 3};
            }
        };
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> InMemoryMemoryBank.encode(broken, List.of("x"), ProgressListener.NONE));
        assertTrue(e.getMessage().contains("expected 4, found 3"), e.getMessage());
    }
}
