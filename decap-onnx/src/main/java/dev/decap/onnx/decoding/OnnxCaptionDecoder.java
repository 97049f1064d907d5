package dev.decap.onnx.decoding;

import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodedSequence;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.StepCaptionDecoder;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.BundleManifest;
import dev.decap.onnx.bundle.ModelBundle;
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

    /**
     * A builder preset from a bundle: its decoder file, vocabulary map, end-of-text id and tokenizer vocabulary
     * size. {@link Builder#build()} also checks the loaded model against the manifest's decoder dimensions.
     *
     * @throws ModelException if the bundle has no decoder
     */
    public static Builder fromBundle(ModelBundle bundle) {
        Path decoder = bundle.decoderFile().orElseThrow(() -> new ModelException("bundle " + bundle.directory()
                + " has no decoder (files.decoder is absent from " + ModelBundle.MANIFEST + ")"));
        Builder b = builder().modelPath(decoder).vocabularyMap(bundle.vocabularyMap())
                .endOfText(bundle.endOfText()).tokenizerVocabularySize(bundle.tokenizerVocabularySize());
        b.manifestDecoder = bundle.manifest().decoder();
        b.manifestSource = bundle.directory().resolve(ModelBundle.MANIFEST).toString();
        return b;
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

    /** Decodes in batches and reports every detail, the end-of-text token included. */
    public List<DecodedSequence> decodeSequences(List<float[]> prefixes, DecodingOptions options) {
        return decoder.decodeSequences(prefixes, options);
    }

    @Override
    public void close() {
        decoder.close();
    }

    /** Builder: the model path (or a loaded model) is required. */
    public static final class Builder {
        private Path modelPath;
        private OnnxLanguageModel model;
        private OnnxOptions options = OnnxOptions.DEFAULT;
        private OnnxLanguageModel.CacheReorder reorder = OnnxLanguageModel.CacheReorder.ONNX_GATHER;
        private final StepCaptionDecoder.Builder step = StepCaptionDecoder.builder();
        private BundleManifest.Decoder manifestDecoder;
        private String manifestSource;

        private Builder() {
        }

        /** The path of {@code decoder.onnx}. Required unless {@link #languageModel} is given. */
        public Builder modelPath(Path path) {
            this.modelPath = path;
            return this;
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

        /** Optional. Default: {@link OnnxLanguageModel.CacheReorder#ONNX_GATHER}. */
        public Builder cacheReorder(OnnxLanguageModel.CacheReorder reorder) {
            this.reorder = reorder;
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

        /** Optional: most rows per ONNX batch. Default: 64. */
        public Builder maxBatchRows(int rows) {
            step.maxBatchRows(rows);
            return this;
        }

        public OnnxCaptionDecoder build() {
            if (model == null && modelPath == null) {
                throw new ConfigurationException("modelPath is required; pass the path of decoder.onnx");
            }
            OnnxLanguageModel m = model != null ? model
                    : OnnxLanguageModel.builder().modelPath(modelPath).onnxOptions(options).cacheReorder(reorder)
                    .build();
            try {
                if (manifestDecoder != null) {
                    checkAgainstManifest(m);
                }
                return new OnnxCaptionDecoder(m, step.languageModel(m).closeModel(true).build());
            } catch (RuntimeException e) {
                if (model == null) {
                    m.close();
                }
                throw e;
            }
        }

        private void checkAgainstManifest(OnnxLanguageModel m) {
            BundleManifest.Decoder d = manifestDecoder;
            check("prefix_dim", d.prefixDim(), m.prefixDimension());
            check("vocab_size", d.vocabSize(), m.vocabularySize());
            check("layers", d.layers(), m.layers());
            check("heads", d.heads(), m.heads());
            if (d.width() != null && d.heads() != null) {
                check("width / heads", d.width() / d.heads(), m.headDimension());
            }
        }

        private void check(String field, Integer declared, int found) {
            if (declared != null && declared != found) {
                throw new ModelException("the decoder model does not match " + manifestSource + ": decoder."
                        + field + " expected " + declared + ", found " + found + " in the ONNX model");
            }
        }
    }
}
