package dev.decap.onnx.projection;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.TestVectors;
import dev.decap.projection.IdentityProjector;
import dev.decap.projection.NearestNeighbourProjector;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

class ProjectorsTest {

    @Test
    void default_projection_decoding_uses_decap_settings_and_agrees_with_pure_java_for_singles_and_batches() {
        MemoryBank bank = InMemoryMemoryBank.builder().addAll(TestVectors.captions(300),
                TestVectors.gaussian(300, 16, 1)).build();
        List<float[]> queries = TestVectors.gaussian(5, 16, 2);
        try (Nd4jProjectionDecoding pd = Projectors.projectionDecoding()) {
            assertEquals(0.01, pd.temperature());
            assertEquals(0, pd.topK());
            assertEquals(10, pd.maxContributions());
            ProjectionDecoding java = Projectors.pureJavaProjectionDecoding();
            assertArrayEquals(java.project(queries.get(0), bank).vector(), pd.project(queries.get(0), bank).vector());
            List<Projection> batch = pd.projectAll(queries, bank);
            assertEquals(1, pd.cachedBanks(), "batches run on ND4J");
            for (int i = 0; i < queries.size(); i++) {
                assertArrayEquals(java.project(queries.get(i), bank).vector(), batch.get(i).vector(), 1e-5f);
            }
        }
        try (Nd4jProjectionDecoding warm = Projectors.projectionDecoding(0.5)) {
            assertEquals(0.5, warm.temperature());
        }
        assertInstanceOf(NearestNeighbourProjector.class, Projectors.nearestNeighbour());
        assertInstanceOf(IdentityProjector.class, Projectors.visual());
    }
}
