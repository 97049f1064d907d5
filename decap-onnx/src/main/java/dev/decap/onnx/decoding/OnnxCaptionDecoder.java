package dev.decap.onnx.decoding;

import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodedSequence;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.StepCaptionDecoder;
import dev.decap.onnx.OnnxOptions;
import dev.decap.tokenization.Tokenizer;

import java.nio.file.Path;
import java.util.List;

/**
 * DeCap's caption decoder on ONNX Runtime: an {@link OnnxLanguageModel} searched by
 * {@link StepCaptionDecoder} (greedy or beam, batched, masking ids the tokenizer cannot decode).
 *
 * <p>Thread-safe; one ONNX Runtime session is shared by every caller. Owns the model: {@link #close()} releases it
 * (idempotent), and a closed decoder throws {@link dev.decap.ClosedException}.
 */
public final class OnnxCaptionDecoder implements CaptionDecoder {
    private final OnnxLanguageModel model;
    private final StepCaptionDecoder decoder;

    private OnnxCaptionDecoder(OnnxLanguageModel model, StepCaptionDecoder decoder) {
        this.model = model;
        this.decoder = decoder;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int prefixDimension() {
        return decoder.prefixDimension();
    }

    /** The decoder's vocabulary size (the number of logits per step). */
    public int vocabularySize() {
        return model.vocabularySize();
    }

    /** The underlying step-wise model. */
    public OnnxLanguageModel languageModel() {
        return model;
    }

    /** The search wrapper (vocabulary map, masking, tokenizer). */
    public StepCaptionDecoder stepDecoder() {
        return decoder;
    }

    @Override
    public DecodedCaption decode(float[] prefix, DecodingOptions options) {
        return decoder.decode(prefix, options);
    }

    @Override
    public List<DecodedCaption> decodeAll(List<float[]> prefixes, DecodingOptions options) {
        return decoder.decodeAll(prefixes, options);
    }

    /**
     * Decodes in batches and reports every detail, the end-of-text token included.
     *
     * @deprecated {@link #decodeAll} returns the same detail in {@link DecodedCaption}; this goes in the next
     *             release
     */
    @Deprecated
    public List<DecodedSequence> decodeSequences(List<float[]> prefixes, DecodingOptions options) {
        return decoder.decodeSequences(prefixes, options);
    }

    @Override
    public void close() {
        decoder.close();
    }

    /**
     * Builder: the model path (or a loaded model) is required. For a bundle, {@code OnnxDeCap.fromBundle(dir)
     * .buildDecoder()} presets it from the manifest and checks the model against the manifest's dimensions.
     */
    public static final class Builder {
        private Path modelPath;
        private OnnxLanguageModel model;
        private OnnxOptions options = OnnxOptions.DEFAULT;
        private final StepCaptionDecoder.Builder step = StepCaptionDecoder.builder();

        private Builder() {
        }

        /** The path of {@code decoder.onnx}. Required unless {@link #languageModel} is given. */
        public Builder model(Path path) {
            this.modelPath = path;
            return this;
        }

        /**
         * The path of {@code decoder.onnx}.
         *
         * @deprecated renamed {@link #model(Path)}, as on the encoders' builders; this alias goes in the next release
         */
        @Deprecated
        public Builder modelPath(Path path) {
            return model(path);
        }

        /** An already loaded model, owned (closed) by the built decoder. */
        public Builder languageModel(OnnxLanguageModel model) {
            this.model = model;
            return this;
        }

        /** Optional. Default: {@link OnnxOptions#DEFAULT}. */
        public Builder onnxOptions(OnnxOptions options) {
            this.options = options;
            return this;
        }


        /** Optional. Default: none (captions have null text). */
        public Builder tokenizer(Tokenizer tokenizer) {
            step.tokenizer(tokenizer);
            return this;
        }

        /** Optional: decoder id -> tokenizer id, -1 for none. Default: identity. */
        public Builder vocabularyMap(int[] map) {
            step.vocabularyMap(map);
            return this;
        }

        /** Optional. Default: true. */
        public Builder masking(boolean masking) {
            step.masking(masking);
            return this;
        }

        /** Optional. Default: the tokenizer's end-of-text id, or 49407. */
        public Builder endOfText(int tokenizerId) {
            step.endOfText(tokenizerId);
            return this;
        }

        /** Optional. Default: the tokenizer's vocabulary size, or 49408. */
        public Builder tokenizerVocabularySize(int size) {
            step.tokenizerVocabularySize(size);
            return this;
        }

        /**
         * Optional: most rows per ONNX batch (a row is one caption being decoded: an image under greedy search,
         * one beam of an image under beam search). Default: 64.
         */
        public Builder maxBatchSize(int rows) {
            step.maxBatchSize(rows);
            return this;
        }

        /**
         * Most rows per ONNX batch.
         *
         * @deprecated renamed {@link #maxBatchSize(int)}, as on the encoders' builders; this alias goes in the next
         *             release
         */
        @Deprecated
        public Builder maxBatchRows(int rows) {
            return maxBatchSize(rows);
        }

        /**
         * Loads the model (unless one was given) and builds the decoder.
         *
         * @throws ConfigurationException if neither a model path nor a model was given
         * @throws ModelException         if the model is missing, corrupt or breaks the decoder's I/O contract
         */
        public OnnxCaptionDecoder build() {
            if (model == null && modelPath == null) {
                throw new ConfigurationException("the decoder model is not set; call model(path) with the path of "
                        + "decoder.onnx");
            }
            OnnxLanguageModel m = model != null ? model
                    : OnnxLanguageModel.builder().model(modelPath).onnxOptions(options).build();
            try {
                return new OnnxCaptionDecoder(m, step.languageModel(m).closeModel(true).build());
            } catch (RuntimeException e) {
                if (model == null) {
                    m.close();
                }
                throw e;
            }
        }
    }
}
