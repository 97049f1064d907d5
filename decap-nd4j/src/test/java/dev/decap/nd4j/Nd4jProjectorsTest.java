package dev.decap.nd4j;

import dev.decap.ConfigurationException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;
import dev.decap.testkit.TestVectors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** With decap-nd4j on the classpath, the default projection decoding of every entry point is ND4J's. */
class Nd4jProjectorsTest {

    @Test
    void the_service_loader_finds_the_nd4j_provider() {
        assertEquals(List.of("nd4j"), Projectors.providers());
    }

    @Test
    void default_projection_decoding_is_nd4j_with_decap_settings_and_agrees_with_pure_java() throws Exception {
        assumeFalse(ProjectionDecoding.vectorKernels(), "with the vector kernels pure Java is the default "
                + "(Nd4jAndVectorKernelsTest)");
        MemoryBank bank = InMemoryMemoryBank.builder().addAll(TestVectors.captions(300),
                TestVectors.gaussian(300, 16, 1)).build();
        List<float[]> queries = TestVectors.unitGaussian(5, 16, 2);
        Projector projector = Projectors.projectionDecoding();
        try (Nd4jProjectionDecoding pd = assertInstanceOf(Nd4jProjectionDecoding.class, projector)) {
            assertEquals(ProjectionSettings.DEFAULT, pd.settings());
            ProjectionDecoding java = Projectors.pureJavaProjectionDecoding(ProjectionSettings.DEFAULT);
            assertArrayEquals(java.project(queries.get(0), bank).vector(), pd.project(queries.get(0), bank).vector());
            List<Projection> batch = pd.projectAll(queries, bank);
            assertEquals(1, pd.cachedBanks(), "batches run on ND4J");
            for (int i = 0; i < queries.size(); i++) {
                assertArrayEquals(java.project(queries.get(i), bank).vector(), batch.get(i).vector(), 1e-5f);
            }
        }
        Projector warm = Projectors.projectionDecoding(ProjectionSettings.DEFAULT.withTemperature(0.5));
        try (Nd4jProjectionDecoding nd4j = (Nd4jProjectionDecoding) warm) {
            assertEquals(0.5, nd4j.temperature());
        }
    }

    @Test
    void the_system_property_selects_pure_java_or_fails_for_an_unknown_provider() {
        String before = System.getProperty(Projectors.PROPERTY);
        try {
            System.setProperty(Projectors.PROPERTY, "java");
            assertInstanceOf(ProjectionDecoding.class, Projectors.projectionDecoding());
            System.setProperty(Projectors.PROPERTY, "nd4j");
            try (var p = (Nd4jProjectionDecoding) Projectors.projectionDecoding()) {
                assertEquals(0.01, p.temperature());
            }
            System.setProperty(Projectors.PROPERTY, "cuda");
            ConfigurationException e = assertThrows(ConfigurationException.class, Projectors::projectionDecoding);
            assertTrue(e.getMessage().contains("-Ddecap.projector=cuda"), e.getMessage());
            assertTrue(e.getMessage().contains("nd4j"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(Projectors.PROPERTY);
            } else {
                System.setProperty(Projectors.PROPERTY, before);
            }
        }
    }
}
