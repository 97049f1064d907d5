package dev.decap.onnx.bundle;

import dev.decap.spi.Arguments;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.ModelException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.image.ClipPreprocessor;
import dev.decap.image.ImageLoader;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.ProgressListener;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.encoding.ClipLayout;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.tokenization.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The loaded models of one bundle: the checked {@link ModelBundle} (manifest), the tokenizer, and the ONNX Runtime
 * sessions of the image encoder, text encoder and decoder, opened once. One handle owns them all; captioners made
 * from it borrow them, so swapping a memory bank, a projector or decoding options re-reads and re-opens nothing:
 *
 * <pre>{@code
 * try (DecapModel model = OnnxDeCap.fromBundle(dir).vocabulary(vocab).load()) {
 *     DeCap coco = model.captioner().memoryBank(cocoBank).build();      // microseconds
 *     DeCap products = coco.withMemoryBank(productBank);                 // microseconds
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Ownership:</b> whoever opened the model closes it. {@link #close()} releases the sessions (waiting for
 * calls in flight) and is idempotent; captioners from {@link #captioner()} never close the model, and fail with
 * {@link ClosedException} once it is closed. {@link OnnxDeCap.Builder#build()} opens a model for one captioner and
 * hands it over to that captioner (and the captioners derived from it), which close it when the last of them is
 * closed.
 *
 * <p><b>Thread safety:</b> immutable; the encoders and decoder serve any number of threads at once.
 *
 * <p><b>Precision:</b> a bundle may carry its decoder and image tower in several precisions (float32, int8, int4,
 * fp16); {@link OnnxOptions.Builder#precision(OnnxOptions.Precision)} chooses which ones are loaded (each model's
 * default otherwise), see {@link ModelBundle#file(String, OnnxOptions.Precision)}.
 *
 * <p><b>Preprocessing:</b> images are preprocessed as the manifest's {@code clip} section says
 * ({@code image_size}, {@code mean}, {@code std}, {@code interpolation}; see {@link ModelBundle#imagePreprocessor()}).
 */
public final class DecapModel implements AutoCloseable {
    private final ModelBundle bundle;
    private final Tokenizer tokenizer;
    private final OnnxImageEncoder imageEncoder;
    private final OnnxTextEncoder textEncoder;
    private final OnnxCaptionDecoder decoder;
    private final ImageLoader imageLoader;
    private final DecodingOptions decodingOptions;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DecapModel(ModelBundle bundle, Tokenizer tokenizer, OnnxImageEncoder imageEncoder,
                       OnnxTextEncoder textEncoder, OnnxCaptionDecoder decoder, ImageLoader imageLoader,
                       DecodingOptions decodingOptions) {
        this.bundle = bundle;
        this.tokenizer = tokenizer;
        this.imageEncoder = imageEncoder;
        this.textEncoder = textEncoder;
        this.decoder = decoder;
        this.imageLoader = imageLoader;
        this.decodingOptions = decodingOptions;
    }

    /**
     * Loads every component the bundle has. Called by {@link OnnxDeCap.Builder#load()}.
     *
     * @param tokenizer  the tokenizer, or null (captions then have no text and the text encoder is not loaded)
     * @param options    ONNX Runtime options for every session
     * @param masking    whether decoder ids the tokenizer cannot decode are never chosen
     * @param loader     the image loader captioners use, or null for {@link ImageLoader#defaults()}
     * @param decoding   default decoding options, or null for greedy with the bundle's token limit
     */
    static DecapModel load(ModelBundle bundle, Tokenizer tokenizer, OnnxOptions options, boolean masking,
                           ImageLoader loader, DecodingOptions decoding) {
        OnnxOptions.Precision precision = options == null ? null : options.precision().orElse(null);
        bundle.requirePrecision(precision);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            OnnxCaptionDecoder decoder = null;
            if (bundle.decoderFile().isPresent()) {
                decoder = BundleDecoders.load(bundle, tokenizer, options, masking);
                opened.add(decoder);
            }
            ClipLayout layout = null;
            if (bundle.manifest().clip() != null && bundle.manifest().clip().layout() != null) {
                layout = ClipLayout.fromId(bundle.manifest().clip().layout());
            }
            OnnxImageEncoder image = null;
            if (bundle.imageEncoderFile().isPresent()) {
                ClipPreprocessor pre = bundle.imagePreprocessor();
                image = OnnxImageEncoder.builder().model(bundle.file(ModelBundle.IMAGE_ENCODER, precision).get())
                        .layout(layout)
                        .onnxOptions(options).preprocessor(pre).dimension(bundle.embeddingDimension()).build();
                opened.add(image);
            }
            OnnxTextEncoder text = null;
            if (bundle.textEncoderFile().isPresent() && tokenizer != null) {
                OnnxTextEncoder.Builder tb = OnnxTextEncoder.builder().model(bundle.textEncoderFile().get())
                        .tokenizer(tokenizer).layout(layout).onnxOptions(options)
                        .dimension(bundle.embeddingDimension());
                if (bundle.manifest().clip() != null && bundle.manifest().clip().contextLength() != null) {
                    tb.contextLength(bundle.manifest().clip().contextLength());
                }
                text = tb.build();
                opened.add(text);
            }
            return new DecapModel(bundle, tokenizer, image, text, decoder,
                    loader == null ? ImageLoader.defaults() : loader,
                    decoding != null ? decoding : DecodingOptions.greedy(bundle.maxTokens()));
        } catch (RuntimeException e) {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw bundle.naming(e);
        }
    }

    /**
     * A captioner builder preset with this model's encoders, decoder, image loader and default decoding options,
     * which the built captioner borrows ({@link DeCap.Builder#ownsComponents(boolean) ownsComponents(false)}).
     * Set a {@code memoryBank(..)} (and optionally a projector) and build; nothing is loaded.
     *
     * @throws ClosedException if this model is closed
     */
    public DeCap.Builder captioner() {
        ensureOpen();
        return DeCap.builder().imageEncoder(imageEncoder).textEncoder(textEncoder).decoder(decoder)
                .decodingOptions(decodingOptions).imageLoader(imageLoader).ownsComponents(false);
    }

    /**
     * Encodes captions into an in-memory bank with this model's text encoder (embeddings normalised to unit length
     * by the bank).
     *
     * @param progress told after each batch how many captions are done; null for none
     * @throws ConfigurationException if this model has no text encoder (none in the bundle, or no vocabulary)
     */
    public InMemoryMemoryBank encodeMemory(List<String> captions, ProgressListener progress) {
        Arguments.requireNonNull(captions, "captions");
        ensureOpen();
        if (textEncoder == null) {
            throw new ConfigurationException("encoding memory captions needs the bundle's text encoder and a "
                    + "tokenizer vocabulary; bundle " + bundle.directory() + " has "
                    + (bundle.textEncoderFile().isEmpty() ? "no text encoder" : "no vocabulary found: pass "
                    + "vocabulary(path)"));
        }
        return InMemoryMemoryBank.encode(textEncoder, captions, progress);
    }

    /** The checked bundle (manifest, files). */
    public ModelBundle bundle() {
        return bundle;
    }

    /** The tokenizer, when one was found. */
    public Optional<Tokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The image encoder, when the bundle has one. Its embeddings are not normalised (CLIP's encode_image). */
    public Optional<OnnxImageEncoder> imageEncoder() {
        return Optional.ofNullable(imageEncoder);
    }

    /**
     * The text encoder, when the bundle has one and a tokenizer was found. Its embeddings are not normalised
     * (CLIP's encode_text); {@link DeCap#encodeText} returns unit vectors.
     */
    public Optional<OnnxTextEncoder> textEncoder() {
        return Optional.ofNullable(textEncoder);
    }

    /** The caption decoder, when the bundle has one. */
    public Optional<OnnxCaptionDecoder> decoder() {
        return Optional.ofNullable(decoder);
    }

    /** The decoding options captioners start with. */
    public DecodingOptions decodingOptions() {
        return decodingOptions;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Releases every session (waiting for calls in flight). Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {imageEncoder, textEncoder, decoder}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = new ModelException("closing " + c + " of bundle " + bundle.directory() + " failed: "
                            + e, e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new ClosedException("the model of bundle " + bundle.directory() + " is closed; load it again");
        }
    }

    @Override
    public String toString() {
        return "DecapModel[" + bundle + "]";
    }
}
