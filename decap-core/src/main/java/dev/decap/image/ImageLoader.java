package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.ImageDecodingException;
import dev.decap.InvalidInputException;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes image files and bytes into {@link BufferedImage}s, refusing oversized images before their pixels are
 * allocated. Immutable and thread-safe; build with {@link #builder()}.
 */
public final class ImageLoader {
    /** Default pixel limit: 100 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

    private final long maxPixels;
    private final boolean applyExifOrientation;

    private ImageLoader(Builder b) {
        this.maxPixels = b.maxPixels;
        this.applyExifOrientation = b.applyExifOrientation;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A loader with the defaults: 100 megapixel limit, EXIF orientation ignored (as CLIP's reference does). */
    public static ImageLoader defaults() {
        return builder().build();
    }

    public long maxPixels() {
        return maxPixels;
    }

    public boolean applyExifOrientation() {
        return applyExifOrientation;
    }

    /** Decodes the image file at {@code path}. */
    public BufferedImage load(Path path) {
        if (path == null) {
            throw new InvalidInputException("image path is null; pass the path of an image file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new ImageDecodingException("cannot read image file " + path + ": " + e.getMessage(), e);
        }
        return load(bytes, path.toString());
    }

    /** Decodes image bytes; {@code name} identifies the input in error messages. */
    public BufferedImage load(byte[] bytes, String name) {
        if (bytes == null) {
            throw new InvalidInputException("image bytes of " + name + " are null");
        }
        if (bytes.length == 0) {
            throw new ImageDecodingException("image " + name + " is empty (0 bytes)");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodingException("image " + name
                        + " is in an unknown format; expected JPEG, PNG, GIF or BMP");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > maxPixels) {
                    throw new ImageDecodingException("image " + name + " is " + w + "x" + h + " = " + (w * h)
                            + " pixels, over the limit of " + maxPixels
                            + "; raise ImageLoader.builder().maxPixels(..) if this is intended");
                }
                return reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodingException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodingException("cannot decode image " + name + ": " + e, e);
        }
    }

    /** Decodes an image from a stream (read fully, not closed); {@code name} identifies it in messages. */
    public BufferedImage load(InputStream stream, String name) {
        if (stream == null) {
            throw new InvalidInputException("image stream of " + name + " is null");
        }
        try {
            return load(stream.readAllBytes(), name);
        } catch (IOException e) {
            throw new ImageDecodingException("cannot read image stream " + name + ": " + e.getMessage(), e);
        }
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private long maxPixels = DEFAULT_MAX_PIXELS;
        private boolean applyExifOrientation;

        private Builder() {
        }

        /** Largest width × height accepted. Optional. Default: 100,000,000. */
        public Builder maxPixels(long maxPixels) {
            this.maxPixels = maxPixels;
            return this;
        }

        /** Rotate/flip JPEGs by their EXIF orientation. Optional. Default: false (CLIP's reference ignores it). */
        public Builder applyExifOrientation(boolean apply) {
            this.applyExifOrientation = apply;
            return this;
        }

        public ImageLoader build() {
            if (maxPixels <= 0) {
                throw new ConfigurationException("maxPixels must be positive, found " + maxPixels);
            }
            return new ImageLoader(this);
        }
    }
}
