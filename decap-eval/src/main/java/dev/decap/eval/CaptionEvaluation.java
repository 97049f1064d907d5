package dev.decap.eval;

import dev.decap.spi.Arguments;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link CaptionMetrics#evaluate}: corpus scores, per-image scores and the tokenised texts they
 * were computed from. Immutable; the maps keep the order of the candidates given.
 *
 * @param corpus              the set's scores: BLEU from counts summed over all images (coco-caption's corpus
 *                            BLEU), ROUGE-L and CIDEr-D as the mean over images
 * @param perImage            each image's scores, keyed by image id
 * @param tokenizedCandidates each candidate after {@link PtbTokenizer}
 * @param tokenizedReferences each image's references after {@link PtbTokenizer}
 */
public record CaptionEvaluation(CaptionScores corpus, Map<String, CaptionScores> perImage,
                                Map<String, String> tokenizedCandidates,
                                Map<String, List<String>> tokenizedReferences) {

    /**
     * Copies the maps into unmodifiable ones that keep their order.
     *
     * @param corpus              the set's scores
     * @param perImage            each image's scores
     * @param tokenizedCandidates each tokenised candidate
     * @param tokenizedReferences each image's tokenised references
     */
    public CaptionEvaluation {
        Arguments.requireNonNull(corpus, "corpus");
        perImage = Collections.unmodifiableMap(new LinkedHashMap<>(perImage));
        tokenizedCandidates = Collections.unmodifiableMap(new LinkedHashMap<>(tokenizedCandidates));
        Map<String, List<String>> refs = new LinkedHashMap<>();
        tokenizedReferences.forEach((k, v) -> refs.put(k, List.copyOf(v)));
        tokenizedReferences = Collections.unmodifiableMap(refs);
    }

    /** @return the number of images scored */
    public int size() {
        return perImage.size();
    }
}
