package dev.decap.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CIDEr-D exactly as coco-caption's {@code cider_scorer.py} (pycocoevalcap's {@code Cider}): n = 1..4; document
 * frequencies counted over the images of the evaluated set (an n-gram counts once per image in whose references
 * it occurs); TF-IDF vectors {@code tf · (log N − log max(1, df))} with N the number of images; for each
 * reference the cosine similarity per order with the candidate's weights clipped by the reference's
 * ({@code min(h, r) · r}), times the Gaussian length penalty {@code e^(−δ²/(2σ²))}, σ = 6; the mean over the four
 * orders, averaged over the references, times 10. As in the Python, δ is the difference in the number of
 * <em>bigrams</em> (its "length" counts order-2 terms), which equals the difference in words unless a caption has
 * fewer than two words.
 */
final class CiderD {

    static final int MAX_N = 4;
    static final double SIGMA = 6.0;

    private CiderD() {
    }

    private record Vector(List<Map<String, Double>> weights, double[] norms, int length) {
    }

    static double[] score(List<String> candidates, List<List<String>> references) {
        List<NGrams> tests = new ArrayList<>(candidates.size());
        List<List<NGrams>> refs = new ArrayList<>(references.size());
        Map<String, Integer> documentFrequency = new HashMap<>();
        for (int i = 0; i < candidates.size(); i++) {
            tests.add(NGrams.of(candidates.get(i), MAX_N));
            List<NGrams> imageRefs = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String reference : references.get(i)) {
                NGrams ref = NGrams.of(reference, MAX_N);
                imageRefs.add(ref);
                for (Map<String, Integer> order : ref.counts) {
                    seen.addAll(order.keySet());
                }
            }
            for (String gram : seen) {
                documentFrequency.merge(gram, 1, Integer::sum);
            }
            refs.add(imageRefs);
        }
        double refLen = Math.log(candidates.size());
        double[] scores = new double[candidates.size()];
        for (int i = 0; i < candidates.size(); i++) {
            Vector hyp = vector(tests.get(i), documentFrequency, refLen);
            double[] sum = new double[MAX_N];
            for (NGrams ref : refs.get(i)) {
                double[] sim = similarity(hyp, vector(ref, documentFrequency, refLen));
                for (int n = 0; n < MAX_N; n++) {
                    sum[n] += sim[n];
                }
            }
            double mean = 0;
            for (double s : sum) {
                mean += s;
            }
            mean /= MAX_N;
            mean /= refs.get(i).size();
            scores[i] = mean * 10.0;
        }
        return scores;
    }

    private static Vector vector(NGrams grams, Map<String, Integer> documentFrequency, double refLen) {
        List<Map<String, Double>> weights = new ArrayList<>(MAX_N);
        double[] norms = new double[MAX_N];
        int length = 0;
        for (int n = 0; n < MAX_N; n++) {
            Map<String, Double> order = new HashMap<>();
            for (Map.Entry<String, Integer> e : grams.counts.get(n).entrySet()) {
                double df = Math.log(Math.max(1.0, documentFrequency.getOrDefault(e.getKey(), 0)));
                double w = e.getValue() * (refLen - df);
                order.put(e.getKey(), w);
                norms[n] += w * w;
                if (n == 1) {
                    length += e.getValue();
                }
            }
            weights.add(order);
        }
        for (int n = 0; n < MAX_N; n++) {
            norms[n] = Math.sqrt(norms[n]);
        }
        return new Vector(weights, norms, length);
    }

    private static double[] similarity(Vector hyp, Vector ref) {
        double delta = hyp.length - ref.length;
        double[] val = new double[MAX_N];
        for (int n = 0; n < MAX_N; n++) {
            Map<String, Double> r = ref.weights.get(n);
            for (Map.Entry<String, Double> e : hyp.weights.get(n).entrySet()) {
                double rw = r.getOrDefault(e.getKey(), 0.0);
                val[n] += Math.min(e.getValue(), rw) * rw;
            }
            if (hyp.norms[n] != 0 && ref.norms[n] != 0) {
                val[n] /= hyp.norms[n] * ref.norms[n];
            }
            val[n] *= Math.pow(Math.E, -(delta * delta) / (2 * SIGMA * SIGMA));
        }
        return val;
    }
}
