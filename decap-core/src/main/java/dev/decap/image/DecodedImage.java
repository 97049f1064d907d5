package dev.decap.image;

import dev.decap.InvalidInputException;

import java.awt.image.BufferedImage;

/**
 * An image as {@link ImageLoader#decode(java.nio.file.Path)} decodes it: the raw pixels in the Pillow mode Pillow
 * would give the file (8-bit greyscale, RGB, RGBA, CMYK, palette, 16-bit greyscale), before any conversion.
 * {@link ClipPreprocessor} and the image encoders read these pixels directly, so the captioner's path from a file
 * to CLIP's input tensor never goes through a {@link BufferedImage} and back; {@link #toBufferedImage()} is there
 * for callers that want one.
 *
 * <p>Immutable and thread-safe (the pixel arrays are never written after decoding and never handed out).
 */
public final class DecodedImage {
    private final PilPixels pixels;

    DecodedImage(PilPixels pixels) {
        this.pixels = pixels;
    }

    /**
     * The pixels of a {@link BufferedImage} (read as {@link ClipPreprocessor#preprocess(BufferedImage)} reads them).
     *
     * @throws InvalidInputException if the image is null or empty
     */
    public static DecodedImage of(BufferedImage image) {
        if (image == null) {
            throw new InvalidInputException("image is null; pass a decoded image (see ImageLoader)");
        }
        if (image.getWidth() <= 0 || image.getHeight() <= 0) {
            throw new InvalidInputException("image is empty (" + image.getWidth() + "x" + image.getHeight() + ")");
        }
        return new DecodedImage(PilPixels.of(image));
    }

    /** Width in pixels. */
    public int width() {
        return pixels.width;
    }

    /** Height in pixels. */
    public int height() {
        return pixels.height;
    }

    /** Pillow's name of the pixel mode: {@code L}, {@code LA}, {@code RGB}, {@code RGBA}, {@code CMYK}, {@code P}, {@code I}. */
    public String mode() {
        return pixels.mode.name();
    }

    /** A new {@link BufferedImage} holding these pixels unchanged. */
    public BufferedImage toBufferedImage() {
        return pixels.toBufferedImage();
    }

    PilPixels pixels() {
        return pixels;
    }

    @Override
    public String toString() {
        return "DecodedImage[" + pixels.width + "x" + pixels.height + ", mode " + pixels.mode + "]";
    }
}
