package dev.decap.onnx.encoding;

import dev.decap.ConfigurationException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.OnnxOptions.Spinning;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spinning knob of {@link OnnxOptions}: its default, its validation, and that it never changes results. */
class SpinningOptionsTest {

    @Test
    void threads_spin_only_within_a_run_by_default() {
        assertEquals(Spinning.WITHIN_RUN, OnnxOptions.DEFAULT.spinning());
        assertEquals(Spinning.WITHIN_RUN, OnnxOptions.builder().build().spinning());
        assertTrue(OnnxOptions.DEFAULT.toString().contains("spinning=WITHIN_RUN"), OnnxOptions.DEFAULT.toString());
    }

    @Test
    void a_null_spinning_mode_is_refused_with_a_message_naming_it() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> OnnxOptions.builder().spinning(null).build());
        assertTrue(e.getMessage().contains("spinning"), e.getMessage());
    }

    @Test
    void options_differing_only_in_spinning_are_different() {
        OnnxOptions never = OnnxOptions.builder().spinning(Spinning.NEVER).build();
        assertNotEquals(OnnxOptions.DEFAULT, never);
        assertEquals(never, OnnxOptions.builder().spinning(Spinning.NEVER).build());
        assertEquals(never.hashCode(), OnnxOptions.builder().spinning(Spinning.NEVER).build().hashCode());
    }

    @Test
    void every_spinning_mode_gives_the_same_embeddings() {
        float[] expected = null;
        for (Spinning mode : Spinning.values()) {
            try (OnnxImageEncoder e = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx"))
                    .onnxOptions(OnnxOptions.builder().intraOpThreads(2).spinning(mode).build()).build()) {
                float[] pixels = new float[e.pixelCount()];
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = (float) Math.sin(i * 0.01);
                }
                float[] got = e.encodePixels(pixels);
                if (expected == null) {
                    expected = got;
                } else {
                    assertArrayEquals(expected, got, 0f, "spinning " + mode);
                }
            }
        }
    }
}
