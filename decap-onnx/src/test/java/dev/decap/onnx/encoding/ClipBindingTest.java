package dev.decap.onnx.encoding;

import ai.onnxruntime.OnnxJavaType;
import dev.decap.ModelException;
import dev.decap.onnx.encoding.ClipLayout.Tower;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.TensorSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Load-time checks of a model's declared inputs and outputs, on signatures written by hand. */
class ClipBindingTest {
    private static final Path FILE = Path.of("/models/clip/image_encoder.onnx");

    private static TensorSpec t(String name, OnnxJavaType type, long... shape) {
        return new TensorSpec(name, type, shape);
    }

    private static ModelSignature sig(List<TensorSpec> in, List<TensorSpec> out) {
        return new ModelSignature(FILE, in, out);
    }

    private static final TensorSpec PIXELS = t("pixel_values", OnnxJavaType.FLOAT, -1, 3, 224, 224);
    private static final TensorSpec IMAGE = t("image_embeds", OnnxJavaType.FLOAT, -1, 512);

    private static ModelException fails(ModelSignature s, Tower tower, ClipLayout layout, int size, int context,
                                        int dim) {
        return assertThrows(ModelException.class, () -> ClipBinding.bind(s, tower, layout, size, context, dim));
    }

    @Test
    void a_decap_image_encoder_binds_with_its_size_and_dimension() {
        ClipBinding b = ClipBinding.bind(sig(List.of(PIXELS), List.of(IMAGE)), Tower.IMAGE, null, 0, 0, 0);
        assertEquals(ClipLayout.DECAP, b.layout());
        assertEquals(224, b.imageSize());
        assertEquals(512, b.dimension());
        assertNull(b.ids());
    }

    @Test
    void dynamic_axes_take_the_callers_sizes_or_clips_defaults() {
        ModelSignature s = sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, -1, -1, -1, -1)),
                List.of(t("image_embeds", OnnxJavaType.FLOAT, -1, -1)));
        assertEquals(224, ClipBinding.bind(s, Tower.IMAGE, null, 0, 0, 0).imageSize());
        assertEquals(336, ClipBinding.bind(s, Tower.IMAGE, null, 336, 0, 0).imageSize());
        assertEquals(-1, ClipBinding.bind(s, Tower.IMAGE, null, 0, 0, 0).dimension());
    }

    @Test
    void unknown_layout_lists_found_names_and_each_layouts_expectations() {
        ModelException e = fails(sig(List.of(t("image", OnnxJavaType.FLOAT, -1, 3, 224, 224)),
                List.of(t("features", OnnxJavaType.FLOAT, -1, 512))), Tower.IMAGE, null, 0, 0, 0);
        String m = e.getMessage();
        assertTrue(m.contains(FILE.toString()), m);
        assertTrue(m.contains("found inputs {image} and outputs {features}"), m);
        assertTrue(m.contains("decap: inputs {pixel_values} -> outputs {image_embeds}"), m);
        assertTrue(m.contains("hf (combined model)"), m);
        assertTrue(m.contains("xenova"), m);
    }

    @Test
    void a_forced_layout_that_does_not_fit_counts_inputs_expected_and_found() {
        ModelException e = fails(sig(List.of(PIXELS), List.of(IMAGE)), Tower.IMAGE, ClipLayout.HF, 0, 0, 0);
        assertTrue(e.getMessage().contains("expected 3 inputs (input_ids, pixel_values, attention_mask), found 1 "
                + "(pixel_values); missing input_ids, attention_mask"), e.getMessage());
        ModelException extra = fails(sig(List.of(PIXELS, t("scale", OnnxJavaType.FLOAT, 1)), List.of(IMAGE)),
                Tower.IMAGE, ClipLayout.DECAP, 0, 0, 0);
        assertTrue(extra.getMessage().contains("expected 1 input (pixel_values), found 2 (pixel_values, scale); "
                + "unexpected scale"), extra.getMessage());
        ModelException output = fails(sig(List.of(PIXELS), List.of(t("embeds", OnnxJavaType.FLOAT, -1, 512))),
                Tower.IMAGE, ClipLayout.DECAP, 0, 0, 0);
        assertTrue(output.getMessage().contains("expected output image_embeds, found outputs {embeds}"),
                output.getMessage());
    }

    @Test
    void pixel_input_type_rank_channels_and_size_are_checked() {
        assertTrue(fails(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT16, -1, 3, 224, 224)), List.of(IMAGE)),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("tensor(float), found tensor(float16)"));
        assertTrue(fails(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, 3, 224, 224)), List.of(IMAGE)),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("expected 4, found 3 [3, 224, 224]"));
        assertTrue(fails(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, -1, 1, 224, 224)), List.of(IMAGE)),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("expected 3, found 1"));
        assertTrue(fails(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, -1, 3, 224, 200)), List.of(IMAGE)),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("square"));
        assertTrue(fails(sig(List.of(PIXELS), List.of(IMAGE)), Tower.IMAGE, null, 336, 0, 0).getMessage()
                .contains("expected 336, found 224"));
    }

    @Test
    void embedding_output_type_rank_and_dimension_are_checked() {
        assertTrue(fails(sig(List.of(PIXELS), List.of(IMAGE)), Tower.IMAGE, null, 0, 0, 768).getMessage()
                .contains("expected 768, found 512"));
        assertTrue(fails(sig(List.of(PIXELS), List.of(t("image_embeds", OnnxJavaType.FLOAT, -1, 50, 512))),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("expected 2, found 3"));
        assertTrue(fails(sig(List.of(PIXELS), List.of(t("image_embeds", OnnxJavaType.DOUBLE, -1, 512))),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("found tensor(double)"));
    }

    @Test
    void text_ids_type_rank_and_context_are_checked() {
        TensorSpec text = t("text_embeds", OnnxJavaType.FLOAT, -1, 512);
        ClipBinding ok = ClipBinding.bind(sig(List.of(t("input_ids", OnnxJavaType.INT64, -1, 77)), List.of(text)),
                Tower.TEXT, null, 0, 77, 0);
        assertEquals(77, ok.sequenceLength());
        assertTrue(fails(sig(List.of(t("input_ids", OnnxJavaType.FLOAT, -1, 77)), List.of(text)), Tower.TEXT,
                null, 0, 0, 0).getMessage().contains("tensor(int64) or tensor(int32), found tensor(float)"));
        assertTrue(fails(sig(List.of(t("input_ids", OnnxJavaType.INT64, 77)), List.of(text)), Tower.TEXT,
                null, 0, 0, 0).getMessage().contains("expected 2, found 1"));
        assertTrue(fails(sig(List.of(t("input_ids", OnnxJavaType.INT64, -1, 77)), List.of(text)), Tower.TEXT,
                null, 0, 64, 0).getMessage().contains("expected 64, found 77"));
    }

    @Test
    void a_fixed_batch_larger_than_one_is_refused_and_batch_one_is_noted() {
        assertTrue(fails(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, 8, 3, 224, 224)), List.of(IMAGE)),
                Tower.IMAGE, null, 0, 0, 0).getMessage().contains("fixed batch axis of 8"));
        assertTrue(ClipBinding.bind(sig(List.of(t("pixel_values", OnnxJavaType.FLOAT, 1, 3, 224, 224)),
                List.of(IMAGE)), Tower.IMAGE, null, 0, 0, 0).fixedBatchOne());
    }

    @Test
    void a_combined_model_binds_both_towers_with_the_other_towers_inputs() {
        ModelSignature s = sig(List.of(t("input_ids", OnnxJavaType.INT64, -1, -1), t("pixel_values",
                        OnnxJavaType.FLOAT, -1, -1, -1, -1), t("attention_mask", OnnxJavaType.INT64, -1, -1)),
                List.of(t("logits_per_image", OnnxJavaType.FLOAT, -1, -1), t("logits_per_text", OnnxJavaType.FLOAT,
                        -1, -1), t("text_embeds", OnnxJavaType.FLOAT, -1, 512), IMAGE));
        ClipBinding image = ClipBinding.bind(s, Tower.IMAGE, null, 0, 0, 0);
        ClipBinding text = ClipBinding.bind(s, Tower.TEXT, null, 0, 0, 0);
        assertEquals(ClipLayout.HF, image.layout());
        assertEquals("image_embeds", image.embedding().name());
        assertEquals("text_embeds", text.embedding().name());
        assertEquals("attention_mask", text.mask().name());
        assertEquals(-1, text.sequenceLength());
    }
}
