package dev.decap.onnx.bundle;

import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.image.ClipPreprocessor;
import dev.decap.tokenization.Tokenizer;
import dev.decap.tokenization.WordTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokenizer selection by the manifest's tokenizer.type, and the manifest's preprocessing. */
class BundleTokenizersTest {
    static final String VOCAB = "<pad>\n<unk>\na\ncircle\nred\n.\n<|startoftext|>\n<|endoftext|>\n";

    @TempDir
    Path dir;

    Path bundle(String tokenizer, String clip) throws IOException {
        Path v = Files.writeString(dir.resolve("vocab.txt"), VOCAB, StandardCharsets.UTF_8);
        String manifest = """
                {"format": "decap-bundle", "format_version": 1, "name": "t", "embedding_dim": 8,
                 "files": {"tokenizer_vocabulary": {"path": "vocab.txt", "sha256": "%s"}},
                 %s
                 "tokenizer": %s,
                 "generation": {"max_tokens": 10, "eot_id": 7}}
                """.formatted(ModelBundle.sha256(v), clip == null ? "" : "\"clip\": " + clip + ",", tokenizer);
        Files.writeString(dir.resolve(ModelBundle.MANIFEST), manifest);
        return dir;
    }

    static final String WORD = """
            {"type": "word", "vocabulary": "vocab.txt", "vocab_size": 8, "sot_id": 6, "eot_id": 7, "pad_id": 0,
             "unk_id": 1}""";

    @Test
    void a_word_bundle_loads_its_own_checksummed_vocabulary() throws IOException {
        ModelBundle b = ModelBundle.open(bundle(WORD, null));
        Tokenizer t = BundleTokenizers.load(b, null).orElseThrow();
        assertInstanceOf(WordTokenizer.class, t);
        assertArrayEquals(new int[]{2, 4, 3, 5}, t.encode("A red circle."));
        assertEquals(7, t.endOfText());
        assertTrue(b.file(ModelBundle.TOKENIZER_VOCABULARY).isPresent());
    }

    @Test
    void onnx_decap_uses_the_word_tokenizer_the_bundle_declares() throws IOException {
        Path d = bundle(WORD, null);
        Optional<Tokenizer> t = OnnxDeCap.fromBundle(d).loadTokenizer(ModelBundle.open(d));
        assertEquals("a red circle.", t.orElseThrow().decode(new int[]{6, 2, 4, 3, 5, 7}));
    }

    @Test
    void a_replaced_vocabulary_fails_the_bundle_checksum() throws IOException {
        Path d = bundle(WORD, null);
        Files.writeString(d.resolve("vocab.txt"), VOCAB.replace("red", "blue"));
        ModelException e = assertThrows(ModelException.class, () -> ModelBundle.open(d));
        assertTrue(e.getMessage().contains("tokenizer_vocabulary") && e.getMessage().contains("checksum"),
                e.getMessage());
    }

    @Test
    void manifest_ids_that_disagree_with_the_vocabulary_are_refused_naming_the_field() throws IOException {
        ModelBundle b = ModelBundle.open(bundle(WORD.replace("\"vocab_size\": 8", "\"vocab_size\": 9"), null));
        ModelException e = assertThrows(ModelException.class, () -> BundleTokenizers.load(b, null));
        assertTrue(e.getMessage().contains("tokenizer.vocab_size does not match the vocabulary file: expected 8, "
                + "found 9"), e.getMessage());
        ModelBundle b2 = ModelBundle.open(bundle(WORD.replace("\"unk_id\": 1", "\"unk_id\": 3"), null));
        assertTrue(assertThrows(ModelException.class, () -> BundleTokenizers.load(b2, null)).getMessage()
                .contains("tokenizer.unk_id"));
    }

    @Test
    void a_word_bundle_without_its_vocabulary_file_key_is_refused() throws IOException {
        Path d = bundle(WORD, null);
        String m = Files.readString(d.resolve(ModelBundle.MANIFEST)).replaceFirst("\"tokenizer_vocabulary\": \\{[^}]*}",
                "");
        Files.writeString(d.resolve(ModelBundle.MANIFEST), m.replace("\"files\": {}", "\"files\": {}"));
        ModelBundle b = ModelBundle.open(d);
        ModelException e = assertThrows(ModelException.class, () -> BundleTokenizers.load(b, null));
        assertTrue(e.getMessage().contains("files.tokenizer_vocabulary"), e.getMessage());
    }

    @Test
    void a_user_vocabulary_for_a_word_bundle_is_refused() throws IOException {
        ModelBundle b = ModelBundle.open(bundle(WORD, null));
        assertThrows(ConfigurationException.class, () -> BundleTokenizers.load(b, dir.resolve("vocab.txt")));
    }

    @Test
    void an_unknown_tokenizer_type_is_refused_naming_the_field() throws IOException {
        ModelBundle b = ModelBundle.open(bundle("{\"type\": \"sentencepiece\"}", null));
        ModelException e = assertThrows(ModelException.class, () -> BundleTokenizers.load(b, null));
        assertTrue(e.getMessage().contains("tokenizer.type \"sentencepiece\" is not supported"), e.getMessage());
    }

    @Test
    void a_clip_bundle_without_its_merges_file_has_no_tokenizer() throws IOException {
        ModelBundle b = ModelBundle.open(bundle("{\"type\": \"clip-bpe\", \"vocabulary\": \"bpe.txt.gz\"}", null));
        assertTrue(BundleTokenizers.load(b, null).isEmpty());
        assertThrows(ModelException.class, () -> BundleTokenizers.load(b, dir.resolve("missing.gz")));
    }

    @Test
    void the_manifest_preprocessing_is_the_one_applied() throws IOException {
        ModelBundle b = ModelBundle.open(bundle(WORD, """
                {"layout": "decap", "image_size": 64, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25],
                 "interpolation": "bicubic", "context_length": 24}"""));
        ClipPreprocessor p = b.imagePreprocessor();
        assertEquals(64, p.size());
        assertArrayEquals(new float[]{0.5f, 0.5f, 0.5f}, p.mean());
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.25f}, p.std());
    }

    @Test
    void an_unsupported_interpolation_is_refused() throws IOException {
        ModelBundle b = ModelBundle.open(bundle(WORD, "{\"image_size\": 64, \"interpolation\": \"nearest\"}"));
        ModelException e = assertThrows(ModelException.class, b::imagePreprocessor);
        assertTrue(e.getMessage().contains("clip.interpolation \"nearest\""), e.getMessage());
        assertEquals(224, ModelBundle.open(bundle(WORD, "{\"layout\": \"decap\"}")).imagePreprocessor().size(),
                "without preprocessing fields, CLIP's defaults");
    }

    @Test
    void a_bundle_without_a_tokenizer_type_is_read_as_clip_bpe() throws IOException {
        ModelBundle b = ModelBundle.open(bundle("{\"vocabulary\": \"bpe.txt.gz\"}", null));
        assertTrue(BundleTokenizers.load(b, null).isEmpty(), "a CLIP bundle without its merges file");
        ModelException e = assertThrows(ModelException.class, () -> BundleTokenizers.load(b, dir));
        assertTrue(e.getMessage().contains("bpe.txt.gz not found"), e.getMessage());
    }
}
