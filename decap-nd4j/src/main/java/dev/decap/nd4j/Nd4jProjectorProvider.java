package dev.decap.nd4j;

import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;
import dev.decap.projection.spi.ProjectorProvider;

/**
 * Makes {@link Nd4jProjectionDecoding} the default projection decoding of {@link dev.decap.projection.Projectors}
 * when {@code decap-nd4j} is on the classpath (registered in {@code META-INF/services}). Single images and pairs
 * still run the pure-Java kernel; batches of three or more run ND4J gemm.
 *
 * <p>Not when the JVM runs decap's vector kernels ({@code --add-modules jdk.incubator.vector},
 * {@link dev.decap.projection.ProjectionDecoding#vectorKernels()}): the pure-Java projection is then faster at
 * every batch size measured (batches of 8 over 500,000 rows on 2 cores: 43 against 103 ms per query), so this
 * provider's priority is negative and it is used only with {@code -Ddecap.projector=nd4j}.
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
        return ProjectionDecoding.vectorKernels() ? -100 : 100;
    }

    /** A new {@link Nd4jProjectionDecoding} with these settings and its measured defaults; the caller closes it. */
    @Override
    public Projector projectionDecoding(ProjectionSettings settings) {
        return Nd4jProjectionDecoding.builder().settings(settings).build();
    }
}
