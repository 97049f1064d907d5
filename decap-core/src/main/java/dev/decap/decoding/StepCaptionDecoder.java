package dev.decap.decoding;

import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.tokenization.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link CaptionDecoder} built from a step-wise {@link LanguageModel}, a vocabulary map and a tokenizer: runs
 * {@link GreedySearch} or {@link BeamSearch} and turns the model's ids into tokenizer ids and text.
 *
 * <p><b>Vocabulary map.</b> Entry {@code j} is the tokenizer id of model id {@code j}, or -1 when it has none.
 * Without a map, model id = tokenizer id (DeCap's official decoder scores 50,257 GPT-2-sized ids; CLIP's tokenizer
 * knows 49,408). <b>Masking</b> (default on) gives every model id without a decodable tokenizer id a logit of -inf,
 * so it is never chosen; with masking off the search is exactly the reference notebook's, and a token without a
 * decodable tokenizer id is reported as tokenizer id -1 (its model id is in {@link DecodedCaption#modelIds()}) and
 * left out of the text.
 *
 * <p>Prefixes are used as given (they are not re-normalised, so that a unit prefix decodes bit-exactly as in the
 * reference); they must be finite and non-zero. Thread-safe when the language model is. {@link #close()} closes
 * the language model if {@link Builder#closeModel(boolean)} is left on; a closed decoder throws
 * {@link ClosedException}.
 */
public final class StepCaptionDecoder implements CaptionDecoder {
    /** CLIP's end-of-text id. */
    public static final int CLIP_END_OF_TEXT = 49407;
    /** Number of ids CLIP's tokenizer knows. */
    public static final int CLIP_VOCABULARY_SIZE = 49408;

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int[] vocabularyMap;
    private final boolean masking;
    private final int endOfText;
    private final int tokenizerVocabularySize;
    private final int modelEndOfText;
    private final boolean[] maskedIds;
    private final int maxBatchRows;
    private final boolean closeModel;
    private final AtomicBoolean closed = new AtomicBoolean();

    private StepCaptionDecoder(Builder b) {
        this.model = b.model;
        this.tokenizer = b.tokenizer;
        this.vocabularyMap = b.vocabularyMap == null ? null : b.vocabularyMap.clone();
        this.masking = b.masking;
        this.endOfText = b.endOfText != null ? b.endOfText
                : tokenizer != null ? tokenizer.endOfText() : CLIP_END_OF_TEXT;
        this.tokenizerVocabularySize = b.tokenizerVocabularySize != null ? b.tokenizerVocabularySize
                : tokenizer != null ? tokenizer.vocabularySize() : CLIP_VOCABULARY_SIZE;
        this.maxBatchRows = b.maxBatchRows;
        this.closeModel = b.closeModel;
        int v = model.vocabularySize();
        if (vocabularyMap != null && vocabularyMap.length != v) {
            throw new ConfigurationException("the vocabulary map must have one entry per model id (the language "
                    + "model's vocabulary size): expected " + v + ", found " + vocabularyMap.length);
        }
        int eotModel = -1;
        boolean[] masked = new boolean[v];
        int maskedCount = 0;
        for (int j = 0; j < v; j++) {
            int t = toTokenizerId(j);
            if (t == endOfText && eotModel < 0) {
                eotModel = j;
            }
            masked[j] = t < 0 || t >= tokenizerVocabularySize;
            if (masked[j]) {
                maskedCount++;
            }
        }
        if (vocabularyMap != null) {
            for (int j = 0; j < v; j++) {
                if (vocabularyMap[j] < -1) {
                    throw new ConfigurationException("vocabulary map entry " + j + " is " + vocabularyMap[j]
                            + "; entries are tokenizer ids or -1");
                }
            }
        }
        if (maskedCount == v) {
            throw new ConfigurationException("no model id maps to a tokenizer id below " + tokenizerVocabularySize
                    + "; check the vocabulary map");
        }
        this.modelEndOfText = eotModel;
        this.maskedIds = masking ? masked : null;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int prefixDimension() {
        return model.prefixDimension();
    }

    /** The tokenizer used for text, or null. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether ids without a decodable tokenizer id are masked. */
    public boolean masking() {
        return masking;
    }

    /** The model id of the end-of-text token, or -1 when the model cannot produce it. */
    public int modelEndOfText() {
        return modelEndOfText;
    }

    /** The tokenizer id of model id {@code modelId}, or -1 when the vocabulary map has none. */
    public int toTokenizerId(int modelId) {
        return vocabularyMap == null ? modelId : vocabularyMap[modelId];
    }

    /** The search constraints these options give, in model ids. */
    public SearchConstraints constraints(DecodingOptions options) {
        return new SearchConstraints(modelEndOfText, maskedIds, options.maxTokens(), options.minTokens());
    }

    @Override
    public DecodedCaption decode(float[] prefix, DecodingOptions options) {
        return decodeAll(List.of(requireNonNullPrefix(prefix)), options).get(0);
    }

    /**
     * Decodes several prefixes as batches: one caption per prefix, in order, each with its whole sequence (the
     * end-of-text token included, see {@link DecodedCaption}).
     *
     * @throws InvalidInputException if a prefix is null, of the wrong length, not finite or zero
     */
    @Override
    public List<DecodedCaption> decodeAll(List<float[]> prefixes, DecodingOptions options) {
        ensureOpen();
        if (prefixes == null) {
            throw new InvalidInputException("prefixes is null; pass a list of prefix vectors");
        }
        if (options == null) {
            throw new InvalidInputException("decoding options are null; pass DecodingOptions.DEFAULT");
        }
        int d = model.prefixDimension();
        float[][] all = new float[prefixes.size()][];
        for (int i = 0; i < all.length; i++) {
            String what = prefixes.size() == 1 ? "prefix" : "prefix " + i;
            float[] p = Vectors.requireDimension(prefixes.get(i), d, what);
            if (Vectors.norm(p) == 0) {
                throw new InvalidInputException(what + " is all zeros; pass the normalised CLIP-space embedding "
                        + "to decode");
            }
            all[i] = p.clone();
        }
        SearchConstraints c = constraints(options);
        boolean beam = options.strategy() == DecodingOptions.Strategy.BEAM;
        int perChunk = Math.max(1, beam ? maxBatchRows / options.beamWidth() : maxBatchRows);
        List<DecodedCaption> out = new ArrayList<>(all.length);
        for (int start = 0; start < all.length; start += perChunk) {
            float[][] chunk = java.util.Arrays.copyOfRange(all, start, Math.min(all.length, start + perChunk));
            String call = (beam ? "beam search" : "greedy search") + " of prefixes " + start + ".."
                    + (start + chunk.length - 1);
            List<Hypothesis> hs = dev.decap.internal.Components.call("language model", model, call, () -> beam
                    ? BeamSearch.search(model, chunk, c, options.beamWidth(), options.lengthPenalty())
                    : GreedySearch.search(model, chunk, c));
            for (Hypothesis h : hs) {
                out.add(toCaption(h));
            }
        }
        return out;
    }

    /**
     * Decodes several prefixes and reports every detail, the end-of-text token included.
     *
     * @deprecated {@link #decodeAll} returns the same detail in {@link DecodedCaption}; this goes in the next
     *             release
     */
    @Deprecated
    public List<DecodedSequence> decodeSequences(List<float[]> prefixes, DecodingOptions options) {
        List<DecodedSequence> out = new ArrayList<>();
        for (DecodedCaption c : decodeAll(prefixes, options)) {
            out.add(DecodedSequence.of(c));
        }
        return out;
    }

    private DecodedCaption toCaption(Hypothesis h) {
        int[] modelIds = h.tokens();
        int[] tokenIds = new int[modelIds.length];
        int[] decodable = new int[modelIds.length];
        int nd = 0;
        for (int i = 0; i < modelIds.length; i++) {
            int t = toTokenizerId(modelIds[i]);
            boolean known = t >= 0 && t < tokenizerVocabularySize;
            tokenIds[i] = known ? t : -1;
            if (known && t != endOfText) {
                decodable[nd++] = t;
            }
        }
        String text = null;
        if (tokenizer != null) {
            text = tokenizer.decode(java.util.Arrays.copyOf(decodable, nd)).strip();
        }
        return new DecodedCaption(text, tokenIds, h.logProbs(), modelIds, h.score(), h.endedWithEndOfText());
    }

    private static float[] requireNonNullPrefix(float[] prefix) {
        if (prefix == null) {
            throw new InvalidInputException("prefix is null; pass the normalised CLIP-space embedding to decode");
        }
        return prefix;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new ClosedException("this caption decoder is closed; build a new one");
        }
    }

    /** Closes the language model when this decoder owns it. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && closeModel) {
            model.close();
        }
    }

    /** Builder. The language model is required; everything else is optional. */
    public static final class Builder {
        private LanguageModel model;
        private Tokenizer tokenizer;
        private int[] vocabularyMap;
        private boolean masking = true;
        private Integer endOfText;
        private Integer tokenizerVocabularySize;
        private int maxBatchRows = 64;
        private boolean closeModel = true;

        private Builder() {
        }

        /** Required. The step-wise model to search with. */
        public Builder languageModel(LanguageModel model) {
            this.model = model;
            return this;
        }

        /** Optional. Default: none, and captions have null text. */
        public Builder tokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** Optional: model id -> tokenizer id (-1 for none). Default: none, model id = tokenizer id. */
        public Builder vocabularyMap(int[] map) {
            this.vocabularyMap = map == null ? null : map.clone();
            return this;
        }

        /** Optional. Default: true, ids without a decodable tokenizer id are never chosen. */
        public Builder masking(boolean masking) {
            this.masking = masking;
            return this;
        }

        /** Optional. Default: the tokenizer's end-of-text id, or CLIP's 49407 without a tokenizer. */
        public Builder endOfText(int tokenizerId) {
            this.endOfText = tokenizerId;
            return this;
        }

        /** Optional. Default: the tokenizer's vocabulary size, or CLIP's 49408 without a tokenizer. */
        public Builder tokenizerVocabularySize(int size) {
            this.tokenizerVocabularySize = size;
            return this;
        }

        /** Optional: most rows in one model batch (beam search uses width rows per prefix). Default: 64. */
        public Builder maxBatchSize(int rows) {
            this.maxBatchRows = rows;
            return this;
        }

        /**
         * Most rows in one model batch.
         *
         * @deprecated renamed {@link #maxBatchSize(int)}, as on the encoders' builders; this alias goes in the next
         *             release
         */
        @Deprecated
        public Builder maxBatchRows(int rows) {
            return maxBatchSize(rows);
        }

        /** Optional: whether {@link StepCaptionDecoder#close()} closes the language model. Default: true. */
        public Builder closeModel(boolean close) {
            this.closeModel = close;
            return this;
        }

        public StepCaptionDecoder build() {
            if (model == null) {
                throw new ConfigurationException("languageModel is required; pass the step-wise decoder model");
            }
            if (tokenizer != null && tokenizerVocabularySize != null
                    && tokenizer.vocabularySize() != tokenizerVocabularySize) {
                throw new ConfigurationException("tokenizerVocabularySize disagrees with the tokenizer: expected "
                        + tokenizer.vocabularySize() + ", found " + tokenizerVocabularySize);
            }
            if (tokenizerVocabularySize != null && tokenizerVocabularySize < 1) {
                throw new ConfigurationException("tokenizerVocabularySize must be positive, found "
                        + tokenizerVocabularySize);
            }
            if (maxBatchRows < 1) {
                throw new ConfigurationException("maxBatchSize must be at least 1, found " + maxBatchRows);
            }
            return new StepCaptionDecoder(this);
        }
    }
}
