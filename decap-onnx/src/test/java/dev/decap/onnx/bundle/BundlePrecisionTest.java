package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.OnnxOptions.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manifest's {@code files.<key>.precision} and {@code files.<key>.variants} (docs/model-bundle.md). */
class BundlePrecisionTest {
    @TempDir
    Path dir;

    private ObjectNode decoderEntry(ObjectNode manifest) {
        return (ObjectNode) manifest.get("files").get("decoder");
    }

    /** Adds {@code files.decoder.variants.<key>} pointing at a copy of the decoder. */
    private ObjectNode addVariant(ObjectNode manifest, String key, String precision) throws IOException {
        Path copy = dir.resolve("decoder-" + key + ".onnx");
        Files.copy(dir.resolve("decoder.onnx"), copy, StandardCopyOption.REPLACE_EXISTING);
        ObjectNode v = decoderEntry(manifest).withObject("/variants").putObject(key);
        v.put("path", copy.getFileName().toString()).put("sha256", ModelBundle.sha256(copy));
        if (precision != null) {
            v.put("precision", precision);
        }
        return v;
    }

    private ModelException refused(ObjectNode manifest, String... parts) throws IOException {
        // unsealed: sealing would recompute the deliberately wrong checksums and refuse the missing files itself
        TestBundles.saveUnsealed(dir, manifest);
        ModelException e = assertThrows(ModelException.class, () -> ModelBundle.open(dir));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should mention '" + p + "': " + e.getMessage());
        }
        return e;
    }

    @Test
    void a_manifest_without_precisions_is_float32_with_no_variants_and_loads_its_files_whatever_is_asked()
            throws IOException {
        TestBundles.write(dir, false);
        ModelBundle b = ModelBundle.open(dir);
        assertEquals(Set.of(Precision.FP32), b.precisions(ModelBundle.DECODER));
        assertEquals(Set.of(), b.precisions(ModelBundle.IMAGE_ENCODER));
        assertEquals(b.decoderFile(), b.file(ModelBundle.DECODER, Precision.INT8));
        assertEquals(Precision.FP32, b.precision(ModelBundle.DECODER, Precision.INT8).orElseThrow());
        b.requirePrecision(null);
        b.requirePrecision(Precision.FP32);
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> b.requirePrecision(Precision.INT4));
        assertTrue(e.getMessage().contains("no int4 model") && e.getMessage().contains("tools/quantize_bundle.py"),
                e.getMessage());
    }

    @Test
    void a_variant_is_checked_like_the_default_file_and_named_in_the_message() throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        decoderEntry(m).put("precision", "fp32");
        addVariant(m, "int8", "int8").put("sha256", "0".repeat(64));
        refused(m, "decoder.variants.int8", "fails its checksum");
        Files.delete(dir.resolve("decoder-int8.onnx"));
        refused(m, "decoder.variants.int8", "is missing");
    }

    @Test
    void unknown_or_inconsistent_precisions_are_refused_naming_the_field() throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        decoderEntry(m).put("precision", "int3");
        refused(m, "files.decoder.precision", "\"int3\" is unknown", "fp32, fp16, int8, int4");

        m = TestBundles.write(dir, false);
        addVariant(m, "q4", null);
        refused(m, "files.decoder.variants.q4", "is not a precision");

        m = TestBundles.write(dir, false);
        addVariant(m, "int8", "int4");
        refused(m, "files.decoder.variants.int8.precision", "expected \"int8\"");

        m = TestBundles.write(dir, false);
        addVariant(m, "fp32", "fp32");
        refused(m, "files.decoder.variants.fp32", "a variant must have another precision");

        m = TestBundles.write(dir, false);
        addVariant(m, "int8", "int8").withObject("/variants").putObject("int4").put("path", "x.onnx");
        refused(m, "has variants of its own");
    }

    @Test
    void only_the_decoder_and_the_image_tower_may_have_variants() throws IOException {
        ObjectNode m = TestBundles.write(dir, true);
        ((ObjectNode) m.get("files").get("vocab_map")).withObject("/variants").putObject("int8")
                .put("path", "vocab_map.json").put("sha256", ModelBundle.sha256(dir.resolve("vocab_map.json")));
        refused(m, "files.vocab_map has variants", "only files.decoder and files.image_encoder");
    }

    @Test
    void the_precision_option_is_part_of_the_options_value() {
        OnnxOptions int8 = OnnxOptions.builder().precision(Precision.INT8).build();
        assertEquals(Precision.INT8, int8.precision().orElseThrow());
        assertTrue(OnnxOptions.DEFAULT.precision().isEmpty());
        assertNotEquals(OnnxOptions.DEFAULT, int8);
        assertEquals(int8, OnnxOptions.builder().precision(Precision.INT8).build());
        assertTrue(int8.toString().contains("precision=int8"), int8.toString());
        assertEquals(Precision.INT4, Precision.fromId("int4").orElseThrow());
        assertTrue(Precision.fromId("INT4").isEmpty());
    }
}
