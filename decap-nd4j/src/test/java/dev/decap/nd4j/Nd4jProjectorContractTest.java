package dev.decap.nd4j;

import dev.decap.projection.Projector;
import dev.decap.testkit.ProjectorContractTest;
import dev.decap.testkit.ReferenceProjection;
import org.junit.jupiter.api.Nested;

import java.util.List;

/** The ND4J projector against the shared projector contract, on its gemm path and its default delegation. */
class Nd4jProjectorContractTest {

    @Nested
    class EveryBatchOnNd4j extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).blockRows(100).build();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.01, 0).vector;
        }
    }

    @Nested
    class DefaultsWithTopK extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return Nd4jProjectionDecoding.builder().topK(20).build();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.01, 20).vector;
        }
    }
}
