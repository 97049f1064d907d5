package dev.decap.eval;

import java.util.List;

/**
 * ROUGE-L exactly as coco-caption's {@code rouge.py}: words from {@code str.split(" ")}; for each reference the
 * longest common subsequence gives a precision (LCS / candidate length) and a recall (LCS / reference length);
 * the maximum precision and the maximum recall over the references (taken separately, not from the same
 * reference) give {@code F = (1 + β²) P R / (R + β² P)} with β = 1.2, or 0 when either is 0.
 */
final class RougeL {

    static final double BETA = 1.2;

    private RougeL() {
    }

    static double score(String candidate, List<String> references) {
        List<String> c = PythonText.splitSpace(candidate);
        double precMax = Double.NEGATIVE_INFINITY;
        double recMax = Double.NEGATIVE_INFINITY;
        for (String reference : references) {
            List<String> r = PythonText.splitSpace(reference);
            int lcs = lcs(r, c);
            precMax = Math.max(precMax, lcs / (double) c.size());
            recMax = Math.max(recMax, lcs / (double) r.size());
        }
        if (precMax != 0 && recMax != 0) {
            double beta2 = BETA * BETA;
            return ((1 + beta2) * precMax * recMax) / (recMax + beta2 * precMax);
        }
        return 0.0;
    }

    static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = a.get(i - 1).equals(b.get(j - 1))
                        ? previous[j - 1] + 1
                        : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.size()];
    }
}
