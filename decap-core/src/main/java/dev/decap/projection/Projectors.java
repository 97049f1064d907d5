package dev.decap.projection;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.projection.spi.ProjectorProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The projectors of DeCap by name, and the one default that every entry point uses ({@code DeCap.builder()},
 * {@code OnnxDeCap}, the CLI).
 *
 * <p>{@link #projectionDecoding()} is pure-Java {@link ProjectionDecoding} on all available processors unless a
 * {@link ProjectorProvider} is on the classpath: then the provider of highest priority supplies it. Adding
 * {@code decap-nd4j} therefore switches batches of three or more images to ND4J gemm (the measured crossover,
 * docs/memory-and-projection.md) with no code change. The system property {@code decap.projector=java} forces the
 * pure-Java default even when a provider is present.
 */
public final class Projectors {
    /** System property that selects a provider by {@link ProjectorProvider#name()}, or {@code java} for none. */
    public static final String PROPERTY = "decap.projector";

    private static final Logger LOG = LoggerFactory.getLogger(Projectors.class);

    private Projectors() {
    }

    /**
     * DeCap's projection decoding (τ = 0.01) from the best implementation on the classpath. The caller owns the
     * result: close it when it is {@link AutoCloseable}.
     */
    public static Projector projectionDecoding() {
        return projectionDecoding(ProjectionSettings.DEFAULT);
    }

    /**
     * Projection decoding with these settings from the best implementation on the classpath; see
     * {@link #projectionDecoding()}.
     *
     * @throws ConfigurationException if {@code -Ddecap.projector} names a provider that is not on the classpath
     */
    public static Projector projectionDecoding(ProjectionSettings settings) {
        Arguments.requireNonNull(settings, "settings");
        ProjectorProvider provider = selectedProvider();
        if (provider == null) {
            return pureJavaProjectionDecoding(settings);
        }
        return provider.projectionDecoding(settings);
    }

    /**
     * Pure-Java projection decoding with these settings, one scan split across all available processors (two
     * threads halved a single query over a 1M bank on 2 cores: 95 against 178 ms). Holds no native memory.
     */
    public static ProjectionDecoding pureJavaProjectionDecoding(ProjectionSettings settings) {
        Arguments.requireNonNull(settings, "settings");
        return ProjectionDecoding.builder().settings(settings)
                .parallelism(Math.max(1, Runtime.getRuntime().availableProcessors())).build();
    }

    /** Nearest-neighbour decoding (NND): the closest memory entry's embedding is decoded. */
    public static Projector nearestNeighbour() {
        return new NearestNeighbourProjector();
    }

    /** Visual decoding: the image embedding itself is decoded (no memory). */
    public static Projector visual() {
        return new IdentityProjector();
    }

    /** The names of the projection providers on the classpath, highest priority first. */
    public static List<String> providers() {
        List<String> names = new ArrayList<>();
        for (ProjectorProvider p : loadProviders()) {
            names.add(p.name());
        }
        return names;
    }

    private static ProjectorProvider selectedProvider() {
        String wanted = System.getProperty(PROPERTY);
        List<ProjectorProvider> all = loadProviders();
        if (wanted == null || wanted.isBlank()) {
            // a negative priority: not faster than the pure-Java projector in this JVM (ProjectorProvider#priority)
            return all.isEmpty() || all.get(0).priority() < 0 ? null : all.get(0);
        }
        if (wanted.equals("java")) {
            return null;
        }
        for (ProjectorProvider p : all) {
            if (p.name().equals(wanted)) {
                return p;
            }
        }
        throw new ConfigurationException("-D" + PROPERTY + "=" + wanted + " names no projection provider on the "
                + "classpath; found " + (all.isEmpty() ? "none" : providers()) + ". Add the module that provides it "
                + "(e.g. dev.decap:decap-nd4j for \"nd4j\"), or use \"java\" for the pure-Java projector");
    }

    /** The providers on the classpath, found once: the classpath does not change while the library runs. */
    private static List<ProjectorProvider> loadProviders() {
        return Providers.ALL;
    }

    /** Lazily initialised holder: {@code ServiceLoader} scans the classpath on first use only. */
    private static final class Providers {
        static final List<ProjectorProvider> ALL = List.copyOf(scan());
    }

    private static List<ProjectorProvider> scan() {
        List<ProjectorProvider> found = new ArrayList<>();
        ServiceLoader<ProjectorProvider> loader = ServiceLoader.load(ProjectorProvider.class,
                Projectors.class.getClassLoader());
        var it = loader.iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError e) {
                LOG.warn("ignoring a projection provider that failed to load: {}", e.getMessage());
            }
        }
        found.sort(Comparator.comparingInt(ProjectorProvider::priority).reversed());
        return found;
    }
}
