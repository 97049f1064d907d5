package dev.decap.decoding;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;

/**
 * How a {@link CaptionDecoder} searches for a caption. Immutable; build with {@link #builder()}.
 *
 * @param strategy      greedy (the DeCap paper's default) or beam search
 * @param beamWidth     beams kept at each step; 1 for greedy
 * @param lengthPenalty beam score = sum(log p) / length^lengthPenalty; 0 ranks by the plain sum; at most
 *                      {@value #MAX_LENGTH_PENALTY} in magnitude
 * @param maxTokens     most tokens generated, the end-of-text token included (DeCap: 30)
 * @param minTokens     fewest tokens before end-of-text is allowed
 */
public record DecodingOptions(Strategy strategy, int beamWidth, double lengthPenalty, int maxTokens, int minTokens) {

    /** Search strategy. */
    public enum Strategy { GREEDY, BEAM }

    /**
     * The widest beam accepted. The work and memory of a step grow with beams × vocabulary; DeCap uses 5, and
     * beyond a few dozen beams captions stop changing while the cost keeps growing (beam 1000 took 41 s per caption
     * on the tiny model; 5000 ran out of memory).
     */
    public static final int MAX_BEAM_WIDTH = 128;
    /**
     * The most tokens accepted: GPT-2's 1024 positions. A decoder with fewer positions refuses more than its own
     * {@code max_positions - 1} (the bundle and the CLI check it when the captioner is built).
     */
    public static final int MAX_TOKENS = 1024;
    /**
     * The largest length penalty in magnitude: the valid range is &minus;10..10 (common values: 0 to 2). Within it the
     * normalised score of a caption of at most {@link #MAX_TOKENS} tokens stays finite ({@code 1024^10} is about
     * 10<sup>30</sup>); {@code -1e308} gave a score of &minus;Infinity.
     */
    public static final double MAX_LENGTH_PENALTY = 10;

    /** Greedy decoding of at most 30 tokens, as in the reference notebook. */
    public static final DecodingOptions DEFAULT = builder().build();

    public DecodingOptions {
        Arguments.requireNonNull(strategy, "strategy", "GREEDY or BEAM");
        if (beamWidth < 1 || beamWidth > MAX_BEAM_WIDTH) {
            throw new ConfigurationException("beamWidth must be between 1 and " + MAX_BEAM_WIDTH + ", found "
                    + beamWidth);
        }
        if (strategy == Strategy.GREEDY && beamWidth != 1) {
            throw new ConfigurationException("greedy decoding uses one beam, found beamWidth " + beamWidth
                    + "; choose Strategy.BEAM for wider search");
        }
        if (maxTokens < 1 || maxTokens > MAX_TOKENS) {
            throw new ConfigurationException("maxTokens must be between 1 and " + MAX_TOKENS + ", found "
                    + maxTokens);
        }
        if (minTokens < 0 || minTokens > maxTokens) {
            throw new ConfigurationException("minTokens must be between 0 and maxTokens (" + maxTokens
                    + "), found " + minTokens);
        }
        if (!(Math.abs(lengthPenalty) <= MAX_LENGTH_PENALTY)) {
            throw new ConfigurationException("lengthPenalty must be between -" + (int) MAX_LENGTH_PENALTY + " and "
                    + (int) MAX_LENGTH_PENALTY + ", found " + lengthPenalty);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Greedy decoding with the given token limit. */
    public static DecodingOptions greedy(int maxTokens) {
        return builder().maxTokens(maxTokens).build();
    }

    /** Beam search of the given width (length penalty 1.0, at most 30 tokens). */
    public static DecodingOptions beam(int beamWidth) {
        return builder().beam(beamWidth).build();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.strategy = strategy;
        b.beamWidth = beamWidth;
        b.lengthPenalty = lengthPenalty;
        b.maxTokens = maxTokens;
        b.minTokens = minTokens;
        return b;
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private Strategy strategy = Strategy.GREEDY;
        private int beamWidth = 1;
        private double lengthPenalty = 1.0;
        private int maxTokens = 30;
        private int minTokens = 0;

        private Builder() {
        }

        /** Greedy decoding (default). */
        public Builder greedy() {
            this.strategy = Strategy.GREEDY;
            this.beamWidth = 1;
            return this;
        }

        /** Beam search with {@code width} beams. Optional. Default: greedy. */
        public Builder beam(int width) {
            this.strategy = Strategy.BEAM;
            this.beamWidth = width;
            return this;
        }

        /** Optional. Default: 1.0. Only used by beam search. */
        public Builder lengthPenalty(double lengthPenalty) {
            this.lengthPenalty = lengthPenalty;
            return this;
        }

        /** Optional. Default: 30. */
        public Builder maxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** Optional. Default: 0. */
        public Builder minTokens(int minTokens) {
            this.minTokens = minTokens;
            return this;
        }

        public DecodingOptions build() {
            return new DecodingOptions(strategy, beamWidth, lengthPenalty, maxTokens, minTokens);
        }
    }
}
