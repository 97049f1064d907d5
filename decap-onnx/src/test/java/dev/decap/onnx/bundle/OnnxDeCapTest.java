package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.Caption;
import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.ModelException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.onnx.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxDeCapTest {

    private static MemoryBank randomBank(int n, int d, long seed) {
        Random r = new Random(seed);
        InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(d);
        for (int i = 0; i < n; i++) {
            float[] v = new float[d];
            for (int j = 0; j < d; j++) {
                v[j] = (float) r.nextGaussian();
            }
            b.add("caption " + i, v);
        }
        return b.build();
    }

    private static Path tinyBundle() {
        return Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
    }

    @Test
    void one_call_builds_a_captioner_from_the_tiny_bundle() {
        Path dir = tinyBundle();
        int d = ModelBundle.open(dir).embeddingDimension();
        try (DeCap decap = OnnxDeCap.fromBundle(dir).memoryBank(randomBank(50, d, 1)).build()) {
            float[] image = randomBank(1, d, 2).embedding(0);
            Caption c = decap.captionEmbedding(image);
            assertTrue(c.tokenIds().length > 0);
            assertNull(c.text(), "no vocabulary was given, so there is no text");
            for (int t : c.tokenIds()) {
                assertTrue(t >= 0 && t < 49408, "undecodable token " + t);
            }
        }
    }

    @Test
    void with_the_clip_vocabulary_captions_have_text() {
        Path dir = tinyBundle();
        Path vocab = Fixtures.clipVocabulary();
        int d = ModelBundle.open(dir).embeddingDimension();
        try (DeCap decap = OnnxDeCap.fromBundle(dir).vocabulary(vocab.getParent()).memoryBank(randomBank(50, d, 1))
                .build()) {
            Caption c = decap.captionEmbedding(randomBank(1, d, 3).embedding(0));
            assertNotNull(c.text());
            assertEquals(c.text(), c.text().strip());
        }
    }

    @Test
    void a_memory_bank_of_another_dimension_is_refused() {
        Path dir = tinyBundle();
        int d = ModelBundle.open(dir).embeddingDimension();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> OnnxDeCap.fromBundle(dir).memoryBank(randomBank(5, d / 2, 1)).build());
        assertTrue(e.getMessage().contains("expected " + d) || e.getMessage().contains("found " + d),
                e.getMessage());
    }

    @Test
    void a_manifest_whose_dimensions_disagree_with_the_models_is_refused(@TempDir Path copy) throws IOException {
        Path dir = tinyBundle();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        ObjectNode m = (ObjectNode) TestBundles.JSON.readTree(copy.resolve(ModelBundle.MANIFEST).toFile());
        int d = m.get("embedding_dim").asInt();
        m.put("embedding_dim", d + 1);
        ((ObjectNode) m.get("decoder")).put("prefix_dim", d + 1);
        TestBundles.save(copy, m);
        ModelException e = assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(copy).memoryBank(randomBank(5, d + 1, 1)).build());
        assertTrue(e.getMessage().contains("expected " + (d + 1) + ", found " + d), e.getMessage());
    }

    @Test
    void memory_captions_need_a_vocabulary_for_the_text_encoder() {
        Path dir = tinyBundle();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> OnnxDeCap.fromBundle(dir).memoryCaptions(java.util.List.of("a dog")).build());
        assertTrue(e.getMessage().contains("vocabulary"), e.getMessage());
    }
}
