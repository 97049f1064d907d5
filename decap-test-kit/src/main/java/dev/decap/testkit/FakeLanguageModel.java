package dev.decap.testkit;

import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.decoding.LanguageModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A language model without weights, for testing decoding loops deterministically: the logits of a row are a
 * function of its prefix and the tokens appended so far. Records the batch size of every step, how many sessions
 * are open and whether the model was closed, so tests can check that searches drop finished rows and close what
 * they open. Passes {@link LanguageModelContractTest}.
 *
 * <p>Thread-safe like a real model: sessions may be started from many threads; each session belongs to one.
 */
public final class FakeLanguageModel implements LanguageModel {
    private final int prefixDimension;
    private final int vocabularySize;
    private final BiFunction<float[], int[], float[]> logitsOf;
    private final List<Integer> rowsPerStep = new ArrayList<>();
    private int sessionsOpen;
    private volatile boolean closed;

    /**
     * A model whose logits for a row are {@code logitsOf.apply(prefix, history)}.
     *
     * @param prefixDimension length of the prefix vectors it accepts
     * @param vocabularySize  length of each logits row ({@code logitsOf} must return arrays of this length)
     * @param logitsOf        logits of a row from its prefix and the tokens appended so far (must be pure)
     */
    public FakeLanguageModel(int prefixDimension, int vocabularySize,
                             BiFunction<float[], int[], float[]> logitsOf) {
        if (prefixDimension <= 0 || vocabularySize <= 0) {
            throw new InvalidInputException("prefixDimension and vocabularySize must be positive, found "
                    + prefixDimension + " and " + vocabularySize);
        }
        this.prefixDimension = prefixDimension;
        this.vocabularySize = vocabularySize;
        this.logitsOf = java.util.Objects.requireNonNull(logitsOf, "logitsOf");
    }

    /** The number of rows the model scored at each {@link Session#logits()} call, in call order. */
    public synchronized List<Integer> rowsPerStep() {
        return List.copyOf(rowsPerStep);
    }

    /** Sessions started and not yet closed. */
    public synchronized int openSessions() {
        return sessionsOpen;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Logits = ln(p) for the probability table given per history; histories not listed get {@code fallback}. */
    public static FakeLanguageModel ofProbabilities(int vocabularySize, java.util.Map<List<Integer>, double[]> table,
                                             double[] fallback) {
        return new FakeLanguageModel(1, vocabularySize, (prefix, history) -> {
            List<Integer> key = new ArrayList<>();
            for (int t : history) {
                key.add(t);
            }
            double[] p = table.getOrDefault(key, fallback);
            float[] logits = new float[p.length];
            for (int i = 0; i < p.length; i++) {
                logits[i] = (float) Math.log(p[i]);
            }
            return logits;
        });
    }

    /** Pseudo-random logits that depend on the prefix and the whole history. */
    public static FakeLanguageModel random(int prefixDimension, int vocabularySize, float scale) {
        return new FakeLanguageModel(prefixDimension, vocabularySize, (prefix, history) -> {
            long seed = Arrays.hashCode(prefix) * 31L + Arrays.hashCode(history);
            java.util.Random r = new java.util.Random(seed);
            float[] logits = new float[vocabularySize];
            for (int i = 0; i < vocabularySize; i++) {
                logits[i] = (float) (r.nextGaussian() * scale);
            }
            return logits;
        });
    }

    @Override
    public int prefixDimension() {
        return prefixDimension;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    @Override
    public synchronized Session start(float[][] prefixes) {
        if (closed) {
            throw new ClosedException("this FakeLanguageModel is closed; create a new one");
        }
        if (prefixes == null || prefixes.length == 0) {
            throw new InvalidInputException("no prefixes to decode; pass at least one prefix vector");
        }
        for (int r = 0; r < prefixes.length; r++) {
            if (prefixes[r] == null || prefixes[r].length != prefixDimension) {
                throw new InvalidInputException("prefix " + r + " has the wrong dimension: expected "
                        + prefixDimension + ", found " + (prefixes[r] == null ? "null" : prefixes[r].length));
            }
        }
        sessionsOpen++;
        return new FakeSession(prefixes);
    }

    @Override
    public void close() {
        closed = true;
    }

    private final class FakeSession implements Session {
        private float[][] prefixes;
        private int[][] histories;
        private boolean sessionClosed;

        FakeSession(float[][] prefixes) {
            this.prefixes = prefixes.clone();
            this.histories = new int[prefixes.length][0];
        }

        @Override
        public int rows() {
            return histories.length;
        }

        @Override
        public float[][] logits() {
            if (sessionClosed) {
                throw new ClosedException("this decoding session is closed; start a new one");
            }
            synchronized (FakeLanguageModel.this) {
                rowsPerStep.add(histories.length);
            }
            float[][] out = new float[histories.length][];
            for (int r = 0; r < histories.length; r++) {
                out[r] = logitsOf.apply(prefixes[r], histories[r]);
            }
            return out;
        }

        @Override
        public void advance(int[] nextTokens, int[] parentRows) {
            if (sessionClosed) {
                throw new ClosedException("this decoding session is closed; start a new one");
            }
            if (nextTokens == null || parentRows == null || nextTokens.length != parentRows.length
                    || nextTokens.length == 0) {
                throw new InvalidInputException("advance needs one token and one parent row per new row, found "
                        + (nextTokens == null ? "null" : nextTokens.length) + " tokens and "
                        + (parentRows == null ? "null" : parentRows.length) + " parent rows");
            }
            for (int r = 0; r < parentRows.length; r++) {
                if (parentRows[r] < 0 || parentRows[r] >= histories.length) {
                    throw new InvalidInputException("parent row " + parentRows[r] + " is out of range: expected 0.."
                            + (histories.length - 1));
                }
                if (nextTokens[r] < 0 || nextTokens[r] >= vocabularySize) {
                    throw new InvalidInputException("token " + nextTokens[r] + " is out of range: expected 0.."
                            + (vocabularySize - 1));
                }
            }
            float[][] p = new float[parentRows.length][];
            int[][] h = new int[parentRows.length][];
            for (int r = 0; r < parentRows.length; r++) {
                p[r] = prefixes[parentRows[r]];
                h[r] = Arrays.copyOf(histories[parentRows[r]], histories[parentRows[r]].length + 1);
                h[r][h[r].length - 1] = nextTokens[r];
            }
            prefixes = p;
            histories = h;
        }

        @Override
        public void close() {
            if (!sessionClosed) {
                sessionClosed = true;
                synchronized (FakeLanguageModel.this) {
                    sessionsOpen--;
                }
            }
        }
    }
}
