package dev.decap.onnx.bundle;

import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.ModelException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.image.ImageLoader;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.ProgressListener;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.onnx.decoding.OnnxLanguageModel;
import dev.decap.onnx.encoding.ClipLayout;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.projection.Projectors;
import dev.decap.projection.Projector;
import dev.decap.tokenization.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds a ready {@link DeCap} captioner from a model bundle in one call:
 *
 * <pre>{@code
 * try (DeCap decap = OnnxDeCap.fromBundle(Path.of("models/decap-coco")).memoryBank(bank).build()) {
 *     System.out.println(decap.caption(Path.of("cat.jpg")).text());
 * }
 * }</pre>
 *
 * <p>The bundle is opened and checked ({@link ModelBundle#open(Path, boolean)}); the CLIP tokenizer's vocabulary is
 * looked for where {@link Builder#vocabulary(Path)} says, then in the bundle directory. Every component the bundle has is
 * loaded on ONNX Runtime (image encoder, text encoder when a tokenizer was found, decoder with its vocabulary map);
 * the memory bank is the caller's, or is encoded from {@link Builder#memoryCaptions(List) captions} with the bundle's
 * text encoder. The built captioner owns and closes the ONNX components.
 */
public final class OnnxDeCap {

    private OnnxDeCap() {
    }

    /** Starts a builder for the bundle in {@code directory}. */
    public static Builder fromBundle(Path directory) {
        return new Builder(directory);
    }

    /** Builder; only the bundle directory is required. */
    public static final class Builder {
        private final Path directory;
        private MemoryBank memoryBank;
        private List<String> memoryCaptions;
        private ProgressListener memoryProgress;
        private Projector projector;
        private DecodingOptions decodingOptions;
        private Path vocabulary;
        private Tokenizer tokenizer;
        private boolean verifyChecksums = true;
        private OnnxOptions onnxOptions = OnnxOptions.DEFAULT;
        private boolean masking = true;
        private ImageLoader imageLoader;
        private OnnxLanguageModel.CacheReorder cacheReorder = OnnxLanguageModel.CacheReorder.ONNX_GATHER;
        private ModelBundle opened;
        private boolean openedVerified;

        private Builder(Path directory) {
            this.directory = directory;
        }

        /** The memory bank to project onto. Required unless {@link #memoryCaptions} is given. */
        public Builder memoryBank(MemoryBank memoryBank) {
            this.memoryBank = memoryBank;
            return this;
        }

        /** Captions to encode into an in-memory bank with the bundle's text encoder (instead of a bank). */
        public Builder memoryCaptions(List<String> captions) {
            this.memoryCaptions = captions == null ? null : List.copyOf(captions);
            return this;
        }

        /** Optional: told how far encoding {@link #memoryCaptions(List) the memory captions} has got. */
        public Builder memoryProgress(ProgressListener progress) {
            this.memoryProgress = progress;
            return this;
        }

        /**
         * Optional. Default: {@link Projectors#projectionDecoding()}: DeCap's projection decoding (tau 0.01), pure
         * Java on all cores, or ND4J gemm for batches when {@code decap-nd4j} is on the classpath (see
         * docs/memory-and-projection.md).
         */
        public Builder projector(Projector projector) {
            this.projector = projector;
            return this;
        }

        /** Optional. Default: greedy with the bundle's {@code generation.max_tokens} (30). */
        public Builder decodingOptions(DecodingOptions options) {
            this.decodingOptions = options;
            return this;
        }

        /**
         * Optional: the CLIP BPE vocabulary file, or a directory holding the file the manifest names. Default: the
         * bundle directory. Without a vocabulary, captions have no text and the text encoder is not loaded.
         */
        public Builder vocabulary(Path fileOrDirectory) {
            this.vocabulary = fileOrDirectory;
            return this;
        }

        /** Optional: a tokenizer to use instead of loading one from the vocabulary file. */
        public Builder tokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** Optional. Default: true, every file's SHA-256 is checked against the manifest. */
        public Builder verifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        /** Optional. Default: {@link OnnxOptions#DEFAULT}. */
        public Builder onnxOptions(OnnxOptions options) {
            this.onnxOptions = options;
            return this;
        }

        /** Optional. Default: true, decoder ids the tokenizer cannot decode are never chosen. */
        public Builder masking(boolean masking) {
            this.masking = masking;
            return this;
        }

        /** Optional. Default: {@link ImageLoader#defaults()}. */
        public Builder imageLoader(ImageLoader loader) {
            this.imageLoader = loader;
            return this;
        }

        /** Optional. Default: {@link OnnxLanguageModel.CacheReorder#ONNX_GATHER}. */
        public Builder cacheReorder(OnnxLanguageModel.CacheReorder reorder) {
            this.cacheReorder = reorder;
            return this;
        }

        /** Opens and checks the bundle (once per builder; later calls return the same bundle). */
        public ModelBundle bundle() {
            if (opened == null || openedVerified != verifyChecksums) {
                opened = ModelBundle.open(directory, verifyChecksums);
                openedVerified = verifyChecksums;
            }
            return opened;
        }

        /**
         * The tokenizer: the one given, else the one the bundle declares ({@link BundleTokenizers}); empty for a
         * CLIP-BPE bundle whose vocabulary is not found.
         */
        public Optional<Tokenizer> loadTokenizer(ModelBundle bundle) {
            if (tokenizer != null) {
                return Optional.of(tokenizer);
            }
            return BundleTokenizers.load(bundle, vocabulary);
        }

        /** Builds only the bundle's caption decoder (with the tokenizer, when found). */
        public OnnxCaptionDecoder buildDecoder() {
            ModelBundle bundle = bundle();
            return decoder(bundle, loadTokenizer(bundle).orElse(null));
        }

        private OnnxCaptionDecoder decoder(ModelBundle bundle, Tokenizer tok) {
            return OnnxCaptionDecoder.fromBundle(bundle).tokenizer(tok).masking(masking).onnxOptions(onnxOptions)
                    .cacheReorder(cacheReorder).build();
        }

        /**
         * Opens the bundle, loads every component and builds the captioner.
         *
         * @throws ModelException         if the bundle or a model is missing, corrupt, or dimensions disagree
         * @throws ConfigurationException if no memory was given, or components disagree
         */
        public DeCap build() {
            if (memoryBank != null && memoryCaptions != null) {
                throw new ConfigurationException("give either memoryBank(..) or memoryCaptions(..), not both");
            }
            ModelBundle bundle = bundle();
            Tokenizer tok = loadTokenizer(bundle).orElse(null);
            List<AutoCloseable> opened = new ArrayList<>();
            try {
                OnnxCaptionDecoder decoder = null;
                if (bundle.decoderFile().isPresent()) {
                    decoder = decoder(bundle, tok);
                    opened.add(decoder);
                }
                ClipLayout layout = null;
                if (bundle.manifest().clip() != null && bundle.manifest().clip().layout() != null) {
                    layout = ClipLayout.fromId(bundle.manifest().clip().layout());
                }
                OnnxImageEncoder image = null;
                if (bundle.imageEncoderFile().isPresent()) {
                    image = OnnxImageEncoder.builder().model(bundle.imageEncoderFile().get()).layout(layout)
                            .options(onnxOptions).dimension(bundle.embeddingDimension())
                            .preprocessor(BundlePreprocessing.of(bundle).orElse(null)).build();
                    opened.add(image);
                }
                OnnxTextEncoder text = null;
                if (bundle.textEncoderFile().isPresent() && tok != null) {
                    OnnxTextEncoder.Builder tb = OnnxTextEncoder.builder().model(bundle.textEncoderFile().get())
                            .tokenizer(tok).layout(layout).options(onnxOptions)
                            .dimension(bundle.embeddingDimension());
                    if (bundle.manifest().clip() != null && bundle.manifest().clip().contextLength() != null) {
                        tb.contextLength(bundle.manifest().clip().contextLength());
                    }
                    text = tb.build();
                    opened.add(text);
                }
                MemoryBank bank = memoryBank;
                if (memoryCaptions != null) {
                    if (text == null) {
                        throw new ConfigurationException("memoryCaptions(..) needs the bundle's text encoder and a "
                                + "tokenizer vocabulary; bundle " + bundle.directory() + " has "
                                + (bundle.textEncoderFile().isEmpty() ? "no text encoder" : "no vocabulary found"));
                    }
                    bank = InMemoryMemoryBank.encode(text, memoryCaptions, memoryProgress);
                }
                DeCap.Builder b = DeCap.builder().imageEncoder(image).textEncoder(text).memoryBank(bank)
                        .projector(projector != null ? projector : Projectors.projectionDecoding()).decoder(decoder)
                        .decodingOptions(decodingOptions != null ? decodingOptions
                                : DecodingOptions.greedy(bundle.maxTokens()));
                if (imageLoader != null) {
                    b.imageLoader(imageLoader);
                }
                return b.build();
            } catch (RuntimeException e) {
                for (AutoCloseable c : opened) {
                    try {
                        c.close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }
    }
}
