package dev.decap.projection;

import dev.decap.testkit.ProjectorContractTest;
import dev.decap.testkit.ReferenceProjection;
import org.junit.jupiter.api.Nested;

import java.util.List;

/** decap-core's projectors against the shared projector contract. */
class ProjectorContractsTest {

    @Nested
    class DefaultProjectionDecoding extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return Projectors.projectionDecoding();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.01, 0).vector;
        }
    }

    @Nested
    class SingleThreadedWarmProjectionDecoding extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return ProjectionDecoding.builder().temperature(0.2).maxContributions(30).build();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.2, 0).vector;
        }
    }

    @Nested
    class TopKProjectionDecoding extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return ProjectionDecoding.builder().settings(ProjectionSettings.DEFAULT.withTopK(16)).parallelism(3)
                    .build();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.of(memory, query, 0.01, 16).vector;
        }
    }

    @Nested
    class NearestNeighbourDecoding extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return Projectors.nearestNeighbour();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.nearestNeighbour(memory, query);
        }
    }

    @Nested
    class VisualDecoding extends ProjectorContractTest {
        @Override
        protected Projector createProjector() {
            return Projectors.visual();
        }

        @Override
        protected double[] expectedProjection(List<float[]> memory, float[] query) {
            return ReferenceProjection.visual(query);
        }
    }
}
