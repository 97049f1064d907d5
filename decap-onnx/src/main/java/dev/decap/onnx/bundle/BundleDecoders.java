package dev.decap.onnx.bundle;

import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.decoding.OnnxLanguageModel;
import dev.decap.tokenization.Tokenizer;

import java.nio.file.Path;

/**
 * Loads a bundle's caption decoder and checks the loaded model against the manifest's {@code decoder} section.
 * Lives here, not in {@code onnx.decoding}, so that the decoding package knows nothing of bundles (no package
 * cycle).
 */
final class BundleDecoders {
    private BundleDecoders() {
    }

    /**
     * The bundle's decoder, in the precision the options ask for when the bundle has it (else its default), with its
     * vocabulary map, end-of-text id and tokenizer vocabulary size.
     *
     * @throws ModelException         if the bundle has no decoder or the model disagrees with the manifest
     * @throws ConfigurationException if the options ask for a precision none of the bundle's models has
     */
    static OnnxCaptionDecoder load(ModelBundle bundle, Tokenizer tokenizer, OnnxOptions options, boolean masking) {
        OnnxOptions.Precision precision = options == null ? null : options.precision().orElse(null);
        bundle.requirePrecision(precision);
        Path file = bundle.file(ModelBundle.DECODER, precision).orElseThrow(() -> new ModelException("bundle "
                + bundle.directory() + " has no decoder (files.decoder is absent from " + ModelBundle.MANIFEST + ")"));
        OnnxCaptionDecoder decoder = OnnxCaptionDecoder.builder().model(file).onnxOptions(options)
                .vocabularyMap(bundle.vocabularyMap()).endOfText(bundle.endOfText())
                .tokenizerVocabularySize(bundle.tokenizerVocabularySize()).tokenizer(tokenizer).masking(masking)
                .build();
        try {
            BundleManifest.Decoder d = bundle.manifest().decoder();
            if (d != null) {
                String source = bundle.directory().resolve(ModelBundle.MANIFEST).toString();
                OnnxLanguageModel m = decoder.languageModel();
                check(source, "prefix_dim", d.prefixDim(), m.prefixDimension());
                check(source, "vocab_size", d.vocabSize(), m.vocabularySize());
                check(source, "layers", d.layers(), m.layers());
                check(source, "heads", d.heads(), m.heads());
                if (d.width() != null && d.heads() != null) {
                    check(source, "width / heads", d.width() / d.heads(), m.headDimension());
                }
            }
            return decoder;
        } catch (RuntimeException e) {
            decoder.close();
            throw e;
        }
    }

    private static void check(String source, String field, Integer declared, int found) {
        if (declared != null && declared != found) {
            throw new ModelException("the decoder model does not match " + source + ": decoder." + field
                    + " expected " + declared + ", found " + found + " in the ONNX model");
        }
    }
}
