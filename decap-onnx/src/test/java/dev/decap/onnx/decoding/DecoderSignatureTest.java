package dev.decap.onnx.decoding;

import ai.onnxruntime.OnnxJavaType;
import dev.decap.ModelException;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.TensorSpec;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoder's I/O contract, checked on hand-written signatures with the encoders' TensorSpec checks. */
class DecoderSignatureTest {
    private static final Path FILE = Path.of("decoder.onnx");

    private static TensorSpec t(String name, OnnxJavaType type, long... shape) {
        return new TensorSpec(name, type, shape);
    }

    /** A well-formed two-layer decoder signature, edited by {@code edit} (which may replace any spec). */
    private static ModelSignature signature(UnaryOperator<TensorSpec> edit) {
        List<TensorSpec> in = new ArrayList<>(List.of(t("prefix", OnnxJavaType.FLOAT, -1, 64),
                t("input_ids", OnnxJavaType.INT64, -1, 1), t("use_prefix", OnnxJavaType.BOOL, 1)));
        List<TensorSpec> out = new ArrayList<>(List.of(t("logits", OnnxJavaType.FLOAT, -1, 4096)));
        for (int i = 0; i < 2; i++) {
            for (String kind : new String[] {"key", "value"}) {
                in.add(t("past_key_values." + i + "." + kind, OnnxJavaType.FLOAT, -1, 2, -1, 32));
                out.add(t("present." + i + "." + kind, OnnxJavaType.FLOAT, -1, 2, -1, 32));
            }
        }
        return new ModelSignature(FILE, in.stream().map(edit).filter(x -> x != null).toList(),
                out.stream().map(edit).filter(x -> x != null).toList());
    }

    private static String refused(UnaryOperator<TensorSpec> edit) {
        return assertThrows(ModelException.class, () -> DecoderSignature.of(signature(edit))).getMessage();
    }

    @Test
    void a_well_formed_signature_gives_the_decoder_dimensions() {
        assertEquals(new DecoderSignature(2, 2, 32, 64, 4096), DecoderSignature.of(signature(x -> x)));
    }

    @Test
    void a_missing_input_is_named_with_the_inputs_found() {
        String m = refused(x -> x.name().equals("use_prefix") ? null : x);
        assertTrue(m.contains("decoder.onnx") && m.contains("use_prefix") && m.contains("input_ids"), m);
    }

    @Test
    void a_wrong_element_type_is_reported_in_onnx_spelling() {
        String m = refused(x -> x.name().equals("input_ids") ? t("input_ids", OnnxJavaType.INT32, -1, 1) : x);
        assertTrue(m.contains("expected tensor(int64), found tensor(int32)"), m);
    }

    @Test
    void a_wrong_rank_is_reported_with_the_shape() {
        String m = refused(x -> x.name().equals("logits") ? t("logits", OnnxJavaType.FLOAT, -1, 1, 4096) : x);
        assertTrue(m.contains("logits") && m.contains("expected 2, found 3"), m);
    }

    @Test
    void cache_tensors_that_disagree_between_layers_are_refused() {
        String m = refused(x -> x.name().equals("present.1.value")
                ? t("present.1.value", OnnxJavaType.FLOAT, -1, 4, -1, 16) : x);
        assertTrue(m.contains("layer 1") && m.contains("expected 2 x 32"), m);
    }

    @Test
    void a_decoder_without_a_cache_or_with_extra_outputs_is_refused() {
        String noCache = refused(x -> x.name().startsWith("past_key_values") ? null : x);
        assertTrue(noCache.contains("past_key_values.0.key"), noCache);
        String extra = assertThrows(ModelException.class, () -> {
            ModelSignature s = signature(x -> x);
            List<TensorSpec> out = new ArrayList<>(s.outputs());
            out.add(t("hidden", OnnxJavaType.FLOAT, -1, 64));
            DecoderSignature.of(new ModelSignature(FILE, s.inputs(), out));
        }).getMessage();
        assertTrue(extra.contains("expected 7 inputs and 5 outputs, found 7 and 6"), extra);
    }

    @Test
    void dynamic_heads_or_vocabulary_are_refused() {
        String m = refused(x -> x.name().equals("logits") ? t("logits", OnnxJavaType.FLOAT, -1, -1) : x);
        assertTrue(m.contains("fixed heads, head size, prefix and vocabulary"), m);
    }
}
