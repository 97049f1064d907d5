package dev.decap;

import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.PreparedImages;
import dev.decap.encoding.TextEncoder;
import dev.decap.image.DecodedImage;
import dev.decap.image.ImageLoader;
import dev.decap.internal.Components;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryBankChecks;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
 * (the ONNX components of {@code decap-onnx} are).
 *
 * <p><b>Batches, pipelined:</b> {@link #captionAll} and {@link #captionFiles} caption their images in batches of
 * {@link Builder#batchSize(int) batchSize}: each batch is encoded in one image-encoder call, projected in one
 * {@link Projector#projectAll} pass and decoded in one {@link CaptionDecoder#decodeAll} call (all its prefixes
 * together). While a batch is encoded, projected and decoded on the caller's thread, the next one is read, decoded
 * and preprocessed ({@link ImageEncoder#prepareAll}) on a producer thread, at most one batch ahead. Producer threads
 * come from one small pool per captioner (shared with the captioners derived from it, at most one thread per
 * processor; when all are busy the caller prepares the batch itself) and are stopped when the last of those
 * captioners is closed. The results are those of captioning the images one at a time, in order. The first image
 * that cannot be read, decoded or encoded stops the call with its exception (naming the file or the index), as a
 * one-at-a-time loop would; the batch prepared ahead is abandoned and closed, and no work of the call goes on after
 * it returns or throws. A captioner closed during the call makes it throw {@link ClosedException} at the next
 * batch. Each stage can be timed with a {@link StageListener}.
 *
 * <p><b>Ownership: a captioner closes only what it was given to own or created itself.</b>
 * <ul>
 *   <li>The image encoder, text encoder and decoder given to the builder are owned (closed by {@link #close()})
 *       unless {@link Builder#ownsComponents(boolean) ownsComponents(false)} is declared, e.g. because they belong
 *       to a loaded model that outlives the captioner.</li>
 *   <li>A memory bank or projector given to the builder is never closed: it stays the caller's.</li>
 *   <li>What the captioner created (the default projector of {@link Projectors#projectionDecoding()} when it is
 *       {@link AutoCloseable}) and what was handed over with {@link Builder#owning(AutoCloseable)} is closed.</li>
 *   <li>{@link #withMemoryBank}, {@link #withProjector} and {@link #withDecodingOptions} derive a new captioner in
 *       microseconds that shares this one's components (nothing is re-read or re-opened). What the captioners own
 *       is reference-counted: it is closed when the last of them is closed, so the original keeps working until it
 *       is closed and a derived captioner keeps working after the original is closed.</li>
 * </ul>
 * {@link #close()} is idempotent; a closed captioner throws {@link ClosedException}.
 *
 * <p><b>Null arguments:</b> every public method refuses a null argument (or a null element of a list) with
 * {@link InvalidInputException} naming the parameter, never a bare {@link NullPointerException}. The one exception
 * is {@link #withMemoryBank}, where null means "no memory" for a projector that reads none.
 *
 * <p><b>Vectors, checked and normalised once, here:</b> image embeddings (from the encoder or the caller) are
 * checked for their dimension and finiteness and L2-normalised once, then handed to the projector, whose contract
 * is to receive unit vectors; the projected prefix handed to the decoder is a unit vector. A memory bank is checked
 * when the captioner is built or derived (dimension, and a sample of rows: finite and of unit length) and at use
 * (a NaN or a cosine similarity above 1 is refused with a message naming the entry).
 *
 * <p><b>Components that fail:</b> the encoders, memory bank, projector and decoder are called through a guard. A
 * {@link DecapException} they throw passes through unchanged; any other {@link RuntimeException} becomes an
 * {@link InferenceException} naming the component (its role and class) and the call, row or image, with the
 * original as its cause. What they return is checked too: an embedding of the wrong length, a NaN, an all-zero
 * vector, a wrong count of results or a bank row of the wrong dimension is an {@link InferenceException}
 * ("expected 512, found 511") naming the component.
 */
public final class DeCap implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeCap.class);

    private final ImageEncoder imageEncoder;
    private final TextEncoder textEncoder;
    private final MemoryBank memoryBank;
    /** {@link #memoryBank} behind its guard ({@link GuardedMemoryBank}): what the projector and retrieval use. */
    private final MemoryBank guardedBank;
    private final Projector projector;
    private final CaptionDecoder decoder;
    private final DecodingOptions decodingOptions;
    private final ImageLoader imageLoader;
    private final int dimension;
    private final boolean retrievalOnly;
    private final int batchSize;
    private final StageListener stageListener;
    private final SharedResources owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Default of {@link Builder#batchSize(int)}. */
    public static final int DEFAULT_BATCH_SIZE = 32;
    /** Largest {@link Builder#batchSize(int)}. */
    public static final int MAX_BATCH_SIZE = 4096;

    private DeCap(ImageEncoder imageEncoder, TextEncoder textEncoder, MemoryBank memoryBank, Projector projector,
                  CaptionDecoder decoder, DecodingOptions decodingOptions, ImageLoader imageLoader, int dimension,
                  boolean retrievalOnly, int batchSize, StageListener stageListener, SharedResources owned) {
        this.imageEncoder = imageEncoder;
        this.textEncoder = textEncoder;
        this.memoryBank = memoryBank;
        this.guardedBank = GuardedMemoryBank.of(memoryBank);
        this.projector = projector;
        this.decoder = decoder;
        this.decodingOptions = decodingOptions;
        this.imageLoader = imageLoader;
        this.dimension = dimension;
        this.retrievalOnly = retrievalOnly;
        this.batchSize = batchSize;
        this.stageListener = stageListener;
        this.owned = owned;
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

    /** The projector (null only for a {@link Builder#retrievalOnly() retrieval-only} captioner). */
    public Projector projector() {
        return projector;
    }

    /** Most images per batch of {@link #captionAll} and {@link #captionFiles}; see {@link Builder#batchSize}. */
    public int batchSize() {
        return batchSize;
    }

    // ---------------------------------------------------------------- cheap swaps

    /**
     * A new captioner that projects onto {@code bank} and shares everything else with this one: no model is
     * re-read or re-opened, and the call costs microseconds (plus a check of a sample of the bank's rows). The bank
     * stays the caller's: no captioner closes it. This captioner is unchanged and keeps working until it is closed.
     *
     * @throws ConfigurationException if the bank's dimension differs from this captioner's, or a sampled row is
     *                                not finite or not of unit length (normalise with {@link Vectors#normalized})
     * @throws ClosedException        if this captioner is closed
     */
    public DeCap withMemoryBank(MemoryBank bank) {
        ensureOpen();
        if (bank == null && (retrievalOnly || (projector != null && projector.usesMemory()))) {
            throw new ConfigurationException("memory bank is null; this captioner's projector reads a memory bank:"
                    + " pass one (or derive withProjector(Projectors.visual()) to decode without memory)");
        }
        if (bank != null) {
            checkBank(bank, dimension, "the memory bank given to withMemoryBank(..)");
        }
        return derive(bank, projector, decodingOptions);
    }

    /**
     * A new captioner that uses {@code projector} and shares everything else with this one (see
     * {@link #withMemoryBank}). The projector stays the caller's: no captioner closes it.
     *
     * @throws ConfigurationException if the projector reads a memory bank and this captioner has none
     * @throws ClosedException        if this captioner is closed
     */
    public DeCap withProjector(Projector projector) {
        ensureOpen();
        requireArgument(projector, "projector", "a Projector (e.g. Projectors.visual())");
        if (retrievalOnly) {
            throw new ConfigurationException("this captioner was built retrievalOnly(): it has no decoder, so a "
                    + "projector has nothing to feed; build a captioner with a decoder(..)");
        }
        if (projector.usesMemory() && memoryBank == null) {
            throw new ConfigurationException("the projector reads a memory bank and this captioner has none; "
                    + "derive withMemoryBank(..) first");
        }
        return derive(memoryBank, projector, decodingOptions);
    }

    /**
     * A new captioner whose calls without options use {@code options}; everything else is shared with this one
     * (see {@link #withMemoryBank}).
     *
     * @throws ClosedException if this captioner is closed
     */
    public DeCap withDecodingOptions(DecodingOptions options) {
        ensureOpen();
        requireArgument(options, "options", OPTIONS_HINT);
        return derive(memoryBank, projector, options);
    }

    /**
     * A new captioner whose {@link #captionAll} and {@link #captionFiles} run batches of {@code batchSize} images;
     * everything else is shared with this one (see {@link #withMemoryBank}).
     *
     * @throws InvalidInputException if {@code batchSize} is not between 1 and {@link #MAX_BATCH_SIZE}
     * @throws ClosedException       if this captioner is closed
     */
    public DeCap withBatchSize(int batchSize) {
        ensureOpen();
        checkBatchSize(batchSize);
        owned.acquire();
        return new DeCap(imageEncoder, textEncoder, memoryBank, projector, decoder, decodingOptions, imageLoader,
                dimension, retrievalOnly, batchSize, stageListener, owned);
    }

    /**
     * A new captioner that reports the time of each pipeline stage to {@code listener}; everything else is shared
     * with this one (see {@link #withMemoryBank}). {@link StageListener#NONE} reports nothing.
     *
     * @throws ClosedException if this captioner is closed
     */
    public DeCap withStageListener(StageListener listener) {
        ensureOpen();
        requireArgument(listener, "listener", "a StageListener (StageListener.NONE for none)");
        owned.acquire();
        return new DeCap(imageEncoder, textEncoder, memoryBank, projector, decoder, decodingOptions, imageLoader,
                dimension, retrievalOnly, batchSize, listener, owned);
    }

    private DeCap derive(MemoryBank bank, Projector p, DecodingOptions options) {
        owned.acquire();
        return new DeCap(imageEncoder, textEncoder, bank, p, decoder, options, imageLoader, dimension,
                retrievalOnly, batchSize, stageListener, owned);
    }

    private static void checkBatchSize(int batchSize) {
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new InvalidInputException("batchSize must be between 1 and " + MAX_BATCH_SIZE + ", found "
                    + batchSize);
        }
    }

    // ---------------------------------------------------------------- captioning images

    /** Captions a decoded image with this captioner's decoding options. */
    public Caption caption(BufferedImage image) {
        return caption(image, decodingOptions);
    }

    /** Captions a decoded image with the given decoding options. */
    public Caption caption(BufferedImage image, DecodingOptions options) {
        requireArgument(options, "options", OPTIONS_HINT);
        ensureOpen();
        requireImageEncoder();
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded BufferedImage");
        }
        return pipeline(List.of(image), this::prepareBuffered, options).get(0);
    }

    /**
     * Reads and captions an image file (JPEG, PNG, GIF, BMP). The file's decoded pixels go straight to the image
     * encoder's preprocessing ({@link ImageLoader#decode(Path)}), without a {@code BufferedImage}.
     */
    public Caption caption(Path imageFile) {
        ensureOpen();
        requireImageEncoder();
        requireArgument(imageFile, "imageFile", "the path of an image file");
        return pipeline(List.of(imageFile), this::prepareFiles, decodingOptions).get(0);
    }

    /** Decodes and captions image bytes. */
    public Caption caption(byte[] imageBytes) {
        ensureOpen();
        requireImageEncoder();
        requireArgument(imageBytes, "imageBytes", "the bytes of an image file (JPEG, PNG, GIF, BMP)");
        return caption(timedDecode(() -> imageLoader.decode(imageBytes, "passed as bytes")));
    }

    /** Reads (fully, without closing it) and captions an image stream. */
    public Caption caption(InputStream imageStream) {
        ensureOpen();
        requireImageEncoder();
        requireArgument(imageStream, "imageStream", "a stream of an image file (JPEG, PNG, GIF, BMP)");
        return caption(timedDecode(() -> imageLoader.decode(imageStream, "read from the stream")));
    }

    /** Captions an image decoded by {@link ImageLoader#decode}. */
    public Caption caption(DecodedImage image) {
        ensureOpen();
        requireImageEncoder();
        if (image == null) {
            throw new InvalidInputException("image is null; pass an image decoded by ImageLoader.decode(..)");
        }
        return pipeline(List.of(image), this::prepareDecoded, decodingOptions).get(0);
    }

    /**
     * Captions several images, one caption per image, in order, in pipelined batches (see the class comment):
     * the same captions as {@link #caption(BufferedImage)} of each image.
     */
    public List<Caption> captionAll(List<BufferedImage> images) {
        return captionAll(images, decodingOptions);
    }

    /** Captions several images in pipelined batches with the given decoding options; see {@link #captionAll(List)}. */
    public List<Caption> captionAll(List<BufferedImage> images, DecodingOptions options) {
        requireArgument(options, "options", OPTIONS_HINT);
        requireNonEmpty(images, "images");
        ensureOpen();
        requireImageEncoder();
        requireNoNull(images, i -> "image " + i + " of the batch is null");
        return pipeline(images, this::prepareBuffered, options);
    }

    /**
     * Reads and captions several image files, one caption per file, in order, in pipelined batches (see the class
     * comment): files are read, decoded and preprocessed one batch ahead of the model. The same captions as
     * {@link #caption(Path)} of each file; the first file that cannot be read stops the call with an
     * {@link ImageDecodingException} (or {@link InvalidInputException}) naming it.
     */
    public List<Caption> captionFiles(List<Path> imageFiles) {
        return captionFiles(imageFiles, decodingOptions);
    }

    /** Reads and captions several image files with the given decoding options; see {@link #captionFiles(List)}. */
    public List<Caption> captionFiles(List<Path> imageFiles, DecodingOptions options) {
        requireArgument(options, "options", OPTIONS_HINT);
        requireNonEmpty(imageFiles, "imageFiles");
        ensureOpen();
        requireImageEncoder();
        requireNoNull(imageFiles, i -> "image file " + i + " of the list is null; pass the path of an image file");
        return pipeline(imageFiles, this::prepareFiles, options);
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
            String what = "embedding of frame " + i;
            unit.add(Vectors.normalized(Vectors.requireDimension(embeddings.get(i), dimension, what), what));
        }
        // The pooled mean is a unit vector already: it goes to the projector without another normalisation.
        return captionUnit(List.of(Vectors.normalizedMean(unit, "video frame embeddings")), decodingOptions).get(0);
    }

    // ---------------------------------------------------------------- captioning embeddings

    /**
     * Captions a precomputed CLIP image embedding (any non-zero length; it is normalised here, once, before it is
     * projected). Useful when embeddings come from elsewhere, e.g. a batch job.
     */
    public Caption captionEmbedding(float[] imageEmbedding) {
        requireArgument(imageEmbedding, "imageEmbedding", EMBEDDING_HINT);
        return captionEmbedding(imageEmbedding, decodingOptions);
    }

    /** Captions a precomputed CLIP image embedding with the given decoding options. */
    public Caption captionEmbedding(float[] imageEmbedding, DecodingOptions options) {
        requireArgument(imageEmbedding, "imageEmbedding", EMBEDDING_HINT);
        requireArgument(options, "options", OPTIONS_HINT);
        return captionEmbeddings(List.of(imageEmbedding), options).get(0);
    }

    /** Captions several precomputed embeddings in one batch. */
    public List<Caption> captionEmbeddings(List<float[]> imageEmbeddings, DecodingOptions options) {
        ensureOpen();
        requireNonEmpty(imageEmbeddings, "imageEmbeddings");
        requireArgument(options, "options", OPTIONS_HINT);
        return captionUnit(normalizeAll(imageEmbeddings), options);
    }

    /** The one path every caption takes: unit embeddings, checked and normalised once above, projected and decoded. */
    private List<Caption> captionUnit(List<float[]> unit, DecodingOptions options) {
        ensureOpen();
        requireArgument(options, "options", OPTIONS_HINT);
        if (decoder == null) {
            throw new ConfigurationException("this captioner was built retrievalOnly(): it has no decoder; "
                    + "use retrieve(..) or build it with a decoder(..)");
        }
        long t0 = System.nanoTime();
        String batch = unit.size() == 1 ? "projectAll(1 embedding)" : "projectAll(" + unit.size() + " embeddings)";
        List<Projection> projections = Components.call("projector", projector, batch,
                () -> projector.projectAll(unit, guardedBank));
        if (projections == null || projections.size() != unit.size()) {
            throw new InferenceException(Components.describe("projector", projector) + " returned the wrong number "
                    + "of projections: expected " + unit.size() + ", found "
                    + (projections == null ? "null" : projections.size()));
        }
        long t1 = System.nanoTime();
        report(StageListener.Stage.PROJECT, unit.size(), t1 - t0);
        List<float[]> prefixes = new ArrayList<>(projections.size());
        for (int i = 0; i < projections.size(); i++) {
            Projection p = projections.get(i);
            String what = unit.size() == 1 ? "the embedding" : "embedding " + i;
            if (p == null) {
                throw new InferenceException(Components.describe("projector", projector) + " returned no projection "
                        + "(null) for " + what);
            }
            prefixes.add(Components.checkEmbedding(p.vector(), dimension, "projector", projector, what));
        }
        List<DecodedCaption> decoded = Components.call("caption decoder", decoder,
                "decodeAll(" + prefixes.size() + " prefixes)", () -> decoder.decodeAll(prefixes, options));
        if (decoded == null || decoded.size() != prefixes.size()) {
            throw new InferenceException(Components.describe("caption decoder", decoder) + " returned the wrong "
                    + "number of captions: expected " + prefixes.size() + ", found "
                    + (decoded == null ? "null" : decoded.size()));
        }
        long t2 = System.nanoTime();
        report(StageListener.Stage.DECODE_TOKENS, unit.size(), t2 - t1);
        if (LOG.isDebugEnabled()) {
            LOG.debug("captioned {} embedding(s): projection {} ms, decoding {} ms", unit.size(),
                    (t1 - t0) / 1_000_000.0, (t2 - t1) / 1_000_000.0);
        }
        List<Caption> out = new ArrayList<>(decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            DecodedCaption d = decoded.get(i);
            if (d == null) {
                throw new InferenceException(Components.describe("caption decoder", decoder) + " returned no caption "
                        + "(null) for prefix " + i);
            }
            out.add(new Caption(d.text(), Caption.Method.DECODED, d.tokenIds(), d.tokenLogProbs(), d.score(),
                    projections.get(i).contributions()));
        }
        return out;
    }

    // ---------------------------------------------------------------- the batch pipeline

    /** Makes one batch of inputs ready for the image encoder (reading and decoding them first if need be). */
    @FunctionalInterface
    private interface Preparer<T> {
        PreparedImages prepare(List<T> batch, AtomicBoolean abandoned);
    }

    /**
     * Captions {@code inputs} in batches of {@link #batchSize}: batch k+1 is prepared on a producer thread while
     * batch k is encoded, projected and decoded here. See the class comment for the guarantees.
     */
    private <T> List<Caption> pipeline(List<T> inputs, Preparer<T> preparer, DecodingOptions options) {
        if (decoder == null) {
            throw new ConfigurationException("this captioner was built retrievalOnly(): it has no decoder; "
                    + "use retrieve(..) or build it with a decoder(..)");
        }
        int n = inputs.size();
        List<Caption> out = new ArrayList<>(n);
        AtomicBoolean abandoned = new AtomicBoolean();
        PreparedImages current = preparer.prepare(inputs.subList(0, Math.min(n, batchSize)), abandoned);
        for (int from = 0; from < n; from += batchSize) {
            int next = from + batchSize;
            Future<PreparedImages> ahead = null;
            try {
                if (next < n) {
                    List<T> batch = inputs.subList(next, Math.min(n, next + batchSize));
                    ahead = submit(() -> {
                        PreparedImages p = preparer.prepare(batch, abandoned);
                        if (abandoned.get()) { // nobody will take it
                            p.close();
                        }
                        return p;
                    });
                }
                out.addAll(encodeAndCaption(current, from, n, options));
            } catch (RuntimeException | Error e) {
                abandoned.set(true);
                closeQuietly(awaitQuietly(ahead));
                throw e;
            } finally {
                current.close();
            }
            if (ahead != null) {
                current = await(ahead, abandoned);
            }
        }
        return out;
    }

    /** Encodes a prepared batch (images {@code from..} of {@code total}), then projects and decodes it. */
    private List<Caption> encodeAndCaption(PreparedImages batch, int from, int total, DecodingOptions options) {
        ensureOpen();
        long t0 = System.nanoTime();
        List<float[]> embeddings = requireEmbeddings(Components.call("image encoder", imageEncoder,
                "encodePrepared(" + batch.size() + " images)", () -> imageEncoder.encodePrepared(batch)),
                batch.size(), from);
        report(StageListener.Stage.ENCODE, batch.size(), System.nanoTime() - t0);
        return captionUnit(normalizeAll(embeddings, from, total), options);
    }

    private PreparedImages prepareBuffered(List<BufferedImage> batch, AtomicBoolean abandoned) {
        long t0 = System.nanoTime();
        PreparedImages p = Components.call("image encoder", imageEncoder,
                "prepareAll(" + batch.size() + " images)", () -> imageEncoder.prepareAll(batch));
        requirePrepared(p, batch.size(), "prepareAll");
        report(StageListener.Stage.PREPROCESS, batch.size(), System.nanoTime() - t0);
        return p;
    }

    private PreparedImages prepareDecoded(List<DecodedImage> batch, AtomicBoolean abandoned) {
        long t0 = System.nanoTime();
        PreparedImages p = Components.call("image encoder", imageEncoder,
                "prepareAllDecoded(" + batch.size() + " images)", () -> imageEncoder.prepareAllDecoded(batch));
        requirePrepared(p, batch.size(), "prepareAllDecoded");
        report(StageListener.Stage.PREPROCESS, batch.size(), System.nanoTime() - t0);
        return p;
    }

    private void requirePrepared(PreparedImages p, int images, String call) {
        if (p == null || p.size() != images) {
            throw new InferenceException(Components.describe("image encoder", imageEncoder) + " returned the wrong "
                    + "prepared batch from " + call + " for " + images + " images: expected " + images + ", found "
                    + (p == null ? "null" : p.size()));
        }
    }

    private PreparedImages prepareFiles(List<Path> batch, AtomicBoolean abandoned) {
        long t0 = System.nanoTime();
        List<DecodedImage> decoded = new ArrayList<>(batch.size());
        for (Path file : batch) {
            if (abandoned.get()) {
                throw new InferenceException("abandoned: an earlier image of the call failed");
            }
            decoded.add(imageLoader.decode(file));
        }
        report(StageListener.Stage.DECODE_IMAGE, batch.size(), System.nanoTime() - t0);
        return prepareDecoded(decoded, abandoned);
    }

    private DecodedImage timedDecode(java.util.function.Supplier<DecodedImage> decode) {
        long t0 = System.nanoTime();
        DecodedImage image = decode.get();
        report(StageListener.Stage.DECODE_IMAGE, 1, System.nanoTime() - t0);
        return image;
    }

    private <V> Future<V> submit(Callable<V> task) {
        try {
            return owned.producers().submit(task);
        } catch (RejectedExecutionException e) {
            throw new ClosedException("this DeCap captioner was closed during the call; build a new one");
        }
    }

    /** The batch prepared ahead, or its exception as the producer threw it. */
    private static PreparedImages await(Future<PreparedImages> ahead, AtomicBoolean abandoned) {
        try {
            return ahead.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new InferenceException("preparing images failed: " + cause, cause);
        } catch (InterruptedException e) {
            abandoned.set(true);
            Thread.currentThread().interrupt();
            throw new InferenceException("interrupted while waiting for the next batch of images", e);
        }
    }

    /** Waits for an abandoned batch so that no work of the call outlives it; its result or failure is dropped. */
    private static PreparedImages awaitQuietly(Future<PreparedImages> ahead) {
        if (ahead == null) {
            return null;
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return ahead.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                    return null;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(PreparedImages batch) {
        if (batch != null) {
            try {
                batch.close();
            } catch (RuntimeException e) {
                LOG.warn("closing prepared images failed: {}", e.toString());
            }
        }
    }

    private void report(StageListener.Stage stage, int items, long nanos) {
        if (stageListener == StageListener.NONE) {
            return;
        }
        try {
            stageListener.stageCompleted(stage, items, nanos);
        } catch (RuntimeException e) {
            LOG.warn("stage listener failed on {}: {}", stage, e.toString());
        }
    }

    // ---------------------------------------------------------------- retrieval

    /** Retrieval baseline: returns the memory caption closest to the image, unchanged. */
    public Caption retrieve(BufferedImage image) {
        return retrieveEmbedding(encode(image));
    }

    /** Retrieval baseline for an image file. */
    public Caption retrieve(Path imageFile) {
        return retrieveEmbedding(encode(decode(imageFile)));
    }

    /** Retrieval baseline for a precomputed image embedding. */
    public Caption retrieveEmbedding(float[] imageEmbedding) {
        requireArgument(imageEmbedding, "imageEmbedding", EMBEDDING_HINT);
        MemoryHit hit = nearestCaptions(imageEmbedding, 1).get(0);
        return new Caption(hit.caption(), Caption.Method.RETRIEVED, new int[0], new float[0], hit.similarity(),
                List.of(new Contribution(hit.index(), hit.caption(), hit.similarity(), 1f)));
    }

    /** The {@code k} memory captions closest to an image embedding, most similar first. */
    public List<MemoryHit> nearestCaptions(float[] imageEmbedding, int k) {
        ensureOpen();
        requireArgument(imageEmbedding, "imageEmbedding", EMBEDDING_HINT);
        if (memoryBank == null) {
            throw new ConfigurationException("this captioner has no memory bank; retrieval needs one: "
                    + "set memoryBank(..) on the builder, or derive withMemoryBank(..)");
        }
        if (guardedBank.size() == 0) {
            throw new ConfigurationException("the memory bank is empty; add captions before retrieving");
        }
        return guardedBank.search(Vectors.normalized(
                Vectors.requireDimension(imageEmbedding, dimension, "image embedding"), "image embedding"), k);
    }

    // ---------------------------------------------------------------- text

    /**
     * Encodes text with the configured text encoder (as the memory bank's captions were encoded).
     *
     * @return a new <b>unit-length</b> embedding of {@link #dimension()} floats (the encoder's output, normalised),
     *         ready to be added to a memory bank or compared with {@link #encodeImage} by a dot product
     * @throws ConfigurationException if no text encoder was configured
     */
    public float[] encodeText(String text) {
        ensureOpen();
        requireArgument(text, "text", "a string (it may be empty)");
        if (textEncoder == null) {
            throw new ConfigurationException("no text encoder configured; set textEncoder(..) on the builder");
        }
        float[] e = Components.call("text encoder", textEncoder, "encode(text)", () -> textEncoder.encode(text));
        return Vectors.normalized(Components.checkEmbedding(e, dimension, "text encoder", textEncoder, "the text"),
                "text embedding");
    }

    /**
     * Encodes an image with the configured image encoder.
     *
     * @return a new <b>unit-length</b> embedding of {@link #dimension()} floats (the encoder's output, normalised),
     *         as it is handed to the projector
     * @throws ConfigurationException if no image encoder was configured
     */
    public float[] encodeImage(BufferedImage image) {
        return normalizeAll(List.of(encode(image))).get(0);
    }

    /** Reads and encodes an image file; see {@link #encodeImage(BufferedImage)}. The result is unit length. */
    public float[] encodeImage(Path imageFile) {
        return normalizeAll(List.of(encode(decode(imageFile)))).get(0);
    }

    // ---------------------------------------------------------------- lifecycle

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Closes this captioner. What it owns (see the class comment: the components given to own, what it created,
     * what was handed over with {@link Builder#owning}) is closed once no captioner derived from it, or that it was
     * derived from, is open any more. Memory banks and projectors supplied by the caller are never closed.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        owned.release();
    }

    // ---------------------------------------------------------------- internals

    private float[] encode(BufferedImage image) {
        ensureOpen();
        requireImageEncoder();
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded BufferedImage");
        }
        return Components.checkEmbedding(Components.call("image encoder", imageEncoder, "encode(image)",
                () -> imageEncoder.encode(image)), dimension, "image encoder", imageEncoder, "the image");
    }

    private float[] encode(DecodedImage image) {
        ensureOpen();
        requireImageEncoder();
        if (image == null) {
            throw new InvalidInputException("image is null; pass an image decoded by ImageLoader.decode(..)");
        }
        return Components.checkEmbedding(Components.call("image encoder", imageEncoder, "encode(decoded image)",
                () -> imageEncoder.encode(image)), dimension, "image encoder", imageEncoder, "the image");
    }

    private DecodedImage decode(Path imageFile) {
        ensureOpen();
        requireImageEncoder();
        requireArgument(imageFile, "imageFile", "the path of an image file");
        return imageLoader.decode(imageFile);
    }

    private List<float[]> encodeAll(List<BufferedImage> images) {
        ensureOpen();
        requireImageEncoder();
        requireNoNull(images, i -> "image " + i + " of the batch is null");
        return requireEmbeddings(Components.call("image encoder", imageEncoder,
                "encodeAll(" + images.size() + " images)", () -> imageEncoder.encodeAll(images)), images.size(), 0);
    }

    /** Checks what the image encoder returned for a batch of {@code images} (images {@code from..} of the call). */
    private List<float[]> requireEmbeddings(List<float[]> embeddings, int images, int from) {
        if (embeddings == null || embeddings.size() != images) {
            throw new InferenceException(Components.describe("image encoder", imageEncoder) + " returned the wrong "
                    + "number of embeddings for " + images + " images: expected " + images + ", found "
                    + (embeddings == null ? "null" : embeddings.size()));
        }
        for (int i = 0; i < embeddings.size(); i++) {
            Components.checkEmbedding(embeddings.get(i), dimension, "image encoder", imageEncoder,
                    "image " + (from + i));
        }
        return embeddings;
    }

    private List<float[]> normalizeAll(List<float[]> embeddings) {
        return normalizeAll(embeddings, 0, embeddings.size());
    }

    /** Checks and normalises embeddings {@code from..} of a call of {@code total}, naming each by its index. */
    private List<float[]> normalizeAll(List<float[]> embeddings, int from, int total) {
        List<float[]> unit = new ArrayList<>(embeddings.size());
        for (int i = 0; i < embeddings.size(); i++) {
            String what = total == 1 ? "image embedding" : "image embedding " + (from + i);
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

    /**
     * Checks a memory bank that comes from the caller: its dimension, and a sample of its rows (finite, of unit
     * length), so that a bank of raw encoder outputs is refused before it gives silently wrong captions.
     */
    static void checkBank(MemoryBank callersBank, int dimension, String what) {
        MemoryBank bank = GuardedMemoryBank.of(callersBank);
        if (bank.dimension() != dimension) {
            throw new ConfigurationException(what + " does not match this captioner: dimension expected "
                    + dimension + ", found " + bank.dimension() + "; use a bank encoded with the same CLIP model");
        }
        MemoryBankChecks.requireUnitSample(bank, MemoryBankChecks.DEFAULT_SAMPLE_ROWS, what);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new ClosedException("this DeCap captioner is closed; build a new one");
        }
    }

    private static final String OPTIONS_HINT = "DecodingOptions (e.g. DecodingOptions.greedy(30))";
    private static final String EMBEDDING_HINT = "a CLIP image embedding of this captioner's dimension";

    /**
     * The null policy of every public method: a null argument is an {@link InvalidInputException} naming the
     * parameter and what to pass, never a bare {@link NullPointerException}.
     */
    private static <T> T requireArgument(T value, String parameter, String expected) {
        if (value == null) {
            throw new InvalidInputException(parameter + " is null; pass " + expected);
        }
        return value;
    }

    private static void requireNoNull(List<?> list, java.util.function.IntFunction<String> message) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == null) {
                throw new InvalidInputException(message.apply(i));
            }
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
        private boolean ownsComponents = true;
        private Integer batchSize;
        private StageListener stageListener;
        private final List<AutoCloseable> handedOver = new ArrayList<>();

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

        /**
         * Required unless the projector reads no memory (visual decoding). The bank stays the caller's: the
         * captioner never closes it. {@link #build()} checks its dimension and a sample of its rows (finite, unit
         * length; see {@link MemoryBankChecks}).
         */
        public Builder memoryBank(MemoryBank memoryBank) {
            this.memoryBank = memoryBank;
            return this;
        }

        /**
         * Optional: projection decoding, nearest-neighbour decoding or visual decoding. A projector given here stays
         * the caller's: the captioner never closes it.
         * Default: {@link Projectors#projectionDecoding()} (DeCap's projection-based decoding, τ = 0.01, from the
         * best implementation on the classpath), created for and owned by the captioner.
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

        /**
         * Optional. Most images per batch of {@link DeCap#captionAll} and {@link DeCap#captionFiles}: each batch is
         * encoded in one call, projected in one pass and decoded together, and the next one is prepared meanwhile.
         * Between 1 and {@link DeCap#MAX_BATCH_SIZE}. Default: {@link DeCap#DEFAULT_BATCH_SIZE}.
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Optional. Told the time of each pipeline stage (see {@link StageListener}). Default: none. */
        public Builder stageListener(StageListener listener) {
            this.stageListener = listener;
            return this;
        }

        /** Declares a captioner without decoder that only retrieves memory captions. */
        public Builder retrievalOnly() {
            this.retrievalOnly = true;
            return this;
        }

        /**
         * Optional. Whether the captioner owns (closes) the image encoder, text encoder and decoder given here.
         * Declare {@code false} when they belong to something that outlives the captioner (a loaded model shared by
         * several captioners). Default: true.
         */
        public Builder ownsComponents(boolean owns) {
            this.ownsComponents = owns;
            return this;
        }

        /**
         * Optional. Hands {@code resource} over to the captioner: it is closed with the captioner (and captioners
         * derived from it, see {@link DeCap#withMemoryBank}), after the components. For what was created on the
         * captioner's behalf, e.g. a loaded model or a bank encoded for it. May be called several times.
         */
        public Builder owning(AutoCloseable resource) {
            handedOver.add(requireArgument(resource, "resource", "the resource the captioner should close"));
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
            if (retrievalOnly && decoder != null) {
                throw new ConfigurationException("retrievalOnly() was declared but a decoder was set; drop one");
            }
            boolean needsMemory = retrievalOnly || projector == null || projector.usesMemory();
            if (needsMemory && memoryBank == null) {
                missing.add("memoryBank(..)");
            }
            if (!missing.isEmpty()) {
                throw new ConfigurationException("DeCap builder is missing " + String.join(", ", missing));
            }
            if (batchSize != null) {
                checkBatchSize(batchSize);
            }
            DimensionCheck dims = new DimensionCheck();
            if (imageEncoder != null) {
                dims.add("image encoder", Components.call("image encoder", imageEncoder, "dimension()",
                        imageEncoder::dimension));
            }
            if (memoryBank != null) {
                dims.add("memory bank", GuardedMemoryBank.of(memoryBank).dimension());
            }
            if (decoder != null) {
                dims.add("decoder prefix", Components.call("caption decoder", decoder, "prefixDimension()",
                        decoder::prefixDimension));
            }
            if (textEncoder != null) {
                dims.add("text encoder", Components.call("text encoder", textEncoder, "dimension()",
                        textEncoder::dimension));
            }
            if (dims.name == null) {
                throw new ConfigurationException("DeCap builder has no component that fixes the embedding "
                        + "dimension; set at least an image encoder, a memory bank or a decoder");
            }
            if (memoryBank != null) {
                checkBank(memoryBank, dims.dimension, "the memory bank");
            }
            Projector resolved = projector != null || retrievalOnly ? projector : Projectors.projectionDecoding();
            List<AutoCloseable> owns = new ArrayList<>();
            if (ownsComponents) {
                for (Object c : new Object[] {imageEncoder, textEncoder, decoder}) {
                    if (c instanceof AutoCloseable ac) {
                        owns.add(ac);
                    }
                }
            }
            if (projector == null && resolved instanceof AutoCloseable ac) {
                owns.add(ac);
            }
            owns.addAll(handedOver);
            DeCap decap = new DeCap(imageEncoder, textEncoder, memoryBank, resolved, decoder,
                    decodingOptions == null ? DecodingOptions.DEFAULT : decodingOptions,
                    imageLoader == null ? ImageLoader.defaults() : imageLoader, dims.dimension, retrievalOnly,
                    batchSize == null ? DEFAULT_BATCH_SIZE : batchSize,
                    stageListener == null ? StageListener.NONE : stageListener, new SharedResources(owns));
            LOG.debug("built DeCap: dimension {}, memory {}, projector {}, decoder {}", dims.dimension,
                    memoryBank == null ? "none" : GuardedMemoryBank.of(memoryBank).size() + " entries",
                    resolved == null ? "none" : resolved.getClass().getSimpleName(),
                    decoder == null ? "none (retrieval only)" : decoder.getClass().getSimpleName());
            return decap;
        }
    }

    /**
     * What a captioner and the captioners derived from it own, closed once, in order, when the last of them is
     * closed.
     */
    private static final class SharedResources {
        private static final AtomicInteger POOLS = new AtomicInteger();
        private final List<AutoCloseable> resources;
        private int holders = 1; // guarded by this
        private ThreadPoolExecutor producers; // guarded by this; created at the first pipelined call

        SharedResources(List<AutoCloseable> resources) {
            this.resources = List.copyOf(resources);
        }

        /**
         * The producer threads of the batch pipeline: at most one per processor, idle ones stop after a few
         * seconds; when all are busy the submitting caller runs the task itself. Refuses work once closed.
         */
        synchronized ExecutorService producers() {
            if (holders == 0) {
                throw new RejectedExecutionException("closed");
            }
            if (producers == null) {
                int pool = POOLS.incrementAndGet();
                AtomicInteger threads = new AtomicInteger();
                producers = new ThreadPoolExecutor(0, Math.max(1, Runtime.getRuntime().availableProcessors()), 5,
                        TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                            Thread t = new Thread(r, "decap-pipeline-" + pool + "-" + threads.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        }, (task, executor) -> {
                            if (executor.isShutdown()) {
                                throw new RejectedExecutionException("closed");
                            }
                            task.run();
                        });
            }
            return producers;
        }

        synchronized void acquire() {
            if (holders == 0) {
                throw new ClosedException("the components of this DeCap captioner are closed; build a new one");
            }
            holders++;
        }

        void release() {
            synchronized (this) {
                if (holders == 0 || --holders > 0) {
                    return;
                }
                if (producers != null) {
                    producers.shutdown(); // a batch being prepared finishes; its caller sees the close
                }
            }
            RuntimeException first = null;
            java.util.Set<AutoCloseable> done = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (AutoCloseable c : resources) {
                if (!done.add(c)) {
                    continue;
                }
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing {} failed: {}", c.getClass().getName(), e.toString());
                    if (first == null) {
                        first = new DecapException("closing " + c.getClass().getName() + " failed: " + e, e);
                    }
                }
            }
            if (first != null) {
                throw first;
            }
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
