package dev.decap.eval;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BLEU-1..4 exactly as coco-caption's {@code bleu_scorer.py} with {@code option='closest'}: per image, clipped
 * n-gram matches against the maximum count in any reference, the reference length closest to the candidate's
 * (the shorter on a tie), and its smoothing ({@code tiny = 1e-15} added to matches, {@code small = 1e-9} to
 * guesses and lengths). The corpus score sums matches, guesses and lengths over all images before taking the
 * geometric mean and the brevity penalty {@code exp(1 - r/c)} when {@code c < r}; the per-image scores apply the
 * same formula to each image alone.
 */
final class Bleu {

    static final int MAX_N = 4;
    private static final double SMALL = 1e-9;
    private static final double TINY = 1e-15;

    private Bleu() {
    }

    /** Result: {@code corpus[k]} is BLEU-(k+1); {@code perImage[i][k]} the same for image i. */
    record Scores(double[] corpus, double[][] perImage) {
    }

    static Scores score(List<String> candidates, List<List<String>> references) {
        int images = candidates.size();
        long testLenTotal = 0;
        long refLenTotal = 0;
        long[] guessTotal = new long[MAX_N];
        long[] correctTotal = new long[MAX_N];
        double[][] perImage = new double[images][MAX_N];
        for (int i = 0; i < images; i++) {
            NGrams test = NGrams.of(candidates.get(i), MAX_N);
            Map<String, Integer> maxRefCounts = new HashMap<>();
            int[] refLens = new int[references.get(i).size()];
            int r = 0;
            for (String reference : references.get(i)) {
                NGrams ref = NGrams.of(reference, MAX_N);
                refLens[r++] = ref.length;
                for (Map<String, Integer> order : ref.counts) {
                    order.forEach((gram, count) -> maxRefCounts.merge(gram, count, Math::max));
                }
            }
            int testLen = test.length;
            int refLen = closest(refLens, testLen);
            testLenTotal += testLen;
            refLenTotal += refLen;
            long[] guess = new long[MAX_N];
            long[] correct = new long[MAX_N];
            for (int k = 0; k < MAX_N; k++) {
                guess[k] = Math.max(0, testLen - k);
                for (Map.Entry<String, Integer> e : test.counts.get(k).entrySet()) {
                    correct[k] += Math.min(maxRefCounts.getOrDefault(e.getKey(), 0), e.getValue());
                }
                guessTotal[k] += guess[k];
                correctTotal[k] += correct[k];
            }
            perImage[i] = combine(correct, guess, testLen, refLen);
        }
        return new Scores(combine(correctTotal, guessTotal, testLenTotal, refLenTotal), perImage);
    }

    /** {@code min((abs(l - testlen), l) for l in reflens)[1]}. */
    private static int closest(int[] refLens, int testLen) {
        int best = refLens[0];
        for (int l : refLens) {
            int d = Math.abs(l - testLen);
            int bestD = Math.abs(best - testLen);
            if (d < bestD || (d == bestD && l < best)) {
                best = l;
            }
        }
        return best;
    }

    private static double[] combine(long[] correct, long[] guess, double testLen, double refLen) {
        double[] bleus = new double[MAX_N];
        double bleu = 1.0;
        for (int k = 0; k < MAX_N; k++) {
            bleu *= (correct[k] + TINY) / (guess[k] + SMALL);
            bleus[k] = Math.pow(bleu, 1.0 / (k + 1));
        }
        double ratio = (testLen + TINY) / (refLen + SMALL);
        if (ratio < 1) {
            for (int k = 0; k < MAX_N; k++) {
                bleus[k] *= Math.exp(1 - 1 / ratio);
            }
        }
        return bleus;
    }
}
