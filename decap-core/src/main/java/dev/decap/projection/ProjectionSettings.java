package dev.decap.projection;

import dev.decap.ConfigurationException;

/**
 * What projection-based decoding computes, independent of how: the softmax temperature τ, an optional top-k
 * restriction and how many contributions a projection lists. Shared by every implementation of PD (the pure-Java
 * {@link ProjectionDecoding} and the ND4J projector of {@code decap-nd4j}), so that one value configures either.
 *
 * <p>Immutable; validated on construction.
 *
 * @param temperature      the softmax temperature τ, finite and positive with a finite inverse (DeCap: 0.01)
 * @param topK             0 to mix every memory entry, or the number of most similar entries to mix; a value
 *                         above the bank's size is clamped to it at use (so {@link Integer#MAX_VALUE} mixes all)
 * @param maxContributions how many of the largest contributions a projection lists, 0 or more; clamped to the
 *                         bank's size at use (so {@link Integer#MAX_VALUE} lists every entry)
 */
public record ProjectionSettings(double temperature, int topK, int maxContributions) {
    /** DeCap's temperature τ. */
    public static final double DEFAULT_TEMPERATURE = 0.01;
    /** Contributions listed by default. */
    public static final int DEFAULT_MAX_CONTRIBUTIONS = 10;
    /** DeCap's settings: τ = 0.01, every entry mixed, 10 contributions listed. */
    public static final ProjectionSettings DEFAULT =
            new ProjectionSettings(DEFAULT_TEMPERATURE, 0, DEFAULT_MAX_CONTRIBUTIONS);

    /**
     * Checks the settings.
     *
     * @throws ConfigurationException if a value is out of range, naming it
     */
    public ProjectionSettings {
        if (!(temperature > 0) || !Double.isFinite(temperature) || !Double.isFinite(1 / temperature)) {
            throw new ConfigurationException("temperature must be finite and positive (and its inverse finite), "
                    + "found " + temperature + "; DeCap uses 0.01");
        }
        if (topK < 0) {
            throw new ConfigurationException("topK must be 0 (all entries) or positive, found " + topK);
        }
        if (maxContributions < 0) {
            throw new ConfigurationException("maxContributions must not be negative, found " + maxContributions);
        }
    }

    /** These settings with another temperature. */
    public ProjectionSettings withTemperature(double temperature) {
        return new ProjectionSettings(temperature, topK, maxContributions);
    }

    /** These settings with another top-k restriction (0 for none). */
    public ProjectionSettings withTopK(int topK) {
        return new ProjectionSettings(temperature, topK, maxContributions);
    }

    /** These settings with another number of listed contributions. */
    public ProjectionSettings withMaxContributions(int maxContributions) {
        return new ProjectionSettings(temperature, topK, maxContributions);
    }
}
