package dev.decap.decoding;

import dev.decap.InferenceException;

/** Masking and float32 log-softmax shared by the searches. */
final class LogProbs {
    private LogProbs() {
    }

    /**
     * Applies the constraints to {@code logits} in place (masked ids and, when {@code blockEndOfText}, the
     * end-of-text id become -inf).
     *
     * @throws InferenceException if a logit is NaN or +inf, or every id is masked
     */
    static void mask(float[] logits, SearchConstraints c, boolean blockEndOfText, int row) {
        if (logits.length == 0) {
            throw new InferenceException("the language model returned no logits for row " + row);
        }
        boolean[] masked = c.maskArray();
        if (masked != null) {
            int n = Math.min(masked.length, logits.length);
            for (int v = 0; v < n; v++) {
                if (masked[v]) {
                    logits[v] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (blockEndOfText && c.endOfText() >= 0 && c.endOfText() < logits.length) {
            logits[c.endOfText()] = Float.NEGATIVE_INFINITY;
        }
        boolean any = false;
        for (int v = 0; v < logits.length; v++) {
            float x = logits[v];
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                throw new InferenceException("the language model returned logit " + x + " for id " + v + " in row "
                        + row + "; the model or its input is broken (check the prefix for NaN or huge values)");
            }
            any |= x != Float.NEGATIVE_INFINITY;
        }
        if (!any) {
            throw new InferenceException("every id is masked in row " + row
                    + "; check the vocabulary map and the tokenizer's vocabulary size");
        }
    }

    /** Index of the largest value; the first index wins ties. */
    static int argmax(float[] x) {
        int best = 0;
        float bestValue = x[0];
        for (int v = 1; v < x.length; v++) {
            if (x[v] > bestValue) {
                bestValue = x[v];
                best = v;
            }
        }
        return best;
    }

    /** {@code logSoftmax(logits)[id]} without building the whole array (same arithmetic, same result). */
    static float logSoftmaxAt(float[] logits, int id) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : logits) {
            if (x > max) {
                max = x;
            }
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp((double) (x - max));
        }
        float logSum = (float) Math.log(sum);
        return (logits[id] - max) - logSum;
    }

    /** log_softmax in float32 (the sum of exponentials is accumulated in double); masked ids stay -inf. */
    static float[] logSoftmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : logits) {
            if (x > max) {
                max = x;
            }
        }
        double sum = 0;
        for (float x : logits) {
            sum += Math.exp((double) (x - max));
        }
        float logSum = (float) Math.log(sum);
        float[] out = new float[logits.length];
        for (int v = 0; v < logits.length; v++) {
            out[v] = (logits[v] - max) - logSum;
        }
        return out;
    }
}
