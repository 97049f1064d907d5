package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ModelException;
import dev.decap.onnx.Fixtures;
import dev.decap.tokenization.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, "everything verified": the manifest's seal (sizes, file checksums, vocabulary checksum, its own
 * canonical checksum), the structural checks done even without verification, and the canonical form shared with the
 * Python tools.
 */
class BundleVerificationTest {
    @TempDir
    Path dir;

    private Path copyOf(Path bundle) throws IOException {
        try (Stream<Path> files = Files.list(bundle)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private static Path tiny() {
        return Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message should mention '" + p + "': " + e.getMessage());
        }
    }

    // ------------------------------------------------------------ canonical form, shared with Python

    @Test
    void the_canonical_form_sorts_keys_by_code_point_drops_the_seal_and_keeps_number_literals() {
        String json = "{ \"b\": \"q\\\"\\\\\\n\u00e9\", \"\uffff\": 1, \"\ud83d\ude00\": 2, \"a\": [1.50, 2e-5, -0, true,"
                + " null], \"manifest_sha256\": \"x\" }";
        String expected = "{\"a\":[1.50,2e-5,-0,true,null],\"b\":\"q\\\"\\\\\\u000a\u00e9\",\"\uffff\":1,"
                + "\"\ud83d\ude00\":2}";
        assertEquals(expected, new String(ManifestSeal.canonicalBytes(json.getBytes(StandardCharsets.UTF_8)),
                StandardCharsets.UTF_8));
        // the same bytes as tools/tests/test_bundle_seal.py computes for the same manifest
        assertEquals("b9428ee02ad529e1231d6bc5dceb4989f7ac374b18f2ebfe9d97bd0e2af2bba9",
                ManifestSeal.canonicalSha256(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void a_key_twice_in_one_object_is_refused() {
        byte[] json = "{\"a\": 1, \"a\": 2}".getBytes(StandardCharsets.UTF_8);
        assertMentions(assertThrows(ModelException.class, () -> ManifestSeal.canonicalBytes(json)), "a");
    }

    @Test
    void the_fixture_manifests_sealed_by_the_python_tool_verify_in_java() throws IOException {
        List<Path> sealed = new ArrayList<>(List.of(tiny(), Fixtures.root().resolve("official-layout")));
        for (Path bundle : sealed) {
            byte[] bytes = Files.readAllBytes(bundle.resolve(ModelBundle.MANIFEST));
            ModelBundle b = ModelBundle.open(bundle);
            assertTrue(b.sealed(), bundle + " is sealed");
            assertEquals(b.manifest().manifestSha256(), ManifestSeal.canonicalSha256(bytes), bundle.toString());
            for (BundleManifest.FileEntry e : b.manifest().files().values()) {
                assertEquals(Files.size(bundle.resolve(e.path())), e.size(), e.path());
            }
            assertEquals(BundleTokenizers.CLIP_BPE_VOCABULARY_SHA256, b.expectedVocabularySha256().orElseThrow());
        }
    }

    @Test
    void sealing_in_java_gives_the_seal_the_python_tool_wrote() throws IOException {
        Path copy = copyOf(tiny());
        String recorded = ModelBundle.open(copy).manifest().manifestSha256();
        assertEquals(recorded, ManifestSeal.seal(copy, null));
        assertEquals(recorded, ModelBundle.open(copy).manifest().manifestSha256());
    }

    // ------------------------------------------------------------ the manifest's own checksum

    @Test
    void an_edited_sealed_manifest_is_refused_unless_verification_is_off_and_opens_again_once_resealed()
            throws IOException {
        Path copy = copyOf(tiny());
        Path manifest = copy.resolve(ModelBundle.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"max_tokens\": 30", "\"max_tokens\": 31"));
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(copy)), manifest.toString(),
                "manifest_sha256 expected", "edited after it was sealed", "reseal");
        assertEquals(31, ModelBundle.open(copy, false).maxTokens(), "verification off: the seal is not checked");
        ManifestSeal.seal(copy, null);
        assertEquals(31, ModelBundle.open(copy).maxTokens());
    }

    @Test
    void reformatting_a_sealed_manifest_keeps_its_seal() throws IOException {
        Path copy = copyOf(tiny());
        Path manifest = copy.resolve(ModelBundle.MANIFEST);
        ObjectNode m = (ObjectNode) TestBundles.JSON.readTree(manifest.toFile());
        // compact, and members in another order: the canonical content is the same
        ObjectNode reordered = TestBundles.JSON.createObjectNode();
        List<String> keys = new ArrayList<>();
        m.fieldNames().forEachRemaining(keys::add);
        java.util.Collections.reverse(keys);
        for (String k : keys) {
            reordered.set(k, m.get(k));
        }
        Files.writeString(manifest, TestBundles.JSON.writeValueAsString(reordered));
        assertTrue(ModelBundle.open(copy).sealed());
    }

    @Test
    void a_malformed_seal_is_refused_naming_the_field() throws IOException {
        Path copy = copyOf(tiny());
        Path manifest = copy.resolve(ModelBundle.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replaceAll("\"manifest_sha256\": \"[0-9a-f]+\"",
                "\"manifest_sha256\": \"ABC\""));
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(copy, false)), "manifest_sha256",
                "64 lower-case hex digits");
    }

    // ------------------------------------------------------------ structural checks without verification

    @Test
    void every_truncated_model_file_is_refused_even_with_verification_off() throws IOException {
        Path copy = copyOf(tiny());
        for (String key : List.of(ModelBundle.DECODER, ModelBundle.IMAGE_ENCODER, ModelBundle.TEXT_ENCODER,
                ModelBundle.VOCAB_MAP)) {
            Path file = copy.resolve(ModelBundle.open(copy, false).manifest().files().get(key).path());
            byte[] original = Files.readAllBytes(file);
            for (int cut : new int[] {1, 100, original.length / 2, original.length - 1}) {
                Files.write(file, Arrays.copyOf(original, original.length - cut));
                ModelException e = assertThrows(ModelException.class, () -> ModelBundle.open(copy, false),
                        key + " cut by " + cut);
                assertMentions(e, file.toString(), "wrong size", "expected " + original.length + " bytes",
                        copy.resolve(ModelBundle.MANIFEST).toString());
            }
            Files.write(file, original);
        }
        ModelBundle.open(copy);
    }

    @Test
    void without_recorded_sizes_the_onnx_structure_still_catches_truncation_and_foreign_files() throws IOException {
        Path copy = copyOf(tiny());
        Path manifest = copy.resolve(ModelBundle.MANIFEST);
        ObjectNode m = (ObjectNode) TestBundles.JSON.readTree(manifest.toFile());
        m.get("files").forEach(e -> ((ObjectNode) e).remove("size"));
        TestBundles.saveUnsealed(copy, m);   // an old manifest: no sizes, no seal
        ModelBundle.open(copy, false);
        for (String key : List.of(ModelBundle.DECODER, ModelBundle.IMAGE_ENCODER, ModelBundle.TEXT_ENCODER)) {
            Path file = copy.resolve(key + ".onnx");
            byte[] original = Files.readAllBytes(file);
            List<byte[]> broken = List.of(Arrays.copyOf(original, original.length - 1),
                    Arrays.copyOf(original, original.length / 3), Arrays.copyOf(original, 5), new byte[0],
                    new byte[original.length], "{\"not\": \"onnx\"}".getBytes(StandardCharsets.UTF_8));
            for (byte[] b : broken) {
                Files.write(file, b);
                ModelException e = assertThrows(ModelException.class, () -> ModelBundle.open(copy, false),
                        key + " of " + b.length + " bytes");
                assertMentions(e, file.toString(), "not a valid ONNX model", manifest.toString());
            }
            Files.write(file, original);
        }
        ModelBundle.open(copy, false);
    }

    @Test
    void a_recorded_size_must_not_be_negative() throws IOException {
        Path copy = copyOf(tiny());
        Path manifest = copy.resolve(ModelBundle.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"size\": 26009", "\"size\": -1"));
        assertMentions(assertThrows(ModelException.class, () -> ModelBundle.open(copy, false)),
                "files.vocab_map.size", "found -1");
    }

    // ------------------------------------------------------------ the tokenizer vocabulary

    @Test
    void a_vocabulary_other_than_the_recorded_one_is_refused_before_it_is_parsed_unless_the_caller_opts_out()
            throws IOException {
        ObjectNode m = TestBundles.write(dir, false);
        Path expected = Files.writeString(dir.resolve("expected.txt"), "#version: 0.2\na b\n");
        ((ObjectNode) m.get("tokenizer")).put("vocabulary_sha256", ManifestSeal.vocabularySha256(expected));
        TestBundles.save(dir, m);
        Path other = Files.writeString(dir.resolve("other.txt"), "#version: 0.2\nb a\n");
        ModelException e = assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(dir).vocabulary(other).buildDecoder());
        assertMentions(e, other.toString(), dir.resolve(ModelBundle.MANIFEST).toString(),
                "tokenizer.vocabulary_sha256 expected " + ManifestSeal.vocabularySha256(expected), "verifyVocabulary");
        // opted out: the check is skipped, and the (too small) vocabulary fails later on its own terms
        ModelException later = assertThrows(ModelException.class,
                () -> OnnxDeCap.fromBundle(dir).vocabulary(other).verifyVocabulary(false).buildDecoder());
        assertFalse(later.getMessage().contains("vocabulary_sha256"), later.getMessage());
    }

    @Test
    void the_vocabulary_digest_is_of_the_text_so_recompressing_does_not_change_it() throws IOException {
        Path plain = Files.writeString(dir.resolve("v.txt"), "#version: 0.2\na b\nc d\n");
        Path gz = dir.resolve("v.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Files.readAllBytes(plain));
        }
        assertEquals(ManifestSeal.vocabularySha256(plain), ManifestSeal.vocabularySha256(gz));
        assertEquals(ModelBundle.sha256(plain), ManifestSeal.vocabularySha256(plain));
    }

    @Test
    void swapping_two_merge_lines_of_clips_vocabulary_is_refused_with_verification_on() throws IOException {
        Path vocab = Fixtures.clipVocabulary();
        assertEquals(BundleTokenizers.CLIP_BPE_VOCABULARY_SHA256, ManifestSeal.vocabularySha256(vocab), "the shared vocabulary");
        byte[] text;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(vocab))) {
            text = in.readAllBytes();
        }
        List<String> lines = new ArrayList<>(List.of(new String(text, StandardCharsets.UTF_8).split("\n", -1)));
        String a = lines.get(1000);
        lines.set(1000, lines.get(1001));
        lines.set(1001, a);
        Path swapped = dir.resolve("swapped.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(swapped))) {
            out.write(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
        }
        Path tiny = tiny();
        assertMentions(assertThrows(ModelException.class, () -> OnnxDeCap.fromBundle(tiny).vocabulary(swapped)
                .buildDecoder()), swapped.toString(), "tokenizer.vocabulary_sha256");
        Tokenizer edited = BundleTokenizers.load(ModelBundle.open(tiny), swapped, false).orElseThrow();
        Tokenizer real = BundleTokenizers.load(ModelBundle.open(tiny), vocab).orElseThrow();
        assertEquals(real.vocabularySize(), edited.vocabularySize(), "opted out: the edited vocabulary loads");
    }

    @Test
    void an_unsealed_manifest_of_an_older_exporter_still_opens_with_nothing_recorded_checked() throws IOException {
        ObjectNode m = TestBundles.write(dir, true);
        TestBundles.saveUnsealed(dir, m);
        ModelBundle b = ModelBundle.open(dir);
        assertFalse(b.sealed());
        assertTrue(b.expectedVocabularySha256().isEmpty());
        assertTrue(b.manifest().files().values().stream().allMatch(e -> e.size() == null));
    }

    @Test
    void the_shipped_canonical_example_differs_when_one_value_changes() {
        byte[] a = "{\"x\": 1}".getBytes(StandardCharsets.UTF_8);
        byte[] b = "{\"x\": 2}".getBytes(StandardCharsets.UTF_8);
        assertNotEquals(ManifestSeal.canonicalSha256(a), ManifestSeal.canonicalSha256(b));
        assertArrayEquals(ManifestSeal.canonicalBytes("{ \"x\" : 1 }".getBytes(StandardCharsets.UTF_8)),
                ManifestSeal.canonicalBytes(a));
    }
}
