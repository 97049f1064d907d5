package dev.decap.onnx.encoding;

import dev.decap.ClosedException;
import dev.decap.onnx.OnnxOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Encoders on the same model file and options share one native session, released with the last of them. */
class SessionSharingTest {
    private static final Path COMBINED = Fixtures.fixture("layouts/hf/model.onnx");

    @Test
    void image_and_text_encoders_of_one_combined_model_share_its_session() {
        OnnxImageEncoder image = OnnxImageEncoder.builder().model(COMBINED).build();
        OnnxTextEncoder text = OnnxTextEncoder.builder().model(COMBINED).tokenizer(new WordTokenizer()).build();
        try {
            assertSame(image.clipModel().ortSession(), text.clipModel().ortSession());
            float[] before = text.encode("a dog on a beach");
            image.close();
            assertThrows(ClosedException.class, () -> image.encodePixels(new float[image.pixelCount()]));
            assertEquals(64, text.encode("a dog on a beach").length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(before, text.encode("a dog on a beach"), 0f);
        } finally {
            image.close();
            text.close();
        }
        assertThrows(ClosedException.class, () -> text.encode("a dog"));
        try (OnnxImageEncoder again = OnnxImageEncoder.builder().model(COMBINED).build()) {
            assertEquals(64, again.encodePixels(new float[again.pixelCount()]).length);
        }
    }

    @Test
    void different_options_get_different_sessions() {
        try (OnnxImageEncoder a = OnnxImageEncoder.builder().model(COMBINED).build();
             OnnxImageEncoder b = OnnxImageEncoder.builder().model(COMBINED)
                     .onnxOptions(OnnxOptions.builder().intraOpThreads(1).build()).build();
             OnnxImageEncoder c = OnnxImageEncoder.builder().model(COMBINED).build()) {
            assertNotSame(a.clipModel().ortSession(), b.clipModel().ortSession());
            assertSame(a.clipModel().ortSession(), c.clipModel().ortSession());
        }
    }
}
