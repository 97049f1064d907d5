package dev.decap.onnx.encoding;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.PreparedImages;
import dev.decap.image.ClipPreprocessor;
import dev.decap.image.DecodedImage;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.encoding.ClipLayout.Tower;

import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CLIP image encoder running on ONNX Runtime: image → CLIP preprocessing (shorter side resized bicubically to S,
 * centre crop S×S, normalised CHW floats) → model → embedding.
 *
 * <p>Embeddings are those of the model's {@code image_embeds} output: unnormalised (not unit length) for the
 * {@code decap} and {@code xenova} layouts (as CLIP's {@code encode_image}), L2-normalised for {@code hf}.
 * Normalise before comparing (DeCap does, once).
 *
 * <p><b>Thread safety:</b> one instance, holding one ONNX Runtime session, serves any number of threads at once;
 * calls do not block each other. {@link #close()} waits for calls in flight, is idempotent, and afterwards every
 * call throws {@link dev.decap.ClosedException}.
 *
 * <p><b>Batching:</b> {@link #encodeAll} and {@link #encodePixelsAll} run up to {@link #maxBatchSize()} images per
 * model call; preprocessing runs on the calling thread. {@link #prepareAll} preprocesses without running the model
 * (on any thread) and {@link #encodePrepared} runs the model on the result: the two halves of {@link #encodeAll},
 * with the same embeddings.
 */
public final class OnnxImageEncoder implements ImageEncoder {
    private final ClipModel model;
    private final ClipPreprocessor preprocessor;
    private final int maxBatchSize;

    private OnnxImageEncoder(ClipModel model, ClipPreprocessor preprocessor, int maxBatchSize) {
        this.model = model;
        this.preprocessor = preprocessor;
        this.maxBatchSize = model.batchLimit(maxBatchSize);
    }

    /** A builder; {@link Builder#model(Path)} is required. */
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

    /** Side S of the square images the model takes (224 for ViT-B/32). */
    public int imageSize() {
        return model.binding().imageSize();
    }

    /** Length of one preprocessed image: {@code 3 * S * S} floats. */
    public int pixelCount() {
        int s = imageSize();
        return 3 * s * s;
    }

    /** The preprocessing applied by {@link #encode} and {@link #encodeAll}. */
    public ClipPreprocessor preprocessor() {
        return preprocessor;
    }

    /** Most images run in one model call. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    ClipModel clipModel() {
        return model;
    }

    /** The model file. */
    public Path modelPath() {
        return model.path();
    }

    /**
     * Encodes one image.
     *
     * @return the model's {@code image_embeds}: not normalised (not unit length) for the {@code decap} and
     *         {@code xenova} layouts, unit length for {@code hf}; the captioner normalises once
     * @throws InvalidInputException if the image is null or empty
     */
    @Override
    public float[] encode(BufferedImage image) {
        return encodeOne(image, this::preprocess);
    }

    /**
     * Encodes several images in batched model calls, one embedding per image, in order (not normalised, as
     * {@link #encode(BufferedImage)}).
     *
     * @throws InvalidInputException if the list is null or empty, or an image is null or empty
     */
    @Override
    public List<float[]> encodeAll(List<BufferedImage> images) {
        return encodeBatched(images, this::preprocess);
    }

    /**
     * Encodes one image decoded by {@link dev.decap.image.ImageLoader#decode}: its pixels go straight to the
     * preprocessing, without a {@link BufferedImage} (the captioner's path for files, bytes and streams). The
     * embedding is not normalised to unit length, as {@link #encode(BufferedImage)}.
     *
     * @throws InvalidInputException if the image is null
     */
    @Override
    public float[] encode(DecodedImage image) {
        return encodeOne(image, this::preprocess);
    }

    /**
     * Encodes several decoded images in batched model calls, one embedding per image, in order; see
     * {@link #encode(DecodedImage)}.
     *
     * @throws InvalidInputException if the list is null or empty, or an image is null
     */
    @Override
    public List<float[]> encodeAllDecoded(List<DecodedImage> images) {
        return encodeBatched(images, this::preprocess);
    }

    /**
     * Preprocesses several images into this encoder's input without running the model; {@link #encodePrepared}
     * encodes the result. Thread-safe, runs on the calling thread.
     *
     * @throws InvalidInputException if the list is null or empty, or an image is null or empty
     */
    @Override
    public PreparedImages prepareAll(List<BufferedImage> images) {
        return prepareBatched(images, this::preprocess);
    }

    /** As {@link #prepareAll}, for images decoded by {@link dev.decap.image.ImageLoader#decode}. */
    @Override
    public PreparedImages prepareAllDecoded(List<DecodedImage> images) {
        return prepareBatched(images, this::preprocess);
    }

    /**
     * Encodes images preprocessed by this encoder's {@link #prepareAll} / {@link #prepareAllDecoded}, in model calls
     * of at most {@link #maxBatchSize()} images: the embeddings {@link #encodeAll} gives for the same images.
     *
     * @throws InvalidInputException         if the batch was prepared by another encoder, or is closed
     * @throws dev.decap.ClosedException     if this encoder is closed
     */
    @Override
    public List<float[]> encodePrepared(PreparedImages batch) {
        if (!(batch instanceof Pixels p) || p.owner != this) {
            return ImageEncoder.super.encodePrepared(batch); // refuses it, naming the encoder
        }
        model.ensureOpen();
        List<float[]> out = new ArrayList<>(p.size());
        for (float[] chunk : p.chunks()) {
            out.addAll(encodeChunk(chunk));
        }
        return out;
    }

    /** Preprocessed pixels, in chunks of at most {@code maxBatchSize} images. */
    private static final class Pixels implements PreparedImages {
        private final OnnxImageEncoder owner;
        private final int size;
        private volatile List<float[]> chunks;

        Pixels(OnnxImageEncoder owner, int size, List<float[]> chunks) {
            this.owner = owner;
            this.size = size;
            this.chunks = chunks;
        }

        @Override
        public int size() {
            return size;
        }

        List<float[]> chunks() {
            List<float[]> c = chunks;
            if (c == null) {
                throw new InvalidInputException("these prepared images are closed; prepare them again");
            }
            return c;
        }

        @Override
        public void close() {
            chunks = null;
        }
    }

    private <T> PreparedImages prepareBatched(List<T> images, Preprocess<T> preprocess) {
        requireImages(images);
        model.ensureOpen();
        List<float[]> chunks = new ArrayList<>();
        int size = pixelCount();
        for (int from = 0; from < images.size(); from += maxBatchSize) {
            int to = Math.min(images.size(), from + maxBatchSize);
            float[] chunk = new float[(to - from) * size];
            for (int i = from; i < to; i++) {
                preprocess.into(images.get(i), "image " + i, chunk, (i - from) * size);
            }
            chunks.add(chunk);
        }
        return new Pixels(this, images.size(), chunks);
    }

    private List<float[]> encodeChunk(float[] chunk) {
        FloatBuffer buf = ClipModel.directFloats(chunk.length);
        buf.put(chunk);
        buf.rewind();
        return ClipModel.rows(model.encodePixels(buf, chunk.length / pixelCount()));
    }

    private static void requireImages(List<?> images) {
        if (images == null || images.isEmpty()) {
            throw new InvalidInputException("no images to encode: the list is "
                    + (images == null ? "null" : "empty") + "; pass at least one image");
        }
    }

    private void preprocess(DecodedImage image, String what, float[] dest, int offset) {
        if (image == null) {
            throw new InvalidInputException(what + " is null; pass an image decoded by ImageLoader.decode(..)");
        }
        preprocessor.preprocess(image, dest, offset);
    }

    /**
     * Encodes one image already preprocessed into CLIP's form: {@code 3 × S × S} floats, channel-major (CHW),
     * RGB, normalised with CLIP's mean and std. For callers with their own preprocessing. The embedding is not
     * normalised to unit length, as {@link #encode(BufferedImage)}.
     *
     * @throws InvalidInputException if the array is null, has the wrong length, or holds NaN or infinity
     */
    public float[] encodePixels(float[] chw) {
        Arguments.requireNonNull(chw, "chw");
        model.ensureOpen();
        FloatBuffer buf = ClipModel.directFloats(pixelCount());
        buf.put(checkPixels(chw, "pixels"));
        buf.rewind();
        return model.encodePixels(buf, 1)[0];
    }

    /** Batched {@link #encodePixels(float[])}: one embedding per tensor, in order. */
    public List<float[]> encodePixelsAll(List<float[]> chw) {
        Arguments.requireNonNull(chw, "chw");
        if (chw == null || chw.isEmpty()) {
            throw new InvalidInputException("no pixel tensors to encode: the list is "
                    + (chw == null ? "null" : "empty") + "; pass at least one");
        }
        model.ensureOpen();
        List<float[]> out = new ArrayList<>(chw.size());
        int size = pixelCount();
        for (int from = 0; from < chw.size(); from += maxBatchSize) {
            int to = Math.min(chw.size(), from + maxBatchSize);
            FloatBuffer buf = ClipModel.directFloats((to - from) * size);
            for (int i = from; i < to; i++) {
                buf.put(checkPixels(chw.get(i), "pixels " + i));
            }
            buf.rewind();
            out.addAll(ClipModel.rows(model.encodePixels(buf, to - from)));
        }
        return out;
    }

    /** Writes one image's CLIP pixels into {@code dest} at {@code offset}, refusing an unusable image. */
    @FunctionalInterface
    private interface Preprocess<T> {
        void into(T image, String what, float[] dest, int offset);
    }

    private <T> float[] encodeOne(T image, Preprocess<T> preprocess) {
        model.ensureOpen();
        float[] pixels = new float[pixelCount()];
        preprocess.into(image, "image", pixels, 0);
        FloatBuffer buf = ClipModel.directFloats(pixels.length);
        buf.put(pixels);
        buf.rewind();
        return model.encodePixels(buf, 1)[0];
    }

    /** Preprocesses and encodes {@code images} in model calls of at most {@code maxBatchSize}, in order. */
    private <T> List<float[]> encodeBatched(List<T> images, Preprocess<T> preprocess) {
        requireImages(images);
        model.ensureOpen();
        List<float[]> out = new ArrayList<>(images.size());
        int size = pixelCount();
        float[] chunk = null;
        for (int from = 0; from < images.size(); from += maxBatchSize) {
            int to = Math.min(images.size(), from + maxBatchSize);
            if (chunk == null || chunk.length != (to - from) * size) {
                chunk = new float[(to - from) * size];
            }
            for (int i = from; i < to; i++) {
                preprocess.into(images.get(i), "image " + i, chunk, (i - from) * size);
            }
            out.addAll(encodeChunk(chunk));
        }
        return out;
    }

    private void preprocess(BufferedImage image, String what, float[] dest, int offset) {
        if (image == null) {
            throw new InvalidInputException(what + " is null; pass a decoded image (see ImageLoader)");
        }
        if (image.getWidth() <= 0 || image.getHeight() <= 0) {
            throw new InvalidInputException(what + " is empty (" + image.getWidth() + "x" + image.getHeight()
                    + "); pass an image of at least 1x1 pixels");
        }
        preprocessor.preprocess(image, dest, offset);
    }

    private float[] checkPixels(float[] chw, String what) {
        if (chw == null) {
            throw new InvalidInputException(what + " are null; pass 3 x " + imageSize() + " x " + imageSize()
                    + " normalised CHW floats");
        }
        if (chw.length != pixelCount()) {
            throw new InvalidInputException(what + " have the wrong length for 3 x " + imageSize() + " x "
                    + imageSize() + " CHW floats: expected " + pixelCount() + ", found " + chw.length);
        }
        for (int i = 0; i < chw.length; i++) {
            if (!Float.isFinite(chw[i])) {
                throw new InvalidInputException(what + " hold " + chw[i] + " at index " + i
                        + "; pixels must be finite");
            }
        }
        return chw;
    }

    /** Waits for calls in flight and releases the ONNX Runtime session. Idempotent. */
    @Override
    public void close() {
        model.close();
    }

    @Override
    public String toString() {
        return "OnnxImageEncoder[" + model.path() + ", layout=" + layout() + ", dimension=" + dimension()
                + ", imageSize=" + imageSize() + "]";
    }

    /** Builder; {@link #model} is required. */
    public static final class Builder {
        private Path model;
        private ClipLayout layout;
        private OnnxOptions options;
        private ClipPreprocessor preprocessor;
        private Integer maxBatchSize;
        private Integer dimension;

        private Builder() {
        }

        /** Required. The image tower's ONNX file (for the {@code hf} layout, the combined {@code model.onnx}). */
        public Builder model(Path model) {
            this.model = model;
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

        /**
         * Optional. How images are turned into pixels: size, mean and std (a bundle's {@code clip} section).
         * Default: CLIP's preprocessing at the model's image size (224 where the model does not fix it).
         */
        public Builder preprocessor(ClipPreprocessor preprocessor) {
            this.preprocessor = preprocessor;
            return this;
        }

        /** Optional. Most images per model call; larger lists are split. Default: 32. */
        public Builder maxBatchSize(int maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /** Optional. The embedding length the model must produce, checked at load. Default: whatever it produces. */
        public Builder dimension(int dimension) {
            this.dimension = dimension;
            return this;
        }

        /**
         * Loads and checks the model.
         *
         * @throws ConfigurationException if a required setting is missing or a value is out of range, or the
         *                                options cannot be applied (e.g. CUDA without the GPU artifact)
         * @throws dev.decap.ModelException if the model is missing, corrupt, or does not fit the layout
         */
        public OnnxImageEncoder build() {
            if (model == null) {
                throw new ConfigurationException("the image encoder model is not set; call model(path) with the "
                        + "image tower's .onnx file");
            }
            int batch = ClipModel.positive(maxBatchSize, 32, "maxBatchSize");
            int dim = ClipModel.positive(dimension, 0, "dimension");
            int size = preprocessor != null ? preprocessor.size() : 0;
            ClipModel clip = ClipModel.open(model, options, Tower.IMAGE, layout, size, 0, dim);
            ClipPreprocessor pre = preprocessor != null ? preprocessor
                    : ClipPreprocessor.builder().size(clip.binding().imageSize()).build();
            return new OnnxImageEncoder(clip, pre, batch);
        }
    }
}
