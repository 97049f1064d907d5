package dev.decap.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The six caption scores pycocoevalcap reports, for one image or for a whole set. Values are on pycocoevalcap's
 * scales: BLEU and ROUGE-L in [0, 1], CIDEr-D from 0 up (×10 is part of its definition; 10 is the ceiling only
 * in practice).
 *
 * @param bleu1  BLEU-1 ({@code Bleu_1})
 * @param bleu2  BLEU-2 ({@code Bleu_2})
 * @param bleu3  BLEU-3 ({@code Bleu_3})
 * @param bleu4  BLEU-4 ({@code Bleu_4})
 * @param rougeL ROUGE-L, β = 1.2 ({@code ROUGE_L})
 * @param cider  CIDEr-D, σ = 6 ({@code CIDEr})
 */
public record CaptionScores(double bleu1, double bleu2, double bleu3, double bleu4, double rougeL, double cider) {

    /** pycocoevalcap's metric names, in its order: Bleu_1 … Bleu_4, ROUGE_L, CIDEr. */
    public static final String[] NAMES = {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"};

    /**
     * BLEU-n.
     *
     * @param n the n-gram order, 1 to 4
     * @return BLEU-n
     * @throws IllegalArgumentException if n is not 1 to 4
     */
    public double bleu(int n) {
        return switch (n) {
            case 1 -> bleu1;
            case 2 -> bleu2;
            case 3 -> bleu3;
            case 4 -> bleu4;
            default -> throw new dev.decap.InvalidInputException("BLEU order must be 1 to 4, found " + n);
        };
    }

    /**
     * The scores keyed by pycocoevalcap's names ({@link #NAMES}), in that order.
     *
     * @return an unmodifiable, ordered map
     */
    public Map<String, Double> asMap() {
        double[] values = {bleu1, bleu2, bleu3, bleu4, rougeL, cider};
        Map<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.length; i++) {
            map.put(NAMES[i], values[i]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }
}
