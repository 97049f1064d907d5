package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code decap bundle verify} and {@code decap bundle seal}: one JSON line, one-line errors, exit codes 0/1/2. */
class BundleCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path copyOfMiniature() throws IOException {
        Path copy = dir.resolve("mini");
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(Miniature.bundleDirectory())) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return copy;
    }

    private static JsonNode lastJsonLine(String out) throws IOException {
        String[] lines = out.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    private static void assertOneLineError(CliRun run, String... parts) {
        assertEquals(1, run.exitCode(), run.err());
        String[] lines = run.err().strip().split("\n");
        assertEquals(1, lines.length, run.err());
        assertTrue(lines[0].startsWith("error: "), run.err());
        for (String p : parts) {
            assertTrue(lines[0].contains(p), "error should mention '" + p + "': " + lines[0]);
        }
    }

    @Test
    void verify_checks_every_file_and_opens_every_model_of_the_shipped_bundle() throws IOException {
        Path copy = copyOfMiniature();
        CliRun run = CliRun.of("bundle", "verify", copy.toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = lastJsonLine(run.out());
        assertTrue(o.get("ok").asBoolean());
        assertTrue(o.get("sealed").asBoolean());
        assertEquals(4, o.get("files").size());
        assertEquals(3, o.get("models_opened").size());
        assertEquals(copy.resolve("vocab.txt").toAbsolutePath().toString(), o.get("vocabulary").asText());
        assertEquals("", run.err().strip(), "a sealed bundle with its vocabulary has nothing to note");
    }

    @Test
    void verify_fails_in_one_line_naming_the_file_for_a_flipped_byte_a_truncation_and_a_missing_file()
            throws IOException {
        Path copy = copyOfMiniature();
        Path decoder = copy.resolve("decoder.onnx");
        byte[] original = Files.readAllBytes(decoder);
        byte[] flipped = original.clone();
        flipped[flipped.length / 2] ^= 0x01;
        Files.write(decoder, flipped);
        assertOneLineError(CliRun.of("bundle", "verify", copy.toString()), decoder.toString(), "fails its checksum");
        Files.write(decoder, Arrays.copyOf(original, original.length - 10));
        assertOneLineError(CliRun.of("bundle", "verify", copy.toString()), decoder.toString(), "wrong size");
        Files.delete(decoder);
        assertOneLineError(CliRun.of("bundle", "verify", copy.toString()), decoder.toString(), "missing");
    }

    @Test
    void an_edited_manifest_fails_verify_until_it_is_sealed_again() throws IOException {
        Path copy = copyOfMiniature();
        Path manifest = copy.resolve("decap-bundle.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"max_tokens\": 24", "\"max_tokens\": 20"));
        assertOneLineError(CliRun.of("bundle", "verify", copy.toString()), manifest.toString(), "fails its seal",
                "decap bundle seal");
        CliRun seal = CliRun.of("bundle", "seal", copy.toString());
        assertEquals(0, seal.exitCode(), seal.err());
        assertEquals(64, lastJsonLine(seal.out()).get("manifest_sha256").asText().length());
        assertEquals(0, CliRun.of("bundle", "verify", copy.toString()).exitCode());
    }

    @Test
    void a_clip_bundle_is_verified_against_the_vocabulary_it_was_sealed_with() throws IOException {
        Path tiny = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path vocab = CliRun.shared().resolve("clip/bpe_simple_vocab_16e6.txt.gz");
        CliRun ok = CliRun.of("bundle", "verify", tiny.toString(), "--vocab", vocab.toString());
        assertEquals(0, ok.exitCode(), ok.err());
        assertEquals(3, lastJsonLine(ok.out()).get("models_opened").size());
        Path other = dir.resolve("other.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(other))) {
            out.write("#version: 0.2\na b\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        assertOneLineError(CliRun.of("bundle", "verify", tiny.toString(), "--vocab", other.toString()),
                other.toString(), "tokenizer.vocabulary_sha256");
        java.nio.ByteBuffer prefix = java.nio.ByteBuffer.allocate(64 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) {
            prefix.putFloat(0.125f);
        }
        Path prefixFile = Files.write(dir.resolve("prefix.f32"), prefix.array());
        assertOneLineError(CliRun.of("decode", "--bundle", tiny.toString(), "--vocab", other.toString(),
                "--prefix", prefixFile.toString()), other.toString(), "--no-verify-vocab");
    }

    @Test
    void a_bundle_without_vocabulary_is_verified_with_a_note_on_standard_error() {
        Path official = CliRun.fixture("official-layout/decap-bundle.json").getParent();
        CliRun run = CliRun.of("bundle", "verify", official.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("not checked; give --vocab PATH"), run.err());
    }

    @Test
    void usage_errors_exit_with_2() {
        assertEquals(2, CliRun.of("bundle", "verify").exitCode());
        assertEquals(2, CliRun.of("bundle", "seal", dir.toString(), "--vocab", dir.resolve("nope").toString())
                .exitCode());
    }
}
