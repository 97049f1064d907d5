package dev.decap.projection;

import dev.decap.InvalidInputException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.testkit.TestVectors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NearestNeighbourAndIdentityProjectorTest {
    private final List<float[]> raw = TestVectors.gaussian(500, 24, 2);
    private final MemoryBank bank = InMemoryMemoryBank.builder().addAll(TestVectors.captions(500), raw).build();

    @Test
    void nearest_neighbour_decoding_returns_the_closest_memory_embedding_with_weight_one() {
        NearestNeighbourProjector nnd = new NearestNeighbourProjector();
        for (float[] query : TestVectors.unitGaussian(10, 24, 3)) {
            MemoryHit best = bank.search(query, 1).get(0);
            Projection p = nnd.project(query, bank);
            assertArrayEquals(bank.embedding(best.index()), p.vector());
            assertEquals(List.of(new Contribution(best.index(), best.caption(), best.similarity(), 1f)),
                    p.contributions());
        }
        assertTrue(nnd.usesMemory());
    }

    @Test
    void nearest_neighbour_of_a_memory_entry_is_that_entry() {
        Projection p = new NearestNeighbourProjector().project(unit(raw.get(123)), bank);
        assertEquals(123, p.contributions().get(0).index());
        assertEquals(1.0, p.contributions().get(0).similarity(), 1e-6);
    }

    @Test
    void nearest_neighbour_refuses_bad_input() {
        NearestNeighbourProjector nnd = new NearestNeighbourProjector();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> nnd.project(new float[25], bank));
        assertTrue(e.getMessage().contains("expected 24, found 25"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> nnd.project(new float[24], bank));
        assertThrows(InvalidInputException.class, () -> nnd.project(raw.get(0), null));
    }

    @Test
    void visual_decoding_returns_the_unit_embedding_itself_without_memory() {
        IdentityProjector visual = new IdentityProjector();
        Projection p = visual.project(new float[] {0.6f, 0, 0.8f}, null);
        assertArrayEquals(new float[] {0.6f, 0f, 0.8f}, p.vector(), 1e-7f);
        assertThrows(InvalidInputException.class, () -> visual.project(new float[] {3, 0, 4}, null));
        assertTrue(p.contributions().isEmpty());
        assertFalse(visual.usesMemory());
        double[] expected = TestVectors.unit(raw.get(0));
        float[] actual = visual.project(unit(raw.get(0)), bank).vector();
        for (int i = 0; i < 24; i++) {
            assertEquals(expected[i], actual[i], 1e-7);
        }
    }

    @Test
    void visual_decoding_refuses_bad_input() {
        IdentityProjector visual = new IdentityProjector();
        assertThrows(InvalidInputException.class, () -> visual.project(new float[3], null));
        assertThrows(InvalidInputException.class, () -> visual.project(new float[] {1, Float.NaN}, null));
        assertThrows(InvalidInputException.class, () -> visual.project(null, null));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> visual.project(new float[] {1, 2}, bank));
        assertTrue(e.getMessage().contains("expected 24, found 2"), e.getMessage());
    }

    private static float[] unit(float[] v) {
        return dev.decap.Vectors.normalized(v, "query");
    }
}
