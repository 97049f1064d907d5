package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;

/**
 * CLIP's image preprocessing, reproducing openai/CLIP's {@code _transform} on Pillow 9.4 and torchvision 0.14:
 * {@code Resize(size, BICUBIC)} of the shorter side, {@code CenterCrop(size)}, {@code convert("RGB")},
 * {@code ToTensor()}, {@code Normalize(mean, std)}. The result is a float32 tensor in CHW order
 * ({@code [3][size][size]}, channel planes R, G, B).
 *
 * <p>Exactness: the resize is Pillow's own arithmetic (antialiased bicubic, a = -0.5, horizontal pass then
 * vertical, 22-bit fixed-point coefficients, 8-bit rounding and clamping after each pass), applied in the image's
 * Pillow mode as Pillow does: straight RGBA/LA premultiplied around the resize, palette images resized
 * nearest-neighbour, 16-bit greyscale in integers. The resized size is torchvision's (short side = size, long side
 * = {@code int(size * long / short)}); the crop offsets are {@code int(round((h - size) / 2.0))} with Python's
 * round-half-even; an image smaller than the crop is padded with zeros as torchvision does. Normalisation is done in
 * float32 exactly as PyTorch does it. For images from {@link ImageLoader} the result therefore equals the
 * reference up to the decoder: bit-exact for PNG, GIF and BMP; JPEG pixels come from the JDK's libjpeg build,
 * which may differ from Pillow's libjpeg-turbo by a level in a few pixels (see docs/image-preprocessing.md).
 *
 * <p>Other {@link BufferedImage}s are read in the nearest Pillow mode (see {@link ImageLoader} for the types); the
 * alpha channel is dropped, never composited.
 *
 * <p>Immutable and thread-safe; build with {@link #builder()} or use {@link #defaults()}.
 */
public final class ClipPreprocessor {
    /** CLIP's input size for ViT-B/32 and most variants. */
    public static final int DEFAULT_SIZE = 224;

    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    private static final ClipPreprocessor DEFAULTS = builder().build();

    private final int size;
    private final float[] mean;
    private final float[] std;
    /** Per channel, the normalised value of each 8-bit level: ((v / 255) - mean) / std in float32. */
    private final float[][] levels;

    private ClipPreprocessor(Builder b) {
        this.size = b.size;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.levels = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                // ToTensor divides a float32 by 255; Normalize subtracts then divides, all in float32.
                levels[c][v] = ((float) v / 255f - mean[c]) / std[c];
            }
        }
    }

    /** A builder with CLIP's defaults: size 224, OpenAI CLIP's mean and std. */
    public static Builder builder() {
        return new Builder();
    }

    /** The preprocessor of OpenAI's CLIP ViT-B/32: size 224, CLIP's mean and std. */
    public static ClipPreprocessor defaults() {
        return DEFAULTS;
    }

    /** OpenAI CLIP's per-channel mean (R, G, B): 0.48145466, 0.4578275, 0.40821073. A new array. */
    public static float[] clipMean() {
        return CLIP_MEAN.clone();
    }

    /** OpenAI CLIP's per-channel standard deviation (R, G, B): 0.26862954, 0.26130258, 0.27577711. A new array. */
    public static float[] clipStd() {
        return CLIP_STD.clone();
    }

    /** Side of the square output. */
    public int size() {
        return size;
    }

    /** Per-channel mean (R, G, B); a copy. */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviation (R, G, B); a copy. */
    public float[] std() {
        return std.clone();
    }

    /** Number of floats in one preprocessed image: 3 × size × size. */
    public int outputLength() {
        return 3 * size * size;
    }

    /**
     * Preprocesses one image.
     *
     * @return a new array of {@link #outputLength()} floats, CHW
     * @throws InvalidInputException if {@code image} is null or empty
     */
    public float[] preprocess(BufferedImage image) {
        float[] out = new float[outputLength()];
        preprocess(image, out, 0);
        return out;
    }

    /**
     * Preprocesses one image into {@code dest[offset .. offset + outputLength())}, CHW, so that an encoder can
     * fill a batch tensor in place (image i of a batch at offset {@code i * outputLength()}).
     *
     * @throws InvalidInputException if {@code image} or {@code dest} is null, or {@code dest} is too short
     */
    public void preprocess(BufferedImage image, float[] dest, int offset) {
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded image (see ImageLoader)");
        }
        checkDestination(dest, offset);
        if (image.getWidth() <= 0 || image.getHeight() <= 0) {
            throw new InvalidInputException("image is empty (" + image.getWidth() + "x" + image.getHeight() + ")");
        }
        normalise(resizeCropRgb(PilPixels.of(image)), dest, offset);
    }

    /**
     * Preprocesses decoded pixels (from {@link ImageLoader#decode}) straight, without a {@link BufferedImage}:
     * the same floats as {@link #preprocess(BufferedImage)} of the image {@link ImageLoader#load} gives.
     *
     * @return a new array of {@link #outputLength()} floats, CHW
     * @throws InvalidInputException if {@code image} is null
     */
    public float[] preprocess(DecodedImage image) {
        float[] out = new float[outputLength()];
        preprocess(image, out, 0);
        return out;
    }

    /**
     * Preprocesses decoded pixels into {@code dest[offset .. offset + outputLength())}, CHW; see
     * {@link #preprocess(DecodedImage)}.
     *
     * @throws InvalidInputException if {@code image} or {@code dest} is null, or {@code dest} is too short
     */
    public void preprocess(DecodedImage image, float[] dest, int offset) {
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded image (see ImageLoader.decode)");
        }
        checkDestination(dest, offset);
        normalise(resizeCropRgb(image.pixels()), dest, offset);
    }

    private void checkDestination(float[] dest, int offset) {
        if (dest == null) {
            throw new InvalidInputException("destination array is null; pass an array of at least "
                    + outputLength() + " floats");
        }
        if (offset < 0 || (long) offset + outputLength() > dest.length) {
            throw new InvalidInputException("destination array too short: expected at least "
                    + ((long) offset + outputLength()) + " floats (offset " + offset + " + " + outputLength()
                    + "), found " + dest.length);
        }
    }

    /** Interleaved RGB bytes of the crop to normalised CHW floats. */
    private void normalise(byte[] rgb, float[] dest, int offset) {
        int plane = size * size;
        float[] r = levels[0];
        float[] g = levels[1];
        float[] b = levels[2];
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            dest[offset + i] = r[rgb[p] & 0xFF];
            dest[offset + plane + i] = g[rgb[p + 1] & 0xFF];
            dest[offset + 2 * plane + i] = b[rgb[p + 2] & 0xFF];
        }
    }

    /**
     * Preprocesses several images into one batch tensor {@code [n][3][size][size]}.
     *
     * @throws InvalidInputException if the list or any image is null
     */
    public float[] preprocessBatch(List<BufferedImage> images) {
        if (images == null) {
            throw new InvalidInputException("image list is null; pass a list of decoded images");
        }
        float[] out = new float[Math.multiplyExact(images.size(), outputLength())];
        for (int i = 0; i < images.size(); i++) {
            BufferedImage image = images.get(i);
            if (image == null) {
                throw new InvalidInputException("image " + i + " of the batch is null");
            }
            preprocess(image, out, i * outputLength());
        }
        return out;
    }

    /** torchvision's {@code Resize(size)} output size for an image of {@code width x height}: {width, height}. */
    static int[] resizedSize(int width, int height, int size) {
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        // Python: int(size * long / short), a true division of exact integers then truncation.
        int newLong = (int) ((double) ((long) size * longSide) / shortSide);
        return width <= height ? new int[] {size, newLong} : new int[] {newLong, size};
    }

    /** torchvision's CenterCrop offset along one axis; negative where it pads. */
    static int cropOffset(int extent, int size) {
        if (extent < size) {
            return -((size - extent) / 2);
        }
        return (int) Math.rint((extent - size) / 2.0);
    }

    /** Resize (in the image's own mode), centre crop, then convert("RGB"): size*size*3 interleaved RGB bytes. */
    byte[] resizeCropRgb(PilPixels src) {
        int[] newSize = resizedSize(src.width, src.height, size);
        int newW = newSize[0];
        int newH = newSize[1];
        int left = cropOffset(newW, size);
        int top = cropOffset(newH, size);
        // The part of the crop that lies on the resized image; the rest is torchvision's zero padding.
        int x0 = Math.max(left, 0);
        int y0 = Math.max(top, 0);
        int x1 = Math.min(left + size, newW);
        int y1 = Math.min(top + size, newH);
        int winW = x1 - x0;
        int winH = y1 - y0;
        boolean same = newW == src.width && newH == src.height;
        PilMode mode = src.mode;
        int channels = mode.channels;
        byte[] window = null;
        int[] intWindow = null;
        switch (mode) {
            case P -> window = same ? crop(src.bytes, src.width, 1, x0, y0, winW, winH)
                    : PilResampler.nearest8(src.bytes, src.width, src.height, newW, newH, x0, y0, winW, winH);
            case I -> intWindow = PilResampler.bicubic32(src.ints, src.width, src.height, newW, newH,
                    x0, y0, winW, winH);
            case RGBA, LA -> {
                if (same) {
                    window = crop(src.bytes, src.width, channels, x0, y0, winW, winH);
                } else {
                    byte[] pre = premultiply(src.bytes, channels);
                    window = PilResampler.bicubic8(pre, src.width, src.height, channels, newW, newH,
                            x0, y0, winW, winH);
                    unpremultiply(window, channels);
                }
            }
            default -> window = same ? crop(src.bytes, src.width, channels, x0, y0, winW, winH)
                    : PilResampler.bicubic8(src.bytes, src.width, src.height, channels, newW, newH,
                    x0, y0, winW, winH);
        }
        byte[] rgb = new byte[size * size * 3];
        // Padding is zero in the image's own mode, converted like any other pixel.
        for (int y = 0; y < size; y++) {
            int wy = top + y - y0;
            for (int x = 0; x < size; x++) {
                int wx = left + x - x0;
                boolean inside = wy >= 0 && wy < winH && wx >= 0 && wx < winW;
                int i = wy * winW + wx;
                int o = (y * size + x) * 3;
                switch (mode) {
                    case L, LA -> {
                        byte v = inside ? window[i * channels] : 0;
                        rgb[o] = v;
                        rgb[o + 1] = v;
                        rgb[o + 2] = v;
                    }
                    case RGB, RGBA -> {
                        if (inside) {
                            rgb[o] = window[i * channels];
                            rgb[o + 1] = window[i * channels + 1];
                            rgb[o + 2] = window[i * channels + 2];
                        }
                    }
                    case CMYK -> {
                        int k = inside ? 255 - (window[i * 4 + 3] & 0xFF) : 255;
                        for (int c = 0; c < 3; c++) {
                            int ink = inside ? window[i * 4 + c] & 0xFF : 0;
                            rgb[o + c] = (byte) clip8(k - mulDiv255(ink, k));
                        }
                    }
                    case P -> {
                        int index = inside ? window[i] & 0xFF : 0;
                        int colour = index < src.palette.length ? src.palette[index] : 0;
                        rgb[o] = (byte) (colour >> 16);
                        rgb[o + 1] = (byte) (colour >> 8);
                        rgb[o + 2] = (byte) colour;
                    }
                    case I -> {
                        byte v = (byte) (inside ? clip8(intWindow[i]) : 0);
                        rgb[o] = v;
                        rgb[o + 1] = v;
                        rgb[o + 2] = v;
                    }
                    default -> throw new IllegalStateException("unhandled mode " + mode);
                }
            }
        }
        return rgb;
    }

    private static int clip8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's MULDIV255: a * b / 255, rounded, in integers. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static byte[] crop(byte[] in, int width, int channels, int x0, int y0, int w, int h) {
        byte[] out = new byte[w * h * channels];
        for (int y = 0; y < h; y++) {
            System.arraycopy(in, ((y0 + y) * width + x0) * channels, out, y * w * channels, w * channels);
        }
        return out;
    }

    /** Pillow's RGBA -> RGBa (and LA -> La): colour = MULDIV255(colour, alpha). */
    private static byte[] premultiply(byte[] in, int channels) {
        byte[] out = new byte[in.length];
        for (int p = 0; p < in.length; p += channels) {
            int a = in[p + channels - 1] & 0xFF;
            for (int c = 0; c < channels - 1; c++) {
                out[p + c] = (byte) mulDiv255(in[p + c] & 0xFF, a);
            }
            out[p + channels - 1] = (byte) a;
        }
        return out;
    }

    /** Pillow's RGBa -> RGBA (and La -> LA): colour = clip(255 * colour / alpha), unchanged at alpha 0 or 255. */
    private static void unpremultiply(byte[] px, int channels) {
        for (int p = 0; p < px.length; p += channels) {
            int a = px[p + channels - 1] & 0xFF;
            if (a == 0 || a == 255) {
                continue;
            }
            for (int c = 0; c < channels - 1; c++) {
                px[p + c] = (byte) clip8(255 * (px[p + c] & 0xFF) / a);
            }
        }
    }

    @Override
    public String toString() {
        return "ClipPreprocessor[size=" + size + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
                + "]";
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private int size = DEFAULT_SIZE;
        private float[] mean = CLIP_MEAN.clone();
        private float[] std = CLIP_STD.clone();

        private Builder() {
        }

        /** Side of the square output (the model's input resolution, e.g. 336 for ViT-L/14@336px). Optional. Default: 224. */
        public Builder size(int size) {
            this.size = size;
            return this;
        }

        /** Per-channel mean, R, G, B. Optional. Default: OpenAI CLIP's ({@link #clipMean()}). */
        public Builder mean(float... mean) {
            this.mean = mean == null ? null : mean.clone();
            return this;
        }

        /** Per-channel standard deviation, R, G, B. Optional. Default: OpenAI CLIP's ({@link #clipStd()}). */
        public Builder std(float... std) {
            this.std = std == null ? null : std.clone();
            return this;
        }

        /**
         * The preprocessor.
         *
         * @throws ConfigurationException if the size is not positive, or mean/std do not have 3 finite values
         *                                (std positive)
         */
        public ClipPreprocessor build() {
            if (size <= 0 || size > 8192) {
                throw new ConfigurationException("size must be between 1 and 8192, found " + size);
            }
            check("mean", mean, false);
            check("std", std, true);
            return new ClipPreprocessor(this);
        }

        private static void check(String what, float[] v, boolean positive) {
            if (v == null) {
                throw new ConfigurationException(what + " is null; pass 3 values (R, G, B)");
            }
            if (v.length != 3) {
                throw new ConfigurationException(what + " must have one value per channel: expected 3, found "
                        + v.length);
            }
            for (float f : v) {
                if (!Float.isFinite(f) || (positive && f <= 0f)) {
                    throw new ConfigurationException(what + " values must be finite" + (positive ? " and positive" : "")
                            + ", found " + Arrays.toString(v));
                }
            }
        }
    }
}
