package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ModelException;
import dev.decap.image.ClipPreprocessor;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 7 item 5: the manifest's clip.image_size, mean, std and interpolation are what the image encoder uses. */
class BundlePreprocessingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final float[] MEAN = {0.5f, 0.25f, 0.125f};
    private static final float[] STD = {0.2f, 0.4f, 0.3f};

    @TempDir
    Path dir;

    /** A copy of the tiny bundle whose manifest's clip section is edited and resealed. */
    private Path editedCopy(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path tiny = Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
        try (Stream<Path> files = Files.list(tiny)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path manifest = dir.resolve(ModelBundle.MANIFEST);
        ObjectNode m = (ObjectNode) JSON.readTree(manifest.toFile());
        edit.accept((ObjectNode) m.get("clip"));
        JSON.writerWithDefaultPrettyPrinter().writeValue(manifest.toFile(), m);
        ManifestSeal.seal(dir, null);
        return dir;
    }

    private static void put(ObjectNode clip, String field, float[] values) {
        ArrayNode a = clip.putArray(field);
        for (float v : values) {
            a.add(v);
        }
    }

    private static BufferedImage photo() {
        BufferedImage img = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(5);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                img.setRGB(x, y, ((x * 255 / 300) << 16) | ((y * 255 / 200) << 8) | r.nextInt(256));
            }
        }
        return img;
    }

    @Test
    void the_image_encoder_uses_the_manifest_mean_and_std_not_clips() throws IOException {
        Path bundle = editedCopy(clip -> {
            put(clip, "mean", MEAN);
            put(clip, "std", STD);
        });
        ClipPreprocessor declared = ModelBundle.open(bundle).imagePreprocessor();
        assertArrayEquals(MEAN, declared.mean());
        assertArrayEquals(STD, declared.std());
        assertEquals(224, declared.size());
        BufferedImage img = photo();
        Path encoderFile = bundle.resolve("image_encoder.onnx");
        try (DecapModel model = OnnxDeCap.fromBundle(bundle).load();
             OnnxImageEncoder expected = OnnxImageEncoder.builder().model(encoderFile)
                     .preprocessor(ClipPreprocessor.builder().mean(MEAN).std(STD).build()).build();
             OnnxImageEncoder clipDefaults = OnnxImageEncoder.builder().model(encoderFile).build()) {
            OnnxImageEncoder loaded = model.imageEncoder().orElseThrow();
            assertArrayEquals(MEAN, loaded.preprocessor().mean());
            assertArrayEquals(STD, loaded.preprocessor().std());
            float[] e = loaded.encode(img);
            assertArrayEquals(expected.encode(img), e, 1e-6f);
            float[] c = clipDefaults.encode(img);
            double diff = 0;
            for (int i = 0; i < e.length; i++) {
                diff = Math.max(diff, Math.abs(e[i] - c[i]));
            }
            assertTrue(diff > 1e-3, "the bundle's mean/std must change the embedding, max difference " + diff);
        }
    }

    @Test
    void an_unsupported_interpolation_is_refused_naming_the_manifest_field() throws IOException {
        Path bundle = editedCopy(clip -> clip.put("interpolation", "bilinear"));
        ModelException e = assertThrows(ModelException.class, () -> OnnxDeCap.fromBundle(bundle).load());
        assertTrue(e.getMessage().contains("clip.interpolation"), e.getMessage());
        assertTrue(e.getMessage().contains("\"bilinear\""), e.getMessage());
        assertTrue(e.getMessage().contains("bicubic"), e.getMessage());
    }

    @Test
    void bicubic_is_accepted_in_any_case_and_absent_fields_mean_clips_defaults() throws IOException {
        Path bundle = editedCopy(clip -> {
            clip.put("interpolation", "BICUBIC");
            clip.remove("mean");
            clip.remove("std");
            clip.remove("image_size");
        });
        ClipPreprocessor p = ModelBundle.open(bundle).imagePreprocessor();
        assertArrayEquals(ClipPreprocessor.clipMean(), p.mean());
        assertArrayEquals(ClipPreprocessor.clipStd(), p.std());
        assertEquals(224, p.size());
    }

    @Test
    void bad_mean_std_or_size_values_are_refused_naming_the_field() throws IOException {
        Path bundle = editedCopy(clip -> put(clip, "std", new float[] {0.2f, 0f, 0.3f}));
        ModelException std = assertThrows(ModelException.class, () -> ModelBundle.open(bundle).imagePreprocessor());
        assertTrue(std.getMessage().contains("clip.std"), std.getMessage());
        Path bundle2 = editedCopy(clip -> put(clip, "mean", new float[] {0.2f, 0.3f}));
        ModelException mean = assertThrows(ModelException.class, () -> ModelBundle.open(bundle2).imagePreprocessor());
        assertTrue(mean.getMessage().contains("clip.mean") && mean.getMessage().contains("expected 3, found 2"),
                mean.getMessage());
    }

    @Test
    void an_image_size_the_model_does_not_take_is_refused_at_load() throws IOException {
        // The tiny image tower has a fixed 224 input; a manifest that says 64 (as the miniature model's does, with
        // a tower that takes 64) must not be silently resized to 224.
        Path bundle = editedCopy(clip -> clip.put("image_size", 64));
        assertEquals(64, ModelBundle.open(bundle).imagePreprocessor().size());
        ModelException e = assertThrows(ModelException.class, () -> OnnxDeCap.fromBundle(bundle).load());
        assertTrue(e.getMessage().contains("64") && e.getMessage().contains("224"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
