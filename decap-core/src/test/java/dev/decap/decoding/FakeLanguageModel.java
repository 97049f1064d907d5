package dev.decap.decoding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A language model without weights: the logits of a row are a function of its prefix and the tokens appended so
 * far. Records the batch size of every step and whether sessions were closed.
 */
final class FakeLanguageModel implements LanguageModel {
    private final int prefixDimension;
    private final int vocabularySize;
    private final BiFunction<float[], int[], float[]> logitsOf;
    final List<Integer> rowsPerStep = new ArrayList<>();
    int sessionsOpen;
    boolean closed;

    FakeLanguageModel(int prefixDimension, int vocabularySize, BiFunction<float[], int[], float[]> logitsOf) {
        this.prefixDimension = prefixDimension;
        this.vocabularySize = vocabularySize;
        this.logitsOf = logitsOf;
    }

    /** Logits = ln(p) for the probability table given per history; histories not listed get {@code fallback}. */
    static FakeLanguageModel ofProbabilities(int vocabularySize, java.util.Map<List<Integer>, double[]> table,
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
    static FakeLanguageModel random(int prefixDimension, int vocabularySize, float scale) {
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
            throw new dev.decap.ClosedException("fake model closed");
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
                throw new IllegalStateException("session closed");
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
            if (nextTokens.length != parentRows.length || nextTokens.length == 0) {
                throw new IllegalArgumentException("bad advance");
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
