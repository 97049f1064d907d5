package dev.decap.projection.spi;

import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;

/**
 * A pluggable implementation of projection decoding, found through {@link java.util.ServiceLoader}: a module that
 * lists its provider in {@code META-INF/services/dev.decap.projection.spi.ProjectorProvider} becomes the default
 * projector of {@link dev.decap.projection.Projectors#projectionDecoding()} (and so of every captioner built
 * without an explicit projector) as soon as it is on the classpath. {@code decap-nd4j} is one: adding the
 * dependency is all a user does to get ND4J gemm for batches.
 *
 * <p>The projector a provider returns must compute exactly what {@link dev.decap.projection.ProjectionDecoding}
 * computes for the same {@link ProjectionSettings} (up to float rounding), and pass the shared
 * {@code ProjectorContractTest} of {@code decap-test-kit}. Implementations must have a public no-argument
 * constructor and be thread-safe.
 */
public interface ProjectorProvider {

    /** A short name for logs and error messages, e.g. {@code "nd4j"}. */
    String name();

    /**
     * Which provider wins when several are present: the highest priority. The pure-Java default has none (it is
     * used when no provider is found). A negative priority says that this provider is not faster than the
     * pure-Java projector in this JVM (for example because it runs decap's vector kernels): it is then used only
     * when named by {@code -Ddecap.projector}. Read once, when the providers are first loaded.
     */
    int priority();

    /**
     * A new projection-decoding projector with these settings. When it is {@link AutoCloseable} (it holds native
     * memory), whoever asked for it owns it and closes it.
     */
    Projector projectionDecoding(ProjectionSettings settings);
}
