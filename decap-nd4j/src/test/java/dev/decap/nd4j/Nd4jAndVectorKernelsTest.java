package dev.decap.nd4j;

import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * With decap's vector kernels ({@code --add-modules jdk.incubator.vector}) the pure-Java projection is faster than
 * ND4J gemm, so the ND4J provider steps aside unless named. decap-nd4j's second test run (see its pom) has the
 * module and runs this class; the default run has not.
 */
class Nd4jAndVectorKernelsTest {

    @Test
    void the_kernels_in_use_are_the_ones_this_test_run_expects() {
        String expected = System.getProperty("decap.expect.vector");
        assumeTrue(expected != null, "decap.expect.vector not set (run through Maven)");
        assertEquals(Boolean.parseBoolean(expected), ProjectionDecoding.vectorKernels(), ProjectionDecoding.kernels());
    }

    @Test
    void the_default_projection_is_pure_java_with_the_vector_kernels_and_nd4j_without() throws Exception {
        Projector p = Projectors.projectionDecoding();
        if (ProjectionDecoding.vectorKernels()) {
            assertInstanceOf(ProjectionDecoding.class, p);
            assertEquals(-100, new Nd4jProjectorProvider().priority());
        } else {
            try (Nd4jProjectionDecoding nd4j = assertInstanceOf(Nd4jProjectionDecoding.class, p)) {
                assertEquals(100, new Nd4jProjectorProvider().priority());
            }
        }
    }

    @Test
    void naming_nd4j_selects_it_with_or_without_the_vector_kernels() throws Exception {
        String before = System.getProperty(Projectors.PROPERTY);
        try {
            System.setProperty(Projectors.PROPERTY, "nd4j");
            try (Nd4jProjectionDecoding p = assertInstanceOf(Nd4jProjectionDecoding.class,
                    Projectors.projectionDecoding())) {
                assertEquals(0.01, p.temperature());
            }
        } finally {
            if (before == null) {
                System.clearProperty(Projectors.PROPERTY);
            } else {
                System.setProperty(Projectors.PROPERTY, before);
            }
        }
    }
}
