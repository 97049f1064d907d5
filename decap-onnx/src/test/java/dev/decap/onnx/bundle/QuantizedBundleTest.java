package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ConfigurationException;
import dev.decap.decoding.LanguageModel;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.OnnxOptions.Precision;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quantized fixture bundle (tools/make_quant_fixtures.py): a small random decoder with int8 and int4 variants
 * ({@code com.microsoft::MatMulNBits}, {@code GatherBlockQuantized}) that ONNX Runtime loads through
 * {@link OnnxOptions.Builder#precision(Precision)}, computing what PyTorch computes with the dequantized weights.
 */
class QuantizedBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path bundle() {
        return Fixtures.require(Fixtures.root().resolve("quantized"));
    }

    private static OnnxCaptionDecoder decoder(Precision precision) {
        return OnnxDeCap.fromBundle(bundle()).onnxOptions(OnnxOptions.builder().intraOpThreads(1)
                .precision(precision).build()).buildDecoder();
    }

    @Test
    void the_bundle_lists_its_precisions_and_resolves_each_variant_to_its_file() {
        ModelBundle b = ModelBundle.open(bundle());
        assertEquals(EnumSet.of(Precision.FP32, Precision.INT8, Precision.INT4), b.precisions(ModelBundle.DECODER));
        assertEquals("decoder.onnx", b.file(ModelBundle.DECODER, null).orElseThrow().getFileName().toString());
        assertEquals("decoder-int8.onnx",
                b.file(ModelBundle.DECODER, Precision.INT8).orElseThrow().getFileName().toString());
        assertEquals(Precision.INT4, b.precision(ModelBundle.DECODER, Precision.INT4).orElseThrow());
        // fp16 is not in this bundle: the default is resolved, and asking to load it is refused
        assertEquals(Precision.FP32, b.precision(ModelBundle.DECODER, Precision.FP16).orElseThrow());
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> decoder(Precision.FP16));
        assertTrue(e.getMessage().contains("no fp16 model") && e.getMessage().contains("decoder fp32, int8, int4"),
                e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"FP32", "INT8", "INT4"})
    void each_variant_computes_the_logits_of_its_dequantized_weights(Precision precision) throws IOException {
        JsonNode golden = JSON.readTree(bundle().resolve("golden.json").toFile());
        String key = precision.id();
        double worst = 0;
        double worstCosineToFp32 = 1;
        try (OnnxCaptionDecoder decoder = decoder(precision)) {
            LanguageModel lm = decoder.languageModel();
            for (JsonNode c : golden.get("cases")) {
                float[] prefix = floats(c.get("prefix"));
                try (LanguageModel.Session s = lm.start(new float[][] {prefix})) {
                    for (int step = 0; step < golden.get("steps").asInt(); step++) {
                        if (step > 0) {
                            s.advance(new int[] {c.get("tokens").get(step - 1).asInt()}, new int[] {0});
                        }
                        float[] got = s.logits()[0];
                        float[] want = floats(c.get("logits").get(key).get(step));
                        for (int i = 0; i < got.length; i++) {
                            worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
                        }
                        worstCosineToFp32 = Math.min(worstCosineToFp32,
                                cosine(got, floats(c.get("logits").get("fp32").get(step))));
                    }
                }
            }
        }
        assertTrue(worst < 2e-4, key + ": logits differ from PyTorch with the dequantized weights by " + worst);
        double floor = precision == Precision.INT4 ? 0.97 : 0.999;
        assertTrue(worstCosineToFp32 > floor, key + ": cosine to the float32 logits " + worstCosineToFp32);
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
