package dev.decap;

/**
 * Told how long each stage of a captioner's pipeline took, so that the stages can be measured (e.g. by
 * {@code decap bench}) without a second copy of the pipeline. Set with {@link DeCap.Builder#stageListener} or
 * {@link DeCap#withStageListener}.
 *
 * <p>A stage reports once per batch it ran: the number of images (or embeddings) it handled and the wall time it
 * took, in nanoseconds. {@link Stage#DECODE_IMAGE} and {@link Stage#PREPROCESS} may run on the pipeline's producer
 * thread while the other stages run on the caller's, so a listener must be thread-safe and quick (it is called
 * inside the pipeline). An exception thrown by a listener is logged and ignored.
 */
@FunctionalInterface
public interface StageListener {

    /** The stages of captioning an image, in order. */
    enum Stage {
        /** Reading and decoding image files, bytes or streams into pixels (not run for decoded images). */
        DECODE_IMAGE,
        /** CLIP preprocessing: resize, crop, normalise into the image encoder's input. */
        PREPROCESS,
        /** The image encoder's model: pixels to CLIP image embeddings. */
        ENCODE,
        /** The projector: unit image embeddings to decoder prefixes (over the memory bank). */
        PROJECT,
        /** The caption decoder: prefixes to captions (all the tokens of the batch). */
        DECODE_TOKENS
    }

    /** A listener that ignores everything (the default). */
    StageListener NONE = (stage, items, nanos) -> { };

    /**
     * One batch went through one stage.
     *
     * @param stage the stage
     * @param items images (or embeddings) in the batch
     * @param nanos wall time of the stage for the batch, in nanoseconds
     */
    void stageCompleted(Stage stage, int items, long nanos);
}
