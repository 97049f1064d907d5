package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ModelException;
import dev.decap.decoding.DecodedCaption;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelBundleTest {
    @TempDir
    Path dir;

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should mention '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void a_decoder_only_bundle_opens_with_its_files_and_vocabulary_map() throws IOException {
        ObjectNode m = TestBundles.write(dir, true);
        ModelBundle b = ModelBundle.open(dir);
        assertEquals("test", b.name());
        assertEquals(m.get("embedding_dim").asInt(), b.embeddingDimension());
        assertTrue(b.decoderFile().isPresent());
        assertTrue(b.imageEncoderFile().isEmpty());
        assertEquals(m.get("decoder").get("vocab_size").asInt(), b.vocabularyMap().length);
        assertEquals(-1, b.vocabularyMap()[5]);
        assertEquals(49407, b.endOfText());
        assertEquals(30, b.maxTokens());
    }

    @Test
    void a_decoder_only_bundle_decodes_without_a_tokenizer_and_never_picks_unmapped_ids() throws IOException {
        TestBundles.write(dir, true);
        ModelBundle bundle = ModelBundle.open(dir);
        try (OnnxCaptionDecoder decoder = OnnxDeCap.fromBundle(dir).buildDecoder()) {
            float[] prefix = new float[decoder.prefixDimension()];
            Random r = new Random(3);
            for (int i = 0; i < prefix.length; i++) {
                prefix[i] = (float) r.nextGaussian();
            }
            DecodedCaption c = decoder.decode(prefix);
            assertNull(c.text());
            assertTrue(c.tokenIds().length > 0);
            int[] map = bundle.vocabularyMap();
            for (int t : c.tokenIds()) {
                assertTrue(t >= 0 && t < 49408, "undecodable id " + t);
                assertNotNull(map);
            }
        }
    }

    @Test
    void a_corrupt_file_fails_its_checksum_naming_the_file_unless_verification_is_skipped() throws IOException {
        TestBundles.write(dir, true);
        Files.writeString(dir.resolve("vocab_map.json"), Files.readString(dir.resolve("vocab_map.json"))
                .replaceFirst("\\[0,", "[1,"));
        ModelException e = assertThrows(ModelException.class, () -> ModelBundle.open(dir));
        assertMentions(e, "vocab_map", "vocab_map.json", "sha256 expected", "found");
        assertEquals(1, ModelBundle.open(dir, false).vocabularyMap()[0]);
    }

    @Test
    void missing_manifest_files_and_directories_are_named() throws IOException {
        ModelException noManifest = assertThrows(ModelException.class, () -> ModelBundle.open(dir));
        assertMentions(noManifest, ModelBundle.MANIFEST, dir.toString());
        ModelException noDir = assertThrows(ModelException.class, () -> ModelBundle.open(dir.resolve("nope")));
        assertMentions(noDir, "does not exist");
        TestBundles.write(dir, true);
        Files.delete(dir.resolve("decoder.onnx"));
        ModelException noFile = assertThrows(ModelException.class, () -> ModelBundle.open(dir, false));
        assertMentions(noFile, "decoder", "missing");
    }

    @Test
    void malformed_manifests_fail_with_what_was_expected() throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        Files.writeString(dir.resolve(ModelBundle.MANIFEST), "{ not json");
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), "not valid JSON");

        m.put("format_version", 2);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), "expected 1, found 2");

        m.put("format_version", 1);
        m.put("embedding_dim", 7);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), "prefix_dim",
                "expected 7");

        m.put("embedding_dim", m.get("decoder").get("prefix_dim").asInt());
        ((ObjectNode) m.get("files").get("decoder")).put("path", "../decoder.onnx");
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), "outside");
    }

    @Test
    void manifest_integers_are_strict_and_generation_limits_are_checked_naming_the_field_and_the_bundle()
            throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        String manifest = dir.resolve(ModelBundle.MANIFEST).toString();
        ((ObjectNode) m.get("generation")).put("max_tokens", 1.5);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "generation.max_tokens");

        ((ObjectNode) m.get("generation")).put("max_tokens", 40);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "generation.max_tokens", "decoder.max_positions", "expected at most 39, found 40");
        ((ObjectNode) m.get("generation")).put("max_tokens", Integer.MAX_VALUE);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "generation.max_tokens");
        ((ObjectNode) m.get("generation")).put("max_tokens", 0);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "generation.max_tokens must be a positive integer, found 0");
        ((ObjectNode) m.get("generation")).put("max_tokens", 39);

        ((ObjectNode) m.get("decoder")).put("max_positions", 0);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "decoder.max_positions must be a positive integer, found 0");
        ((ObjectNode) m.get("decoder")).put("max_positions", 40);

        for (int eot : new int[] {-1, 49408, Integer.MAX_VALUE}) {
            ((ObjectNode) m.get("generation")).put("eot_id", eot);
            TestBundles.saveUnsealed(dir, m);
            assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                    "generation.eot_id " + eot, "49408");
        }
        ((ObjectNode) m.get("generation")).put("eot_id", 49407);
        TestBundles.saveUnsealed(dir, m);
        assertEquals(39, ModelBundle.open(dir).maxTokens());
    }

    @Test
    void a_nul_character_in_a_manifest_path_is_a_model_exception_naming_the_field() throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        String manifest = dir.resolve(ModelBundle.MANIFEST).toString();
        ((ObjectNode) m.get("files").get("decoder")).put("path", "deco\u0000der.onnx");
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "files.decoder path", "not a valid file path");
        ((ObjectNode) m.get("files").get("decoder")).put("path", "decoder.onnx");
        ((ObjectNode) m.get("tokenizer")).put("vocabulary", "bpe\u0000.txt.gz");
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir)), manifest,
                "tokenizer.vocabulary", "not a valid file name");
    }

    @Test
    void a_bundle_file_that_is_a_fifo_is_refused_at_once_naming_it() throws Exception {
        TestBundles.write(dir, false);
        Path decoder = dir.resolve("decoder.onnx");
        Files.delete(decoder);
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", decoder.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("mkfifo is not available: " + e.getMessage());
            return;
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)
                && p.exitValue() == 0, "mkfifo could not make a FIFO here");
        ModelException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(20), () -> assertThrows(ModelException.class, () -> ModelBundle.open(dir)));
        assertMentions(e, "decoder", "not a regular file");
    }

    @Test
    void a_manifest_that_disagrees_with_the_decoder_model_is_refused() throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        int vocab = m.get("decoder").get("vocab_size").asInt();
        ((ObjectNode) m.get("decoder")).put("vocab_size", vocab + 1);
        TestBundles.saveUnsealed(dir, m);
        ModelException e = assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(dir).buildDecoder());
        assertMentions(e, "vocab_size", "expected " + (vocab + 1) + ", found " + vocab);
        ((ObjectNode) m.get("decoder")).put("vocab_size", vocab).put("layers", 9);
        TestBundles.saveUnsealed(dir, m);
        assertMentions(assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(dir).buildDecoder()), "layers", "expected 9");
    }

    @Test
    void a_vocabulary_map_of_the_wrong_length_or_with_bad_entries_is_refused() throws IOException {
        ObjectNode m = TestBundles.write(dir, true);
        int vocab = m.get("decoder").get("vocab_size").asInt();
        Files.writeString(dir.resolve("vocab_map.json"), "[1, 2, 3]");
        ManifestSeal.seal(dir, null);   // sealed as it is: the checksums pass, the content is still refused
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir, false)),
                "vocab_map.json", "expected " + vocab + ", found 3");
        StringBuilder sb = new StringBuilder("[\"x\"");
        for (int j = 1; j < vocab; j++) {
            sb.append(",").append(j);
        }
        Files.writeString(dir.resolve("vocab_map.json"), sb.append("]"));
        ManifestSeal.seal(dir, null);
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(dir, false)), "entry 0");
    }

    @Test
    void the_tokenizer_vocabulary_is_found_beside_the_bundle_or_where_the_user_says(@TempDir Path elsewhere)
            throws IOException {
        TestBundles.write(dir, false);
        ModelBundle b = ModelBundle.open(dir);
        assertFalse(b.findVocabulary(null).isPresent());
        Path inUserDir = Files.writeString(elsewhere.resolve("bpe_simple_vocab_16e6.txt.gz"), "x");
        assertEquals(inUserDir, b.findVocabulary(elsewhere).orElseThrow());
        Path userFile = Files.writeString(elsewhere.resolve("my-vocab.gz"), "x");
        assertEquals(userFile, b.findVocabulary(userFile).orElseThrow());
        Path inBundle = Files.writeString(dir.resolve("bpe_simple_vocab_16e6.txt.gz"), "x");
        assertEquals(inBundle, b.findVocabulary(null).orElseThrow());
        ModelException e = assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(dir).vocabulary(elsewhere.resolve("missing")).buildDecoder());
        assertMentions(e, "not found");
    }
}
