package dev.decap.onnx.encoding;

/** Input and output names shared by the CLIP layouts. */
final class ClipNames {
    static final String PIXELS = "pixel_values";
    static final String IDS = "input_ids";
    static final String MASK = "attention_mask";
    static final String IMAGE_EMBEDS = "image_embeds";
    static final String TEXT_EMBEDS = "text_embeds";
    static final String LOGITS_PER_IMAGE = "logits_per_image";
    static final String LOGITS_PER_TEXT = "logits_per_text";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";

    private ClipNames() {
    }
}
