package dev.decap;

import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.TextEncoder;
import dev.decap.image.ImageLoader;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.Projectors;
import dev.decap.projection.Projector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A zero-shot captioner: DeCap's image encoder → projector (over a memory bank) → caption decoder pipeline.
 *
 * <pre>{@code
 * try (DeCap decap = DeCap.builder()
 *         .imageEncoder(imageEncoder)
 *         .memoryBank(bank)
 *         .projector(projector)
 *         .decoder(decoder)
 *         .build()) {
 *     Caption caption = decap.caption(Path.of("photo.jpg"));
 * }
 * }</pre>
 *
 * <p><b>Thread safety:</b> a captioner is immutable and safe for concurrent callers as long as its components are
 * (the ONNX components of {@code decap-onnx} are). <b>Ownership:</b> the captioner owns the encoders and decoder
 * it was built with, and the projector and memory bank where they are {@link AutoCloseable}: {@link #close()}
 * closes them (once; later calls do nothing). A closed captioner throws {@link ClosedException}.
 *
 * <p><b>Vectors:</b> image embeddings are L2-normalised before projection; the projected prefix handed to the
 * decoder is a unit vector.
 */
public final class DeCap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeCap.class);

    private final ImageEncoder imageEncoder;
    private final TextEncoder textEncoder;
    private final MemoryBank memoryBank;
    private final Projector projector;
    private final CaptionDecoder decoder;
    private final DecodingOptions decodingOptions;
    private final ImageLoader imageLoader;
    private final int dimension;
    private final AtomicBoolean closed = new AtomicBoolean();

    private DeCap(Builder b, Projector projector, int dimension) {
        this.imageEncoder = b.imageEncoder;
        this.textEncoder = b.textEncoder;
        this.memoryBank = b.memoryBank;
        this.projector = projector;
        this.decoder = b.decoder;
        this.decodingOptions = b.decodingOptions == null ? DecodingOptions.DEFAULT : b.decodingOptions;
        this.imageLoader = b.imageLoader == null ? ImageLoader.defaults() : b.imageLoader;
        this.dimension = dimension;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Embedding dimension shared by every component of this captioner. */
    public int dimension() {
        return dimension;
    }

    /** The memory bank, or null when the projector needs none (visual decoding). */
    public MemoryBank memoryBank() {
        return memoryBank;
    }

    /** The decoding options used when a call does not pass its own. */
    public DecodingOptions decodingOptions() {
        return decodingOptions;
    }

    // ---------------------------------------------------------------- captioning images

    /** Captions a decoded image with this captioner's decoding options. */
    public Caption caption(BufferedImage image) {
        return captionEmbedding(encode(image), decodingOptions);
    }

    /** Captions a decoded image with the given decoding options. */
    public Caption caption(BufferedImage image, DecodingOptions options) {
        return captionEmbedding(encode(image), options);
    }

    /** Reads and captions an image file (JPEG, PNG, GIF, BMP). */
    public Caption caption(Path imageFile) {
        return caption(imageLoader.load(imageFile));
    }

    /** Decodes and captions image bytes. */
    public Caption caption(byte[] imageBytes) {
        return caption(imageLoader.load(imageBytes, "image bytes"));
    }

    /** Reads (fully, without closing it) and captions an image stream. */
    public Caption caption(InputStream imageStream) {
        return caption(imageLoader.load(imageStream, "image stream"));
    }

    /** Captions several images in one batch: one caption per image, in order. */
    public List<Caption> captionAll(List<BufferedImage> images) {
        return captionAll(images, decodingOptions);
    }

    /** Captions several images in one batch with the given decoding options. */
    public List<Caption> captionAll(List<BufferedImage> images, DecodingOptions options) {
        requireNonEmpty(images, "images");
        return captionEmbeddings(encodeAll(images), options);
    }

    /**
     * Captions a video given as frames: the frames' embeddings are normalised, averaged and re-normalised
     * (as the DeCap paper does for video), then projected and decoded as one image.
     */
    public Caption captionVideo(List<BufferedImage> frames) {
        requireNonEmpty(frames, "video frames");
        List<float[]> embeddings = encodeAll(frames);
        List<float[]> unit = new ArrayList<>(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++) {
            unit.add(Vectors.normalized(embeddings.get(i), "embedding of frame " + i));
        }
        return captionEmbedding(Vectors.normalizedMean(unit, "video frame embeddings"), decodingOptions);
    }

    // ---------------------------------------------------------------- captioning embeddings

    /**
     * Captions a precomputed CLIP image embedding (any non-zero length; it is normalised here). Useful when
     * embeddings come from elsewhere, e.g. a batch job.
     */
    public Caption captionEmbedding(float[] imageEmbedding) {
        return captionEmbedding(imageEmbedding, decodingOptions);
    }

    /** Captions a precomputed CLIP image embedding with the given decoding options. */
    public Caption captionEmbedding(float[] imageEmbedding, DecodingOptions options) {
        return captionEmbeddings(List.of(imageEmbedding), options).get(0);
    }

    /** Captions several precomputed embeddings in one batch. */
    public List<Caption> captionEmbeddings(List<float[]> imageEmbeddings, DecodingOptions options) {
        ensureOpen();
        requireNonEmpty(imageEmbeddings, "image embeddings");
        Objects.requireNonNull(options, "options");
        if (decoder == null) {
            throw new ConfigurationException("this captioner was built retrievalOnly(): it has no decoder; "
                    + "use retrieve(..) or build it with a decoder(..)");
        }
        List<float[]> unit = normalizeAll(imageEmbeddings);
        long t0 = System.nanoTime();
        List<Projection> projections = projector.projectAll(unit, memoryBank);
        long t1 = System.nanoTime();
        List<float[]> prefixes = new ArrayList<>(projections.size());
        for (Projection p : projections) {
            prefixes.add(p.vector());
        }
        List<DecodedCaption> decoded = decoder.decodeAll(prefixes, options);
        long t2 = System.nanoTime();
        if (LOG.isDebugEnabled()) {
            LOG.debug("captioned {} embedding(s): projection {} ms, decoding {} ms", unit.size(),
                    (t1 - t0) / 1_000_000.0, (t2 - t1) / 1_000_000.0);
        }
        List<Caption> out = new ArrayList<>(decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            DecodedCaption d = decoded.get(i);
            out.add(new Caption(d.text(), Caption.Method.DECODED, d.tokenIds(), d.tokenLogProbs(), d.score(),
                    projections.get(i).contributions()));
        }
        return out;
    }

    // ---------------------------------------------------------------- retrieval

    /** Retrieval baseline: returns the memory caption closest to the image, unchanged. */
    public Caption retrieve(BufferedImage image) {
        return retrieveEmbedding(encode(image));
    }

    /** Retrieval baseline for an image file. */
    public Caption retrieve(Path imageFile) {
        return retrieve(imageLoader.load(imageFile));
    }

    /** Retrieval baseline for a precomputed image embedding. */
    public Caption retrieveEmbedding(float[] imageEmbedding) {
        MemoryHit hit = nearestCaptions(imageEmbedding, 1).get(0);
        return new Caption(hit.caption(), Caption.Method.RETRIEVED, new int[0], new float[0], hit.similarity(),
                List.of(new Contribution(hit.index(), hit.caption(), hit.similarity(), 1f)));
    }

    /** The {@code k} memory captions closest to an image embedding, most similar first. */
    public List<MemoryHit> nearestCaptions(float[] imageEmbedding, int k) {
        ensureOpen();
        if (memoryBank == null) {
            throw new ConfigurationException("this captioner has no memory bank; retrieval needs one: "
                    + "set memoryBank(..) on the builder");
        }
        if (memoryBank.size() == 0) {
            throw new ConfigurationException("the memory bank is empty; add captions before retrieving");
        }
        return memoryBank.search(Vectors.normalized(
                Vectors.requireDimension(imageEmbedding, dimension, "image embedding"), "image embedding"), k);
    }

    // ---------------------------------------------------------------- text

    /**
     * Encodes text with the configured text encoder (as the memory bank's captions were encoded).
     *
     * @throws ConfigurationException if no text encoder was configured
     */
    public float[] encodeText(String text) {
        ensureOpen();
        if (textEncoder == null) {
            throw new ConfigurationException("no text encoder configured; set textEncoder(..) on the builder");
        }
        return textEncoder.encode(text);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** Closes the encoders, the decoder, and the projector and memory bank where they are closeable. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException first = null;
        for (Object component : new Object[] {imageEncoder, textEncoder, decoder, projector, memoryBank}) {
            if (component instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed: {}", component.getClass().getName(), e.toString());
                    if (first == null) {
                        first = new DecapException("closing " + component.getClass().getName() + " failed: " + e, e);
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ---------------------------------------------------------------- internals

    private float[] encode(BufferedImage image) {
        ensureOpen();
        requireImageEncoder();
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded BufferedImage");
        }
        return imageEncoder.encode(image);
    }

    private List<float[]> encodeAll(List<BufferedImage> images) {
        ensureOpen();
        requireImageEncoder();
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i) == null) {
                throw new InvalidInputException("image " + i + " of the batch is null");
            }
        }
        List<float[]> embeddings = imageEncoder.encodeAll(images);
        if (embeddings.size() != images.size()) {
            throw new InferenceException("the image encoder returned " + embeddings.size() + " embeddings for "
                    + images.size() + " images");
        }
        return embeddings;
    }

    private List<float[]> normalizeAll(List<float[]> embeddings) {
        List<float[]> unit = new ArrayList<>(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++) {
            String what = embeddings.size() == 1 ? "image embedding" : "image embedding " + i;
            unit.add(Vectors.normalized(Vectors.requireDimension(embeddings.get(i), dimension, what), what));
        }
        return unit;
    }

    private void requireImageEncoder() {
        if (imageEncoder == null) {
            throw new ConfigurationException("no image encoder configured, so images cannot be captioned; set "
                    + "imageEncoder(..) on the builder, or caption precomputed embeddings with captionEmbedding(..)");
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new ClosedException("this DeCap captioner is closed; build a new one");
        }
    }

    private static void requireNonEmpty(List<?> list, String what) {
        if (list == null || list.isEmpty()) {
            throw new InvalidInputException(what + ": the list is " + (list == null ? "null" : "empty")
                    + "; pass at least one");
        }
    }

    /**
     * Builds a {@link DeCap}. Required: a {@link #memoryBank(MemoryBank) memory bank} (unless the projector reads
     * none) and a {@link #decoder(CaptionDecoder) decoder} (unless {@link #retrievalOnly()}). Every component must agree on the embedding dimension; {@link #build()} checks
     * this and names the two components that disagree.
     */
    public static final class Builder {
        private ImageEncoder imageEncoder;
        private TextEncoder textEncoder;
        private MemoryBank memoryBank;
        private Projector projector;
        private CaptionDecoder decoder;
        private DecodingOptions decodingOptions;
        private ImageLoader imageLoader;
        private boolean retrievalOnly;

        private Builder() {
        }

        /** Optional: without one, only precomputed embeddings can be captioned. */
        public Builder imageEncoder(ImageEncoder imageEncoder) {
            this.imageEncoder = imageEncoder;
            return this;
        }

        /** Optional: used by {@link DeCap#encodeText(String)}, e.g. to extend the memory with new captions. */
        public Builder textEncoder(TextEncoder textEncoder) {
            this.textEncoder = textEncoder;
            return this;
        }

        /** Required unless the projector reads no memory (visual decoding). */
        public Builder memoryBank(MemoryBank memoryBank) {
            this.memoryBank = memoryBank;
            return this;
        }

        /**
         * Optional: projection decoding, nearest-neighbour decoding or visual decoding.
         * Default: {@link Projectors#projectionDecoding()} (DeCap's projection-based decoding, τ = 0.01, from the
         * best implementation on the classpath).
         */
        public Builder projector(Projector projector) {
            this.projector = projector;
            return this;
        }

        /** Required unless {@link #retrievalOnly()}. */
        public Builder decoder(CaptionDecoder decoder) {
            this.decoder = decoder;
            return this;
        }

        /** Optional. Default: {@link DecodingOptions#DEFAULT} (greedy, at most 30 tokens). */
        public Builder decodingOptions(DecodingOptions options) {
            this.decodingOptions = options;
            return this;
        }

        /** Optional. Default: {@link ImageLoader#defaults()}. */
        public Builder imageLoader(ImageLoader imageLoader) {
            this.imageLoader = imageLoader;
            return this;
        }

        /** Declares a captioner without decoder that only retrieves memory captions. */
        public Builder retrievalOnly() {
            this.retrievalOnly = true;
            return this;
        }

        /**
         * Validates the configuration and builds the captioner.
         *
         * @throws ConfigurationException if a required component is missing or two components disagree on the
         *                                embedding dimension ("expected 512, found 768")
         */
        public DeCap build() {
            List<String> missing = new ArrayList<>();
            if (!retrievalOnly && decoder == null) {
                missing.add("decoder(..) (or declare retrievalOnly())");
            }
            Projector resolved = projector != null || retrievalOnly ? projector : Projectors.projectionDecoding();
            boolean needsMemory = retrievalOnly || resolved.usesMemory();
            if (needsMemory && memoryBank == null) {
                missing.add("memoryBank(..)");
            }
            if (!missing.isEmpty()) {
                throw new ConfigurationException("DeCap builder is missing " + String.join(", ", missing));
            }
            if (retrievalOnly && decoder != null) {
                throw new ConfigurationException("retrievalOnly() was declared but a decoder was set; drop one");
            }
            DimensionCheck dims = new DimensionCheck();
            if (imageEncoder != null) {
                dims.add("image encoder", imageEncoder.dimension());
            }
            if (memoryBank != null) {
                dims.add("memory bank", memoryBank.dimension());
            }
            if (decoder != null) {
                dims.add("decoder prefix", decoder.prefixDimension());
            }
            if (textEncoder != null) {
                dims.add("text encoder", textEncoder.dimension());
            }
            if (dims.name == null) {
                throw new ConfigurationException("DeCap builder has no component that fixes the embedding "
                        + "dimension; set at least an image encoder, a memory bank or a decoder");
            }
            DeCap decap = new DeCap(this, resolved, dims.dimension);
            LOG.debug("built DeCap: dimension {}, memory {}, projector {}, decoder {}", dims.dimension,
                    memoryBank == null ? "none" : memoryBank.size() + " entries",
                    resolved == null ? "none" : resolved.getClass().getSimpleName(),
                    decoder == null ? "none (retrieval only)" : decoder.getClass().getSimpleName());
            return decap;
        }
    }

    /** Collects component dimensions and fails on the first disagreement, naming both components. */
    private static final class DimensionCheck {
        private String name;
        private int dimension;

        void add(String component, int dim) {
            if (dim <= 0) {
                throw new ConfigurationException(component + " reports dimension " + dim + "; it must be positive");
            }
            if (name == null) {
                name = component;
                dimension = dim;
            } else if (dim != dimension) {
                throw new ConfigurationException(component + " does not match " + name + ": expected " + dimension
                        + " (the " + name + "'s dimension), found " + dim
                        + "; use components built for the same CLIP model");
            }
        }
    }
}
