package dev.decap.nd4j;

import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;
import dev.decap.projection.spi.ProjectorProvider;

/**
 * Makes {@link Nd4jProjectionDecoding} the default projection decoding of {@link dev.decap.projection.Projectors}
 * when {@code decap-nd4j} is on the classpath (registered in {@code META-INF/services}). Single images and pairs
 * still run the pure-Java kernel; batches of three or more run ND4J gemm.
 */
public final class Nd4jProjectorProvider implements ProjectorProvider {
    /** The provider's name, for {@code -Ddecap.projector=nd4j}. */
    public static final String NAME = "nd4j";

    /** For {@link java.util.ServiceLoader}. */
    public Nd4jProjectorProvider() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    /** A new {@link Nd4jProjectionDecoding} with these settings and its measured defaults; the caller closes it. */
    @Override
    public Projector projectionDecoding(ProjectionSettings settings) {
        return Nd4jProjectionDecoding.builder().settings(settings).build();
    }
}
