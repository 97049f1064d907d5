package dev.decap.onnx.encoding;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.encoding.TextEncoder;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.encoding.ClipLayout.Tower;
import dev.decap.tokenization.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A CLIP text encoder running on ONNX Runtime: text → tokenizer → context ids → model → embedding.
 *
 * <p>Embeddings are those of the model's {@code text_embeds} output: unnormalised for the {@code decap} and
 * {@code xenova} layouts (as CLIP's {@code encode_text}), L2-normalised for {@code hf}. Normalise before
 * comparing (DeCap does).
 *
 * <p><b>Thread safety:</b> one instance, holding one ONNX Runtime session, serves any number of threads at once;
 * calls do not block each other. {@link #close()} waits for calls in flight, is idempotent, and afterwards every
 * call throws {@link dev.decap.ClosedException}.
 *
 * <p><b>Batching and text length:</b> {@link #encodeAll} runs up to {@link #maxBatchSize()} texts per model call.
 * Where the model's sequence axis is dynamic ({@code hf}, {@code xenova}, and decap-layout towers exported with
 * one, which {@code tools/export_clip.py} does by default) and {@link #dynamicLength()} is on, texts are fed at
 * their real token length instead of the full context: {@link #encodeAll} sorts the texts by token count, cuts
 * the sorted list into runs of up to {@link #maxBatchSize()} texts (length buckets), feeds each run only up to
 * its longest text's end token (zero padded behind shorter ones) and returns the embeddings in the caller's
 * order. CLIP's text attention is causal and the embedding is read at the end token, so this gives the
 * full-context embeddings (equal up to float rounding, about 1e-6) for a fraction of the work on short
 * captions: COCO captions average about 14 of the 77 positions. Pass many texts per call (a few hundred) so
 * that each bucket holds texts of nearly one length. Fixed-axis models ({@code [batch, 77]}) always take the
 * full context; {@link Builder#dynamicLength(boolean) dynamicLength(false)} makes every model do so.
 */
public final class OnnxTextEncoder implements TextEncoder {
    private final ClipModel model;
    private final Tokenizer tokenizer;
    private final int maxBatchSize;
    private final boolean dynamicLength;

    private OnnxTextEncoder(ClipModel model, Tokenizer tokenizer, int maxBatchSize, boolean dynamicLength) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.maxBatchSize = model.batchLimit(maxBatchSize);
        this.dynamicLength = dynamicLength && model.shortSequences();
    }

    /** A builder; {@link Builder#model(Path)} and {@link Builder#tokenizer(Tokenizer)} are required. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int dimension() {
        return model.dimension();
    }

    /** The layout the model was loaded with (detected or declared). */
    public ClipLayout layout() {
        return model.binding().layout();
    }

    /** Token positions of the model's context form (77 for CLIP), start and end markers included. */
    public int contextLength() {
        return model.contextLength();
    }

    /** Most texts run in one model call. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /**
     * Whether texts are fed at their real token length (sorted into length buckets by {@link #encodeAll}):
     * true where the model's sequence axis is dynamic, it gives full-context embeddings on short input, and the
     * builder left {@link Builder#dynamicLength(boolean)} on; false means every run takes
     * {@link #contextLength()} positions.
     */
    public boolean dynamicLength() {
        return dynamicLength;
    }

    /** The tokenizer turning texts into ids. */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    ClipModel clipModel() {
        return model;
    }

    /** The model file. */
    public Path modelPath() {
        return model.path();
    }

    /**
     * Encodes one text. Text longer than the context is truncated as CLIP's {@code tokenize(truncate=True)} does.
     *
     * @return the model's {@code text_embeds}: not normalised (not unit length) for the {@code decap} and
     *         {@code xenova} layouts, unit length for {@code hf}; memory banks normalise on insertion
     * @throws InvalidInputException if the text is null or blank
     */
    @Override
    public float[] encode(String text) {
        model.ensureOpen();
        return run(new int[][] {contextIds(text, "text")})[0];
    }

    /**
     * Encodes several texts in batched model calls, one embedding per text, in order (not normalised, as
     * {@link #encode(String)}).
     *
     * @throws InvalidInputException if the list is null or empty, or a text is null or blank
     */
    @Override
    public List<float[]> encodeAll(List<String> texts) {
        if (texts == null || texts.isEmpty()) {
            throw new InvalidInputException("no texts to encode: the list is " + (texts == null ? "null" : "empty")
                    + "; pass at least one text");
        }
        model.ensureOpen();
        List<int[]> ids = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            ids.add(contextIds(texts.get(i), "text " + i));
        }
        return runBatches(ids);
    }

    /**
     * Encodes token ids already in CLIP's context form: start id, tokens, end id, zero padding; at most
     * {@link #contextLength()} ids (shorter arrays are zero padded). For callers with their own tokenization and
     * for parity tests against reference ids.
     *
     * @throws InvalidInputException if the ids are null, empty, longer than the context, or out of the
     *                               tokenizer's vocabulary
     * <p>The embedding is not normalised, as {@link #encode(String)}.
     */
    public float[] encodeIds(int[] contextIds) {
        Arguments.requireNonNull(contextIds, "contextIds");
        model.ensureOpen();
        return run(new int[][] {checkIds(contextIds, "token ids")})[0];
    }

    /** Batched {@link #encodeIds(int[])}: one embedding per row, in order. */
    public List<float[]> encodeIdsAll(List<int[]> contextIds) {
        Arguments.requireNonNull(contextIds, "contextIds");
        if (contextIds == null || contextIds.isEmpty()) {
            throw new InvalidInputException("no token ids to encode: the list is "
                    + (contextIds == null ? "null" : "empty") + "; pass at least one row");
        }
        model.ensureOpen();
        List<int[]> rows = new ArrayList<>(contextIds.size());
        for (int i = 0; i < contextIds.size(); i++) {
            rows.add(checkIds(contextIds.get(i), "token ids " + i));
        }
        return runBatches(rows);
    }

    private float[][] run(int[][] rows) {
        return model.encodeIds(rows, model.runLength(rows, dynamicLength));
    }

    private List<float[]> runBatches(List<int[]> rows) {
        int n = rows.size();
        if (!dynamicLength) {
            List<float[]> out = new ArrayList<>(n);
            for (int from = 0; from < n; from += maxBatchSize) {
                int to = Math.min(n, from + maxBatchSize);
                out.addAll(ClipModel.rows(run(rows.subList(from, to).toArray(new int[0][]))));
            }
            return out;
        }
        int[] lengths = new int[n];
        for (int i = 0; i < n; i++) {
            lengths[i] = ClipModel.tokenCount(rows.get(i));
        }
        float[][] out = new float[n][];
        for (int[] bucket : lengthBuckets(lengths, maxBatchSize)) {
            int[][] ids = new int[bucket.length][];
            int length = 1;
            for (int k = 0; k < bucket.length; k++) {
                ids[k] = rows.get(bucket[k]);
                length = Math.max(length, lengths[bucket[k]]);
            }
            float[][] got = model.encodeIds(ids, length);
            for (int k = 0; k < bucket.length; k++) {
                out[bucket[k]] = got[k];
            }
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    /**
     * The runs of {@link #encodeAll} on a dynamic-length model: the indices of {@code lengths} sorted by length
     * (stable, so equal lengths keep their order), cut into runs of at most {@code maxBatch}. Each run is then
     * fed up to its longest text.
     */
    static int[][] lengthBuckets(int[] lengths, int maxBatch) {
        int n = lengths.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt(i -> lengths[i]));
        int[][] buckets = new int[(n + maxBatch - 1) / maxBatch][];
        for (int b = 0; b < buckets.length; b++) {
            int from = b * maxBatch;
            int[] bucket = new int[Math.min(n, from + maxBatch) - from];
            for (int k = 0; k < bucket.length; k++) {
                bucket[k] = order[from + k];
            }
            buckets[b] = bucket;
        }
        return buckets;
    }

    private int[] contextIds(String text, String what) {
        if (text == null) {
            throw new InvalidInputException(what + " is null; pass a non-blank string");
        }
        if (text.isBlank()) {
            throw new InvalidInputException(what + " is blank; pass text with at least one word (an empty "
                    + "caption would add a meaningless embedding)");
        }
        int[] ids = tokenizer.encodeContext(text, model.contextLength());
        if (ids == null || ids.length != model.contextLength()) {
            throw new ConfigurationException("the tokenizer returned " + (ids == null ? "null" : ids.length + " ids")
                    + " for a context of " + model.contextLength() + ": expected " + model.contextLength()
                    + ", found " + (ids == null ? 0 : ids.length) + "; check the Tokenizer implementation");
        }
        return ids;
    }

    private int[] checkIds(int[] ids, String what) {
        if (ids == null) {
            throw new InvalidInputException(what + " are null; pass start id, tokens, end id, zero padding");
        }
        if (ids.length == 0) {
            throw new InvalidInputException(what + " are empty; pass start id, tokens, end id, zero padding");
        }
        if (ids.length > model.contextLength()) {
            throw new InvalidInputException(what + " are too long for the context: expected at most "
                    + model.contextLength() + ", found " + ids.length + "; truncate so that the end id stays last");
        }
        int vocab = tokenizer.vocabularySize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new InvalidInputException(what + " hold " + ids[i] + " at position " + i
                        + ", outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (ids.length == model.contextLength()) {
            return ids;
        }
        int[] padded = new int[model.contextLength()];
        System.arraycopy(ids, 0, padded, 0, ids.length);
        return padded;
    }

    /** Waits for calls in flight and releases the ONNX Runtime session. Idempotent. */
    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "OnnxTextEncoder[" + model.path() + ", layout=" + layout() + ", dimension=" + dimension()
                + ", context=" + contextLength() + ", dynamicLength=" + dynamicLength + "]";
    }

    /** Builder; {@link #model} and {@link #tokenizer} are required. */
    public static final class Builder {
        private Path model;
        private Tokenizer tokenizer;
        private ClipLayout layout;
        private OnnxOptions options;
        private Integer contextLength;
        private Integer maxBatchSize;
        private Integer dimension;
        private Integer imageSize;
        private boolean dynamicLength = true;

        private Builder() {
        }

        /** Required. The text tower's ONNX file (for the {@code hf} layout, the combined {@code model.onnx}). */
        public Builder model(Path model) {
            this.model = model;
            return this;
        }

        /** Required. The tokenizer producing the ids the model was trained on (CLIP's BPE). */
        public Builder tokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** Optional. Default: detected from the model's input and output names. */
        public Builder layout(ClipLayout layout) {
            this.layout = layout;
            return this;
        }

        /** Optional. Default: {@link OnnxOptions#DEFAULT} (CPU). */
        public Builder onnxOptions(OnnxOptions options) {
            this.options = options;
            return this;
        }

        /**
         * ONNX Runtime options.
         *
         * @deprecated renamed {@link #onnxOptions(OnnxOptions)}, as on every other builder of decap-onnx; this alias
         *             goes in the next release
         */
        @Deprecated
        public Builder options(OnnxOptions options) {
            return onnxOptions(options);
        }

        /** Optional. Default: the model's fixed sequence length, else 77. */
        public Builder contextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        /** Optional. Most texts per model call; larger lists are split. Default: 32. */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /**
         * Optional. Whether texts are fed at their real token length where the model allows it (a dynamic
         * sequence axis that gives full-context embeddings on short input): {@link OnnxTextEncoder#encodeAll}
         * then sorts texts into length buckets, each run only up to its longest text's end token. The embeddings
         * equal the full-context ones up to float rounding (about 1e-6). {@code false} feeds every text at the
         * full context, as fixed-axis models always are: the 77-token path, for comparison. Default: true.
         */
        public Builder dynamicLength(boolean dynamicLength) {
            this.dynamicLength = dynamicLength;
            return this;
        }

        /** Optional. The embedding length the model must produce, checked at load. Default: whatever it produces. */
        public Builder dimension(int dimension) {
            this.dimension = dimension;
            return this;
        }

        /**
         * Optional, only for combined models ({@link ClipLayout#HF}): the side S of the placeholder image fed to
         * the vision tower, which must be the size the model was trained on where the graph does not declare it.
         * Default: the size the model declares, else 224. A bundle's {@code clip.image_size}.
         */
        public Builder imageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /**
         * Loads and checks the model.
         *
         * @throws ConfigurationException if a required setting is missing or a value is out of range, or the
         *                                options cannot be applied (e.g. CUDA without the GPU artifact)
         * @throws dev.decap.ModelException if the model is missing, corrupt, or does not fit the layout
         */
        public OnnxTextEncoder build() {
            if (model == null) {
                throw new ConfigurationException("the text encoder model is not set; call model(path) with the "
                        + "text tower's .onnx file");
            }
            if (tokenizer == null) {
                throw new ConfigurationException("the text encoder tokenizer is not set; call tokenizer(..) with "
                        + "CLIP's BPE tokenizer");
            }
            int batch = ClipModel.positive(maxBatchSize, 32, "maxBatchSize");
            int context = ClipModel.positive(contextLength, 0, "contextLength");
            if (contextLength != null && context < 2) {
                throw new ConfigurationException("contextLength must leave room for the start and end ids: expected "
                        + "at least 2, found " + context);
            }
            int dim = ClipModel.positive(dimension, 0, "dimension");
            int side = ClipModel.positive(imageSize, 0, "imageSize");
            ClipModel clip = ClipModel.open(model, options, Tower.TEXT, layout, side, context, dim);
            return new OnnxTextEncoder(clip, tokenizer, batch, dynamicLength);
        }
    }
}
