package dev.decap.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * N-gram counts of one tokenised caption, as coco-caption's {@code precook}: the words of {@code str.split()},
 * every n-gram for n = 1..maxN, counted. {@code counts.get(n - 1)} holds the n-grams of order n, keyed by their
 * words joined with single spaces (words never contain a space), in first-seen order.
 */
final class NGrams {

    final int length;
    final List<Map<String, Integer>> counts;

    private NGrams(int length, List<Map<String, Integer>> counts) {
        this.length = length;
        this.counts = counts;
    }

    static NGrams of(String tokenised, int maxN) {
        List<String> words = PythonText.splitWhitespace(tokenised);
        List<Map<String, Integer>> counts = new ArrayList<>(maxN);
        for (int n = 1; n <= maxN; n++) {
            Map<String, Integer> order = new LinkedHashMap<>();
            for (int i = 0; i + n <= words.size(); i++) {
                order.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
            }
            counts.add(order);
        }
        return new NGrams(words.size(), counts);
    }
}
