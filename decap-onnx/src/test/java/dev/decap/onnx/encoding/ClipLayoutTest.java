package dev.decap.onnx.encoding;

import dev.decap.ConfigurationException;
import dev.decap.onnx.encoding.ClipLayout.Tower;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipLayoutTest {

    @Test
    void decap_towers_are_detected_from_their_names() {
        assertEquals(Optional.of(ClipLayout.DECAP),
                ClipLayout.detect(Tower.IMAGE, List.of("pixel_values"), List.of("image_embeds")));
        assertEquals(Optional.of(ClipLayout.DECAP),
                ClipLayout.detect(Tower.TEXT, List.of("input_ids"), List.of("text_embeds")));
    }

    @Test
    void optimum_combined_model_is_detected_as_hf_for_both_towers_in_any_order() {
        List<String> in = List.of("input_ids", "pixel_values", "attention_mask");
        List<String> out = List.of("logits_per_image", "logits_per_text", "text_embeds", "image_embeds");
        assertEquals(Optional.of(ClipLayout.HF), ClipLayout.detect(Tower.IMAGE, in, out));
        assertEquals(Optional.of(ClipLayout.HF), ClipLayout.detect(Tower.TEXT, List.of("attention_mask",
                "pixel_values", "input_ids"), List.of("image_embeds", "text_embeds", "logits_per_text",
                "logits_per_image")));
    }

    @Test
    void xenova_models_are_detected_by_their_extra_outputs_or_their_file_names() {
        assertEquals(Optional.of(ClipLayout.XENOVA), ClipLayout.detect(Tower.IMAGE, List.of("pixel_values"),
                List.of("image_embeds", "last_hidden_state")));
        assertEquals(Optional.of(ClipLayout.XENOVA), ClipLayout.detect(Tower.TEXT,
                List.of("input_ids", "attention_mask"), List.of("text_embeds", "last_hidden_state")));
        assertEquals(Optional.of(ClipLayout.XENOVA), ClipLayout.detect(Tower.TEXT, List.of("input_ids"),
                List.of("text_embeds"), "text_model_quantized.onnx"));
        assertEquals(Optional.of(ClipLayout.XENOVA), ClipLayout.detect(Tower.IMAGE, List.of("pixel_values"),
                List.of("image_embeds"), "vision_model.onnx"));
        assertEquals(Optional.of(ClipLayout.DECAP), ClipLayout.detect(Tower.IMAGE, List.of("pixel_values"),
                List.of("image_embeds"), "image_encoder.onnx"));
    }

    @Test
    void a_single_tower_model_used_for_the_other_tower_fits_no_layout() {
        assertEquals(Optional.empty(), ClipLayout.detect(Tower.TEXT, List.of("pixel_values"),
                List.of("image_embeds")));
        assertEquals(Optional.empty(), ClipLayout.detect(Tower.IMAGE, List.of("input_ids"),
                List.of("text_embeds")));
    }

    @Test
    void unknown_names_fit_no_layout() {
        assertEquals(Optional.empty(), ClipLayout.detect(Tower.IMAGE, List.of("image"), List.of("embedding")));
        assertEquals(Optional.empty(), ClipLayout.detect(Tower.IMAGE, List.of("pixel_values", "extra"),
                List.of("image_embeds")));
        assertEquals(Optional.empty(), ClipLayout.detect(Tower.TEXT, List.of("input_ids", "pixel_values"),
                List.of("text_embeds")));
    }

    @Test
    void extra_outputs_are_tolerated_when_the_inputs_and_embedding_fit() {
        assertEquals(Optional.of(ClipLayout.DECAP), ClipLayout.detect(Tower.IMAGE, List.of("pixel_values"),
                List.of("image_embeds", "hidden_states.0", "hidden_states.1")));
    }

    @Test
    void manifest_names_map_to_layouts_case_insensitively_and_unknown_ones_list_the_choices() {
        assertEquals(ClipLayout.DECAP, ClipLayout.fromId("decap"));
        assertEquals(ClipLayout.HF, ClipLayout.fromId("HF"));
        assertEquals(ClipLayout.XENOVA, ClipLayout.fromId(" xenova "));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> ClipLayout.fromId("open_clip"));
        assertTrue(e.getMessage().contains("decap, hf, xenova"), e.getMessage());
        assertThrows(dev.decap.InvalidInputException.class, () -> ClipLayout.fromId(null));   // the null policy
    }

    @Test
    void expectations_name_every_layout_and_its_inputs_and_outputs() {
        String text = ClipLayout.expectations(Tower.IMAGE);
        assertTrue(text.contains("decap: inputs {pixel_values} -> outputs {image_embeds}"), text);
        assertTrue(text.contains("hf (combined model): inputs {input_ids, pixel_values, attention_mask}"), text);
        assertTrue(text.contains("xenova: inputs {pixel_values} -> outputs {image_embeds, last_hidden_state}"), text);
    }
}
