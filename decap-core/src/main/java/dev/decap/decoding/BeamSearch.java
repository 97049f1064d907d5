package dev.decap.decoding;

import dev.decap.ConfigurationException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Beam search with a length penalty, exactly as the project's Python reference does it.
 *
 * <p>Alive beams start as one empty beam with sum 0. At each step every alive beam {@code b} and every id {@code v}
 * make a candidate with score {@code sum_b + logprob_b[v]} (float32; candidates scoring -inf, i.e. masked ids, are
 * dropped). Candidates are ranked by score (descending),
 * then beam index, then id (ascending) and walked in that order: a candidate ending with the end-of-text id becomes
 * a finished hypothesis with normalised score {@code sum / length^lengthPenalty} (its length counts the
 * end-of-text id); any other becomes a new alive beam; the walk stops once {@code width} alive beams are collected.
 * The search ends when at least {@code width} hypotheses have finished, or after {@code maxTokens} steps, when every
 * alive beam becomes a finished hypothesis too (normalised by its own length). The result is the finished
 * hypothesis with the highest normalised score; on ties the one that finished first.
 *
 * <p>Many prefixes are searched as one batch: their alive beams are rows of one model session, and a prefix whose
 * search ended leaves the batch. Width 1 with length penalty 0 gives greedy decoding. Stateless and thread-safe.
 */
final class BeamSearch {
    private BeamSearch() {
    }

    /**
     * Searches every prefix.
     *
     * @param width         beams kept per prefix, at least 1
     * @param lengthPenalty exponent of the length normalisation, within &plusmn;{@link DecodingOptions#MAX_LENGTH_PENALTY};
     *                      0 ranks finished hypotheses by their plain sum
     * @return the best hypothesis of each prefix, in order; its score is the normalised score
     */
    public static List<Hypothesis> search(LanguageModel model, float[][] prefixes, SearchConstraints constraints,
                                          int width, double lengthPenalty) {
        if (width < 1) {
            throw new ConfigurationException("beam width must be at least 1, found " + width);
        }
        if (!(Math.abs(lengthPenalty) <= DecodingOptions.MAX_LENGTH_PENALTY)) {
            throw new ConfigurationException("lengthPenalty must be between -" + (int) DecodingOptions.MAX_LENGTH_PENALTY
                    + " and " + (int) DecodingOptions.MAX_LENGTH_PENALTY + ", found " + lengthPenalty);
        }
        int n = prefixes.length;
        if (n == 0) {
            return List.of();
        }
        PrefixState[] states = new PrefixState[n];
        for (int i = 0; i < n; i++) {
            states[i] = new PrefixState();
            states[i].alive.add(Beam.EMPTY);
        }
        try (LanguageModel.Session session = model.start(prefixes)) {
            for (int step = 0; ; step++) {
                int rows = 0;
                for (PrefixState s : states) {
                    if (!s.done) {
                        rows += s.alive.size();
                    }
                }
                float[][] logits = GreedySearch.checkedLogits(model, session, rows);
                boolean blockEnd = step < constraints.minTokens();
                boolean lastStep = step + 1 >= constraints.maxTokens();
                int[] nextTokens = new int[rows * width];
                int[] parents = new int[rows * width];
                int nextRows = 0;
                int offset = 0;
                for (int i = 0; i < n; i++) {
                    PrefixState s = states[i];
                    if (s.done) {
                        continue;
                    }
                    int beams = s.alive.size();
                    List<Beam> newAlive = walk(s, logits, offset, constraints, blockEnd, width, lengthPenalty, i);
                    if (s.finished.size() >= width) {
                        s.done = true;
                    } else if (lastStep || newAlive.isEmpty()) {
                        for (Beam b : newAlive) {
                            s.finished.add(b.finish(lengthPenalty, false));
                        }
                        s.done = true;
                    } else {
                        for (Beam b : newAlive) {
                            parents[nextRows] = offset + b.parent;
                            nextTokens[nextRows] = b.tokens[b.tokens.length - 1];
                            nextRows++;
                        }
                    }
                    s.alive = newAlive;
                    offset += beams;
                }
                if (nextRows == 0) {
                    break;
                }
                session.advance(Arrays.copyOf(nextTokens, nextRows), Arrays.copyOf(parents, nextRows));
            }
        }
        List<Hypothesis> out = new ArrayList<>(n);
        for (PrefixState s : states) {
            Hypothesis best = null;
            for (Hypothesis h : s.finished) {
                if (best == null || h.score() > best.score()) {
                    best = h;
                }
            }
            out.add(best);
        }
        return out;
    }

    /** One step of one prefix: ranks its candidates, records finished hypotheses, returns the new alive beams. */
    private static List<Beam> walk(PrefixState s, float[][] logits, int offset, SearchConstraints constraints,
                                   boolean blockEnd, int width, double lengthPenalty, int prefixIndex) {
        int beams = s.alive.size();
        // Each beam has one end-of-text candidate, so at most width + beams candidates are walked: the best that
        // many per beam are enough to rank the walked ones exactly.
        int keep = width + beams;
        List<Candidate> candidates = new ArrayList<>(beams * keep);
        for (int b = 0; b < beams; b++) {
            float[] row = logits[offset + b];
            LogProbs.mask(row, constraints, blockEnd, prefixIndex);
            float[] lp = LogProbs.logSoftmax(row);
            Beam beam = s.alive.get(b);
            topCandidates(beam.sum, lp, b, keep, candidates);
        }
        candidates.sort(Candidate.ORDER);
        List<Beam> newAlive = new ArrayList<>(width);
        for (Candidate c : candidates) {
            if (newAlive.size() >= width) {
                break;
            }
            Beam parent = s.alive.get(c.beam);
            Beam extended = parent.extend(c.beam, c.token, c.logProb, c.score);
            if (c.token == constraints.endOfText()) {
                s.finished.add(extended.finish(lengthPenalty, true));
            } else {
                newAlive.add(extended);
            }
        }
        return newAlive;
    }

    /** Adds the {@code keep} best candidates of one beam (score descending, id ascending) to {@code out}. */
    private static void topCandidates(float sum, float[] lp, int beam, int keep, List<Candidate> out) {
        int k = Math.min(keep, lp.length);
        int[] ids = new int[k];
        float[] scores = new float[k];
        int size = 0;
        for (int v = 0; v < lp.length; v++) {
            float score = sum + lp[v];
            if (score == Float.NEGATIVE_INFINITY) {
                continue; // masked ids are never candidates
            }
            if (size == k && !(score > scores[k - 1])) {
                continue; // not better than the worst kept (a later id loses ties)
            }
            int pos = size == k ? k - 1 : size++;
            while (pos > 0 && score > scores[pos - 1]) {
                scores[pos] = scores[pos - 1];
                ids[pos] = ids[pos - 1];
                pos--;
            }
            scores[pos] = score;
            ids[pos] = v;
        }
        for (int i = 0; i < size; i++) {
            out.add(new Candidate(scores[i], beam, ids[i], lp[ids[i]]));
        }
    }

    private record Candidate(float score, int beam, int token, float logProb) {
        static final java.util.Comparator<Candidate> ORDER = (a, b) -> {
            int c = Float.compare(b.score, a.score);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(a.beam, b.beam);
            return c != 0 ? c : Integer.compare(a.token, b.token);
        };
    }

    private static final class PrefixState {
        List<Beam> alive = new ArrayList<>();
        final List<Hypothesis> finished = new ArrayList<>();
        boolean done;
    }

    /** An alive beam; {@code parent} is the index of the beam it extends in the previous alive list. */
    private record Beam(int[] tokens, float[] logProbs, float sum, int parent) {
        static final Beam EMPTY = new Beam(new int[0], new float[0], 0f, 0);

        Beam extend(int parentIndex, int token, float logProb, float newSum) {
            int[] t = Arrays.copyOf(tokens, tokens.length + 1);
            float[] l = Arrays.copyOf(logProbs, logProbs.length + 1);
            t[tokens.length] = token;
            l[logProbs.length] = logProb;
            return new Beam(t, l, newSum, parentIndex);
        }

        Hypothesis finish(double lengthPenalty, boolean endedWithEndOfText) {
            double normalised = sum / Math.pow(tokens.length, lengthPenalty);
            return new Hypothesis(tokens, logProbs, normalised, endedWithEndOfText);
        }
    }
}
