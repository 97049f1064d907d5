package dev.decap.encoding;

import dev.decap.image.DecodedImage;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns images into CLIP image embeddings ({@code encode_image}: projected, <em>not</em> normalised, so not of
 * unit length; {@code DeCap.encodeImage} returns them normalised).
 *
 * <p>Implementations own their preprocessing (resize, crop, normalise) so that callers pass decoded images.
 * Implementations must be safe for concurrent use by many threads. Closing releases native resources;
 * {@code close()} is idempotent and a closed encoder throws {@link dev.decap.ClosedException}.
 */
public interface ImageEncoder extends AutoCloseable {

    /** Length of the embeddings this encoder returns (512 for ViT-B/32). */
    int dimension();

    /**
     * Encodes one image.
     *
     * @return a new array of {@link #dimension()} floats, owned by the caller; not normalised (not unit length)
     * @throws dev.decap.InvalidInputException if the image is null or unusable
     */
    float[] encode(BufferedImage image);

    /**
     * Encodes several images; the default calls {@link #encode(BufferedImage)} for each. Implementations that can
     * batch should override it. The result has one embedding per image, in order.
     */
    default List<float[]> encodeAll(List<BufferedImage> images) {
        List<float[]> out = new ArrayList<>(images.size());
        for (BufferedImage image : images) {
            out.add(encode(image));
        }
        return out;
    }

    /**
     * Encodes one image decoded by {@link dev.decap.image.ImageLoader#decode}. The default goes through
     * {@link DecodedImage#toBufferedImage()}; encoders that preprocess pixels themselves override it to read the
     * decoded pixels directly (the ONNX encoder does).
     *
     * @return a new, not normalised array of {@link #dimension()} floats
     */
    default float[] encode(DecodedImage image) {
        return encode(image.toBufferedImage());
    }

    /** Encodes several decoded images, one embedding each, in order; see {@link #encode(DecodedImage)}. */
    default List<float[]> encodeAllDecoded(List<DecodedImage> images) {
        List<float[]> out = new ArrayList<>(images.size());
        for (DecodedImage image : images) {
            out.add(encode(image));
        }
        return out;
    }

    /**
     * Makes several images ready for one {@link #encodePrepared} call without running the model: the part of
     * {@link #encodeAll} that a pipeline can run on another thread while the model encodes the previous batch.
     * Encoders that preprocess themselves (the ONNX encoder) override it to preprocess here; the default keeps the
     * images and leaves everything to {@link #encodeAll} in {@link #encodePrepared}.
     *
     * @throws dev.decap.InvalidInputException if an image is null or unusable
     */
    default PreparedImages prepareAll(List<BufferedImage> images) {
        return new DeferredImages(this, images, false);
    }

    /** As {@link #prepareAll}, for images decoded by {@link dev.decap.image.ImageLoader#decode}. */
    default PreparedImages prepareAllDecoded(List<DecodedImage> images) {
        return new DeferredImages(this, images, true);
    }

    /**
     * Encodes a batch made by this encoder's {@link #prepareAll} or {@link #prepareAllDecoded}: one embedding per
     * image, in order, exactly as {@link #encodeAll} / {@link #encodeAllDecoded} of the same images. The batch is
     * not closed here (its owner closes it).
     *
     * @throws dev.decap.InvalidInputException if the batch was prepared by another encoder
     */
    @SuppressWarnings("unchecked")
    default List<float[]> encodePrepared(PreparedImages batch) {
        if (!(batch instanceof DeferredImages d) || d.owner() != this) {
            throw new dev.decap.InvalidInputException("the prepared images were not prepared by this encoder ("
                    + getClass().getName() + "); prepare them with its own prepareAll(..)");
        }
        return d.decoded() ? encodeAllDecoded((List<DecodedImage>) d.images())
                : encodeAll((List<BufferedImage>) d.images());
    }

    /** Releases resources. The default does nothing. */
    @Override
    default void close() {
    }
}
