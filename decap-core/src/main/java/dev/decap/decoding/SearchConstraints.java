package dev.decap.decoding;

import dev.decap.ConfigurationException;

/**
 * What a search may generate, in the language model's ids: the end-of-text id, the ids that are never chosen
 * (masked), and the token limits. Immutable.
 *
 * @param endOfText the model id that ends a sequence, or -1 when the model has none (sequences then run to
 *                  {@code maxTokens})
 * @param masked    per model id, whether its logit is set to -inf before the log-softmax; null masks nothing
 * @param maxTokens most tokens generated, the end-of-text id included
 * @param minTokens fewest tokens generated before the end-of-text id is allowed (its logit is -inf until then)
 */
public record SearchConstraints(int endOfText, boolean[] masked, int maxTokens, int minTokens) {
    public SearchConstraints {
        masked = masked == null ? null : masked.clone();
        if (maxTokens < 1) {
            throw new ConfigurationException("maxTokens must be at least 1, found " + maxTokens);
        }
        if (minTokens < 0 || minTokens > maxTokens) {
            throw new ConfigurationException("minTokens must be between 0 and maxTokens (" + maxTokens + "), found "
                    + minTokens);
        }
        if (endOfText < -1 || (masked != null && endOfText >= masked.length)) {
            throw new ConfigurationException("endOfText must be -1 or a model id"
                    + (masked != null ? " below " + masked.length : "") + ", found " + endOfText);
        }
    }

    /** Constraints with nothing masked. */
    public static SearchConstraints of(int endOfText, int maxTokens, int minTokens) {
        return new SearchConstraints(endOfText, null, maxTokens, minTokens);
    }

    @Override
    public boolean[] masked() {
        return masked == null ? null : masked.clone();
    }

    /** Whether model id {@code id} is masked. */
    public boolean isMasked(int id) {
        return masked != null && id < masked.length && masked[id];
    }

    /** Number of masked ids. */
    public int maskedCount() {
        int n = 0;
        if (masked != null) {
            for (boolean m : masked) {
                if (m) {
                    n++;
                }
            }
        }
        return n;
    }

    boolean[] maskArray() {
        return masked;
    }
}
