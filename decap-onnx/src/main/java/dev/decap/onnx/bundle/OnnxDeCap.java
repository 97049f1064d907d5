package dev.decap.onnx.bundle;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.ModelException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.image.ImageLoader;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.ProgressListener;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import dev.decap.projection.Projectors;
import dev.decap.projection.Projector;
import dev.decap.tokenization.Tokenizer;

import java.nio.file.Path;
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
 * loaded on ONNX Runtime (image encoder with the manifest's preprocessing, text encoder when a tokenizer was found,
 * decoder with its vocabulary map); the memory bank is the caller's, or is encoded from
 * {@link Builder#memoryCaptions(List) captions} with the bundle's text encoder.
 *
 * <p><b>Ownership:</b> {@link Builder#build()} loads a {@link DecapModel} and hands it over to the captioner, which
 * closes it (once the captioners derived from it with {@code withMemoryBank(..)} etc. are closed too); a memory bank
 * or projector given here stays the caller's. To use one loaded model for several captioners, or to outlive them,
 * {@link Builder#load()} the model yourself and make captioners from {@link DecapModel#captioner()}:
 *
 * <pre>{@code
 * try (DecapModel model = OnnxDeCap.fromBundle(dir).vocabulary(vocab).load()) {
 *     DeCap coco = model.captioner().memoryBank(cocoBank).build();
 *     DeCap products = coco.withMemoryBank(productBank);   // microseconds, nothing re-read
 * }
 * }</pre>
 */
public final class OnnxDeCap {

    private OnnxDeCap() {
    }

    /** Starts a builder for the bundle in {@code directory}. */
    public static Builder fromBundle(Path directory) {
        Arguments.requireNonNull(directory, "directory");
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
        private boolean verifyVocabulary = true;
        private OnnxOptions onnxOptions = OnnxOptions.DEFAULT;
        private boolean masking = true;
        private ImageLoader imageLoader;
        private ModelBundle opened;
        private boolean openedVerified;

        private Builder(Path directory) {
            this.directory = directory;
        }

        /**
         * The memory bank to project onto. Required unless {@link #memoryCaptions} is given. Stays the caller's:
         * the captioner never closes it. Checked at build (dimension, and a sample of rows: finite, unit length).
         */
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
         * Optional. A projector given here stays the caller's (the captioner never closes it). Default:
         * {@link Projectors#projectionDecoding()}: DeCap's projection decoding (tau 0.01), pure Java on all cores,
         * or ND4J gemm for batches when {@code decap-nd4j} is on the classpath (see docs/memory-and-projection.md),
         * created for and closed with the captioner.
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

        /**
         * Optional. Default: true, every file's SHA-256 and the manifest's own seal are checked against the manifest.
         * Off, only the cheap structural checks remain (recorded sizes, ONNX file structure); see {@link ModelBundle}.
         */
        public Builder verifyChecksums(boolean verify) {
            this.verifyChecksums = verify;
            return this;
        }

        /**
         * Optional. Default: true, a tokenizer vocabulary whose SHA-256 differs from the manifest's
         * {@code tokenizer.vocabulary_sha256} is refused (a different merges file gives different captions). Turn off
         * only to use a vocabulary you changed on purpose. Independent of {@link #verifyChecksums(boolean)}; not
         * applied to a {@link #tokenizer(Tokenizer) tokenizer given here}.
         */
        public Builder verifyVocabulary(boolean verify) {
            this.verifyVocabulary = verify;
            return this;
        }

        /**
         * Optional. Default: {@link OnnxOptions#DEFAULT}. Its {@link OnnxOptions.Builder#precision precision}
         * chooses among the decoder and image tower variants a bundle carries.
         */
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
            return BundleTokenizers.load(bundle, vocabulary, verifyVocabulary);
        }

        /**
         * Builds only the bundle's caption decoder (with the tokenizer, when found; in the precision the ONNX options
         * ask for), owned by the caller.
         */
        public OnnxCaptionDecoder buildDecoder() {
            ModelBundle bundle = bundle();
            Tokenizer t = loadTokenizer(bundle).orElse(null);
            try {
                return BundleDecoders.load(bundle, t, onnxOptions, masking);
            } catch (RuntimeException e) {
                throw bundle.naming(e);
            }
        }

        /**
         * Opens the bundle and loads every model it has, once, into one handle that the caller owns and closes.
         * Captioners made from it ({@link DecapModel#captioner()}) borrow its models. The memory settings of this
         * builder ({@code memoryBank}, {@code memoryCaptions}, {@code projector}) are not used here.
         *
         * @throws ModelException if the bundle or a model is missing, corrupt, or dimensions disagree, or the
         *                        manifest declares preprocessing this library does not implement
         */
        public DecapModel load() {
            ModelBundle bundle = bundle();
            return DecapModel.load(bundle, loadTokenizer(bundle).orElse(null), onnxOptions, masking, imageLoader,
                    decodingOptions);
        }

        /**
         * Opens the bundle, loads every component and builds the captioner, which owns the loaded model (see the
         * class comment).
         *
         * @throws ModelException         if the bundle or a model is missing, corrupt, or dimensions disagree
         * @throws ConfigurationException if no memory was given, or components disagree, or the bank is not made
         *                                of finite unit vectors
         */
        public DeCap build() {
            if (memoryBank != null && memoryCaptions != null) {
                throw new ConfigurationException("give either memoryBank(..) or memoryCaptions(..), not both");
            }
            DecapModel model = load();
            try {
                MemoryBank bank = memoryCaptions != null ? model.encodeMemory(memoryCaptions, memoryProgress) : memoryBank;
                if (bank instanceof MemoryBankFile file && bundle().textEncoderIdentity().isPresent()) {
                    // a bank file from another text tower lives in another embedding space: refuse it
                    file.requireEncoder(bundle().textEncoderIdentity().get(), bundle().embeddingDimension());
                } else if (bank instanceof ShardedMemoryBank sharded && bundle().textEncoderIdentity().isPresent()) {
                    sharded.requireEncoder(bundle().textEncoderIdentity().get(), bundle().embeddingDimension());
                }
                DeCap.Builder b = model.captioner().memoryBank(bank).owning(model);
                if (projector != null) {
                    b.projector(projector);
                }
                return b.build();
            } catch (RuntimeException e) {
                try {
                    model.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }
}
