package dev.decap.encoding;

/**
 * Images made ready for one {@link ImageEncoder#encodePrepared(PreparedImages) encoder call} but not yet encoded:
 * what {@link ImageEncoder#prepareAll} and {@link ImageEncoder#prepareAllDecoded} return. Splitting preprocessing
 * from inference lets a pipeline prepare the next batch while the model encodes this one (see
 * {@code DeCap.captionAll}).
 *
 * <p>A prepared batch belongs to the encoder that prepared it and is encoded at most once. It may hold large
 * buffers (an ONNX encoder's holds the preprocessed pixels, {@code 3 × S × S} floats per image): the pipeline
 * closes it once it is encoded or abandoned. {@link #close()} is idempotent; the default releases nothing.
 */
public interface PreparedImages extends AutoCloseable {

    /** Number of images in this batch (the number of embeddings that encoding it returns). */
    int size();

    /** Releases what the batch holds; idempotent. The default does nothing. */
    @Override
    default void close() {
    }
}
