/**
 * Image input for CLIP: {@link dev.decap.image.ImageLoader} decodes JPEG, PNG, GIF and BMP into the pixel values
 * Pillow would hold, refusing what Pillow refuses (corrupt or truncated data; decompression bombs from their
 * headers; optionally damage Pillow decodes through, and decodes past a deadline; EXIF orientation optional), and
 * {@link dev.decap.image.ClipPreprocessor} turns an image into CLIP's normalised CHW float tensor exactly as
 * openai/CLIP's reference preprocessing (Pillow 9.4 bicubic resize, torchvision 0.14 centre crop) does.
 *
 * <p>Pure Java, no native code; all pixel work is done on rasters, never through Java2D drawing. Both classes are
 * immutable and thread-safe. See {@code docs/image-preprocessing.md} for what is matched and the measured parity.
 */
package dev.decap.image;
