package dev.decap.eval;

import dev.decap.InvalidInputException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Caption metrics with pycocoevalcap parity: BLEU-1..4, ROUGE-L and CIDEr-D of candidate captions against
 * reference captions, after pycocoevalcap's PTB tokenisation ({@link PtbTokenizer}).
 *
 * <pre>{@code
 * CaptionEvaluation result = CaptionMetrics.evaluate(
 *         Map.of("42", List.of("A dog runs on the grass.", "A brown dog running.")),
 *         Map.of("42", "a dog running on grass"));
 * double cider = result.corpus().cider();
 * }</pre>
 *
 * <p>As pycocoevalcap scores a result file, only the images that have a candidate are scored; references of
 * other images are ignored, also for CIDEr-D's document frequencies, which come from the references of the scored
 * images. Scores agree with pycocoevalcap's within 1e-4 (checked on every set of the project's golden file; see
 * {@code docs/metrics.md}).
 *
 * <p>Stateless and thread-safe.
 */
public final class CaptionMetrics {

    private CaptionMetrics() {
    }

    /**
     * Tokenises and scores the candidates.
     *
     * @param references reference captions per image id (at least one for every image that has a candidate)
     * @param candidates one candidate caption per image id; the iteration order is the order of the result
     * @return corpus and per-image scores, with the tokenised texts
     * @throws InvalidInputException if a map is null or empty, a caption is null, or an image with a candidate
     *                               has no references
     */
    public static CaptionEvaluation evaluate(Map<String, List<String>> references, Map<String, String> candidates) {
        if (references == null || references.isEmpty()) {
            throw new InvalidInputException("references are " + (references == null ? "null" : "empty")
                    + "; give at least one reference caption for each image that has a candidate");
        }
        if (candidates == null || candidates.isEmpty()) {
            throw new InvalidInputException("candidates are " + (candidates == null ? "null" : "empty")
                    + "; give one candidate caption per image to score");
        }
        List<String> ids = new ArrayList<>(candidates.size());
        List<String> rawCandidates = new ArrayList<>(candidates.size());
        List<String> rawReferences = new ArrayList<>();
        List<Integer> referenceCounts = new ArrayList<>(candidates.size());
        for (Map.Entry<String, String> e : candidates.entrySet()) {
            String id = e.getKey();
            if (id == null) {
                throw new InvalidInputException("a candidate has a null image id; give every candidate an id");
            }
            if (e.getValue() == null) {
                throw new InvalidInputException("the candidate of image " + id + " is null; give a string "
                        + "(it may be empty)");
            }
            List<String> refs = references.get(id);
            if (refs == null || refs.isEmpty()) {
                throw new InvalidInputException("image " + id + " has a candidate but no references; give at "
                        + "least one reference caption for it, or leave it out of the candidates");
            }
            for (int i = 0; i < refs.size(); i++) {
                if (refs.get(i) == null) {
                    throw new InvalidInputException("reference " + i + " of image " + id + " is null; give "
                            + "strings");
                }
            }
            ids.add(id);
            rawCandidates.add(e.getValue());
            rawReferences.addAll(refs);
            referenceCounts.add(refs.size());
        }
        List<String> tokCandidates = PtbTokenizer.tokenizeAll(rawCandidates);
        List<String> tokReferencesFlat = PtbTokenizer.tokenizeAll(rawReferences);
        List<List<String>> tokReferences = new ArrayList<>(ids.size());
        int offset = 0;
        for (int count : referenceCounts) {
            tokReferences.add(tokReferencesFlat.subList(offset, offset + count));
            offset += count;
        }
        return score(ids, tokCandidates, tokReferences);
    }

    /**
     * Scores captions that are already tokenised (words separated by spaces, as {@link PtbTokenizer} writes
     * them); nothing is tokenised again.
     *
     * @param references tokenised references per image id
     * @param candidates one tokenised candidate per image id
     * @return corpus and per-image scores
     * @throws InvalidInputException on the same conditions as {@link #evaluate}
     */
    public static CaptionEvaluation evaluateTokenized(Map<String, List<String>> references,
                                                      Map<String, String> candidates) {
        if (references == null || references.isEmpty() || candidates == null || candidates.isEmpty()) {
            throw new InvalidInputException("references and candidates must be non-empty maps (found "
                    + (references == null ? "null" : references.size() + " references") + ", "
                    + (candidates == null ? "null" : candidates.size() + " candidates") + ")");
        }
        List<String> ids = new ArrayList<>();
        List<String> cands = new ArrayList<>();
        List<List<String>> refs = new ArrayList<>();
        for (Map.Entry<String, String> e : candidates.entrySet()) {
            List<String> r = references.get(e.getKey());
            if (r == null || r.isEmpty()) {
                throw new InvalidInputException("image " + e.getKey() + " has a candidate but no references; "
                        + "give at least one reference caption for it, or leave it out of the candidates");
            }
            if (e.getValue() == null || r.stream().anyMatch(java.util.Objects::isNull)) {
                throw new InvalidInputException("image " + e.getKey() + " has a null caption; give strings");
            }
            ids.add(e.getKey());
            cands.add(e.getValue());
            refs.add(r);
        }
        return score(ids, cands, refs);
    }

    private static CaptionEvaluation score(List<String> ids, List<String> candidates,
                                           List<List<String>> references) {
        Bleu.Scores bleu = Bleu.score(candidates, references);
        double[] cider = CiderD.score(candidates, references);
        Map<String, CaptionScores> perImage = new LinkedHashMap<>();
        Map<String, String> tokCandidates = new LinkedHashMap<>();
        Map<String, List<String>> tokReferences = new LinkedHashMap<>();
        double rougeSum = 0;
        double ciderSum = 0;
        for (int i = 0; i < ids.size(); i++) {
            double rouge = RougeL.score(candidates.get(i), references.get(i));
            rougeSum += rouge;
            ciderSum += cider[i];
            double[] b = bleu.perImage()[i];
            perImage.put(ids.get(i), new CaptionScores(b[0], b[1], b[2], b[3], rouge, cider[i]));
            tokCandidates.put(ids.get(i), candidates.get(i));
            tokReferences.put(ids.get(i), references.get(i));
        }
        double[] c = bleu.corpus();
        CaptionScores corpus = new CaptionScores(c[0], c[1], c[2], c[3], rougeSum / ids.size(),
                ciderSum / ids.size());
        return new CaptionEvaluation(corpus, perImage, tokCandidates, tokReferences);
    }
}
