package dev.decap.decoding;

import dev.decap.InferenceException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy decoding, as in DeCap's reference notebook: feed the prefix, then repeatedly append the most likely id
 * (first id on ties) until the end-of-text id is appended or {@code maxTokens} ids were generated.
 *
 * <p>Many prefixes are decoded as one batch; a sequence that ends leaves the batch, so the model only computes the
 * rows still growing. The score is the plain float32 sum of the log-probabilities. Stateless and thread-safe.
 */
final class GreedySearch {
    private GreedySearch() {
    }

    /**
     * Decodes every prefix.
     *
     * @return one hypothesis per prefix, in order
     */
    public static List<Hypothesis> search(LanguageModel model, float[][] prefixes, SearchConstraints constraints) {
        int n = prefixes.length;
        if (n == 0) {
            return List.of();
        }
        int[][] tokens = new int[n][constraints.maxTokens()];
        float[][] logProbs = new float[n][constraints.maxTokens()];
        boolean[] ended = new boolean[n];
        int[] length = new int[n];
        // rowOwner[r]: the prefix whose sequence row r of the session holds.
        int[] rowOwner = new int[n];
        Arrays.setAll(rowOwner, i -> i);
        try (LanguageModel.Session session = model.start(prefixes)) {
            for (int step = 0; ; step++) {
                float[][] logits = checkedLogits(model, session, rowOwner.length);
                boolean blockEnd = step < constraints.minTokens();
                int[] next = new int[rowOwner.length];
                int alive = 0;
                for (int r = 0; r < rowOwner.length; r++) {
                    int owner = rowOwner[r];
                    float[] row = logits[r];
                    LogProbs.mask(row, constraints, blockEnd, owner);
                    int token = LogProbs.argmax(row);
                    float lp = LogProbs.logSoftmaxAt(row, token);
                    tokens[owner][step] = token;
                    logProbs[owner][step] = lp;
                    length[owner] = step + 1;
                    next[r] = token;
                    if (token == constraints.endOfText()) {
                        ended[owner] = true;
                    } else {
                        alive++;
                    }
                }
                if (alive == 0 || step + 1 >= constraints.maxTokens()) {
                    break;
                }
                int[] parents = new int[alive];
                int[] nextTokens = new int[alive];
                int[] owners = new int[alive];
                int k = 0;
                for (int r = 0; r < rowOwner.length; r++) {
                    if (!ended[rowOwner[r]]) {
                        parents[k] = r;
                        nextTokens[k] = next[r];
                        owners[k] = rowOwner[r];
                        k++;
                    }
                }
                session.advance(nextTokens, parents);
                rowOwner = owners;
            }
        }
        List<Hypothesis> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] t = Arrays.copyOf(tokens[i], length[i]);
            float[] lp = Arrays.copyOf(logProbs[i], length[i]);
            float score = 0f;
            for (float x : lp) {
                score += x; // float32, left to right, as the reference
            }
            out.add(new Hypothesis(t, lp, score, ended[i]));
        }
        return out;
    }

    static float[][] checkedLogits(LanguageModel model, LanguageModel.Session session, int expectedRows) {
        float[][] logits = session.logits();
        if (logits == null || logits.length != expectedRows) {
            throw new InferenceException("the language model session " + session.getClass().getName()
                    + " returned logits for the wrong number of rows: expected " + expectedRows + ", found "
                    + (logits == null ? "null" : logits.length));
        }
        int v = model.vocabularySize();
        for (int r = 0; r < logits.length; r++) {
            if (logits[r] == null || logits[r].length != v) {
                throw new InferenceException("the language model session " + session.getClass().getName()
                        + " returned a logits row " + r + " of the wrong length (one logit per vocabulary id): "
                        + "expected " + v + ", found " + (logits[r] == null ? "null" : logits[r].length));
            }
        }
        return logits;
    }
}
