package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.Version;
import dev.decap.examples.eval.MiniatureWorld;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code decap caption} with the shipped model: every flag. */
class CaptionCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void requireModel() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
    }

    Path scene(String name, long seed) throws IOException {
        Path p = dir.resolve(name);
        ImageIO.write(MiniatureWorld.render(MiniatureWorld.scene(seed)), "png", p.toFile());
        return p;
    }

    static List<JsonNode> lines(CliRun run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : run.out().strip().split("\n")) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    static void assertOneLineError(CliRun run, int code, String... fragments) {
        assertEquals(code, run.exitCode(), run.err());
        String err = run.err().strip();
        assertTrue(err.startsWith("error: "), err);
        assertFalse(err.contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) {
            assertTrue(err.contains(f), "expected \"" + f + "\" in: " + err);
        }
    }

    @Test
    void caption_with_no_bundle_uses_the_shipped_model_one_line_per_image() throws IOException {
        Path a = scene("a.png", 1);
        Path b = scene("b.png", 2);
        CliRun run = CliRun.of("caption", a.toString(), b.toString());
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(2, lines.length, run.out());
        assertTrue(lines[0].startsWith(a + ": ") && lines[0].length() > (a + ": ").length(), lines[0]);
        assertTrue(lines[1].startsWith(b + ": "), lines[1]);
    }

    @Test
    void json_prints_text_tokens_logprobs_score_and_neighbours_per_image() throws IOException {
        Path a = scene("a.png", 3);
        CliRun run = CliRun.of("caption", "--json", a.toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = lines(run).get(0);
        assertEquals(a.toString(), o.get("image").asText());
        assertFalse(o.get("text").asText().isBlank());
        assertEquals(o.get("tokens").size(), o.get("logprobs").size());
        assertTrue(o.get("tokens").size() > 0);
        double sum = 0;
        for (JsonNode lp : o.get("logprobs")) {
            assertTrue(lp.asDouble() <= 0, "log-probabilities are at most 0");
            sum += lp.asDouble();
        }
        assertTrue(o.get("score").asDouble() <= sum + 1e-4,
                "the greedy score sums the tokens' log-probabilities and the end-of-text's");
        assertTrue(o.get("neighbours").size() > 0);
        double weights = 0;
        for (JsonNode n : o.get("neighbours")) {
            assertTrue(n.get("caption").isTextual() && n.has("similarity"));
            weights += n.get("weight").asDouble();
        }
        assertTrue(weights > 0 && weights <= 1 + 1e-5, "weights of the listed neighbours: " + weights);
    }

    @Test
    void directories_expand_to_their_image_files_sorted_by_name() throws IOException {
        scene("b.png", 4);
        scene("a.png", 5);
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        CliRun run = CliRun.of("caption", "--json", dir.toString());
        assertEquals(0, run.exitCode(), run.err());
        List<JsonNode> l = lines(run);
        assertEquals(List.of(dir.resolve("a.png").toString(), dir.resolve("b.png").toString()),
                l.stream().map(o -> o.get("image").asText()).toList());
    }

    @Test
    void an_empty_directory_is_bad_input() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertOneLineError(CliRun.of("caption", empty.toString()), 1, "no image files");
    }

    @Test
    void strategy_retrieval_returns_a_memory_caption_verbatim() throws IOException {
        CliRun run = CliRun.of("caption", "--json", "--strategy", "retrieval", scene("a.png", 6).toString());
        assertEquals(0, run.exitCode(), run.err());
        JsonNode o = lines(run).get(0);
        assertTrue(Miniature.memoryCaptions().contains(o.get("text").asText()), o.toString());
        assertEquals(0, o.get("tokens").size());
        assertEquals(1.0, o.get("neighbours").get(0).get("weight").asDouble(), 1e-6);
    }

    @Test
    void strategy_nnd_decodes_one_neighbour_and_visual_none() throws IOException {
        Path a = scene("a.png", 7);
        JsonNode nnd = lines(CliRun.of("caption", "--json", "--strategy", "NND", a.toString())).get(0);
        assertEquals(1, nnd.get("neighbours").size());
        assertEquals(1.0, nnd.get("neighbours").get(0).get("weight").asDouble(), 1e-6);
        JsonNode visual = lines(CliRun.of("caption", "--json", "--strategy", "visual", a.toString())).get(0);
        assertEquals(0, visual.get("neighbours").size());
        assertTrue(visual.get("tokens").size() > 0);
    }

    @Test
    void an_unknown_strategy_is_a_usage_error() throws IOException {
        CliRun run = CliRun.of("caption", "--strategy", "magic", scene("a.png", 8).toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("expected pd, nnd, visual or retrieval"), run.err());
    }

    @Test
    void beam_search_captions_and_a_bad_width_names_the_flag() throws IOException {
        Path a = scene("a.png", 9);
        CliRun run = CliRun.of("caption", "--json", "--beam", "3", a.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(lines(run).get(0).get("tokens").size() > 0);
        assertOneLineError(CliRun.of("caption", "--beam", "0", a.toString()), 1, "--beam");
        // an absurd width is refused at the door, not by running out of memory
        assertOneLineError(CliRun.of("caption", "--beam", "100000", a.toString()), 1, "--beam must be between 1 and");
        assertOneLineError(CliRun.of("caption", "--beam", "2", "--strategy", "retrieval", a.toString()), 1,
                "--beam");
    }

    @Test
    void top_k_one_mixes_exactly_one_memory_caption() throws IOException {
        Path a = scene("a.png", 10);
        JsonNode o = lines(CliRun.of("caption", "--json", "--top-k", "1", a.toString())).get(0);
        assertEquals(1, o.get("neighbours").size(), o.toString());
        assertEquals(1.0, o.get("neighbours").get(0).get("weight").asDouble(), 1e-6);
        assertOneLineError(CliRun.of("caption", "--top-k", "0", a.toString()), 1, "--top-k");
        assertOneLineError(CliRun.of("caption", "--top-k", "3", "--strategy", "visual", a.toString()), 1,
                "--top-k applies to --strategy pd");
    }

    @Test
    void memory_replaces_the_shipped_memory() throws IOException {
        List<String> own = List.of("a red circle to the left of a blue square", "a green triangle above a "
                + "yellow circle", "a purple square below an orange triangle");
        Path memory = Files.write(dir.resolve("memory.txt"), own);
        JsonNode o = lines(CliRun.of("caption", "--json", "--memory", memory.toString(),
                scene("a.png", 11).toString())).get(0);
        for (JsonNode n : o.get("neighbours")) {
            assertTrue(own.contains(n.get("caption").asText()), n.toString());
        }
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n \n");
        assertOneLineError(CliRun.of("caption", "--memory", empty.toString(), scene("b.png", 12).toString()), 1,
                "--memory", "no captions");
        assertOneLineError(CliRun.of("caption", "--memory", dir.resolve("none.txt").toString(),
                scene("c.png", 13).toString()), 1, "--memory", "does not exist");
    }

    @Test
    void a_memory_file_that_is_a_directory_or_not_utf8_is_named_as_such_in_one_line() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("captions"));
        assertOneLineError(CliRun.of("caption", "--memory", folder.toString(), scene("d.png", 16).toString()), 1,
                "--memory", folder.toString(), "is a directory");
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertOneLineError(CliRun.of("caption", "--memory", latin1.toString(), scene("e.png", 17).toString()), 1,
                "--memory", latin1.toString(), "not valid UTF-8");
    }

    @Test
    void max_tokens_limits_the_caption_and_is_checked_against_the_decoder_positions() throws IOException {
        Path a = scene("a.png", 14);
        JsonNode o = lines(CliRun.of("caption", "--json", "--max-tokens", "3", a.toString())).get(0);
        assertTrue(o.get("tokens").size() <= 3, o.toString());
        assertOneLineError(CliRun.of("caption", "--max-tokens", "1000", a.toString()), 1, "--max-tokens 1000",
                "max_positions");
        assertOneLineError(CliRun.of("caption", "--max-tokens", "0", a.toString()), 1, "--max-tokens");
    }

    @Test
    void a_bad_image_stops_the_batch_with_one_line_naming_it() throws IOException {
        Path good = scene("a.png", 15);
        Path bad = Files.writeString(dir.resolve("b.png"), "not a png");
        CliRun run = CliRun.of("caption", good.toString(), bad.toString());
        assertOneLineError(run, 1, bad.toString(), "--continue-on-error");
        assertEquals(1, run.out().strip().split("\n").length, "the good image was captioned first");
    }

    @Test
    void continue_on_error_reports_the_bad_image_and_captions_the_others() throws IOException {
        Path a = scene("a.png", 16);
        Path bad = Files.writeString(dir.resolve("b.png"), "not a png");
        Path missing = dir.resolve("missing.png");
        Path c = scene("c.png", 17);
        CliRun run = CliRun.of("caption", "--json", "--continue-on-error", a.toString(), bad.toString(),
                missing.toString(), c.toString());
        assertEquals(1, run.exitCode(), "some images failed");
        List<JsonNode> l = lines(run);
        assertEquals(4, l.size(), run.out());
        assertTrue(l.get(0).has("text") && l.get(3).has("text"));
        assertTrue(l.get(1).get("error").asText().contains(bad.toString()));
        assertTrue(l.get(2).get("error").asText().contains(missing.toString()));
        assertTrue(run.err().contains("error: " ) && run.err().contains(bad.toString())
                && run.err().contains("2 of 4 images"), run.err());
        assertFalse(run.err().contains("\tat "));
    }

    /** A JPEG whose scan holds a stray restart marker: libjpeg warns "Corrupt JPEG data", Pillow decodes it. */
    Path damagedJpeg(String name) throws IOException {
        Path p = dir.resolve(name);
        ImageIO.write(MiniatureWorld.render(MiniatureWorld.scene(19)), "jpeg", p.toFile());
        byte[] b = Files.readAllBytes(p);
        int sos = 2;
        while (!((b[sos] & 0xFF) == 0xFF && (b[sos + 1] & 0xFF) == 0xDA)) {
            sos++;
        }
        b[sos + 120] = (byte) 0xFF;
        b[sos + 121] = (byte) 0xD0;
        return Files.write(p, b);
    }

    @Test
    void strict_images_refuses_a_damaged_jpeg_that_is_captioned_by_default() throws IOException {
        Path damaged = damagedJpeg("damaged.jpg");
        CliRun lenient = CliRun.of("caption", damaged.toString());
        assertEquals(0, lenient.exitCode(), lenient.err());
        assertOneLineError(CliRun.of("caption", "--strict-images", damaged.toString()), 1, damaged.toString(),
                "damaged", "Corrupt JPEG data", "--strict-images");
    }

    @Test
    void max_pixels_refuses_larger_images_naming_the_flag() throws IOException {
        Path a = scene("a.png", 20);
        assertOneLineError(CliRun.of("caption", "--max-pixels", "100", a.toString()), 1, a.toString(),
                "over the limit of 100", "--max-pixels");
    }

    @Test
    void vocab_without_bundle_and_bundle_without_memory_are_refused_naming_flags() throws IOException {
        Path a = scene("a.png", 18);
        assertOneLineError(CliRun.of("caption", "--vocab", dir.toString(), a.toString()), 1, "--vocab");
        assertOneLineError(CliRun.of("caption", "--bundle", dir.toString(), a.toString()), 1, "--memory");
    }

    @Test
    void version_is_the_build_version() {
        CliRun run = CliRun.of("--version");
        assertEquals(0, run.exitCode());
        assertEquals("decap " + Version.current(), run.out().strip());
        assertFalse(Version.current().equals("unknown"));
    }

    @Test
    void library_wording_is_turned_into_flags() {
        assertEquals("give either --memory or --memory, not both",
                DecapCli.inCliTerms("give either memoryBank(..) or memoryCaptions(..), not both"));
        assertEquals("red text", DecapCli.inCliTerms("\u001B[31mred\u001B[0m\n text"));
    }

    @Test
    void bundle_with_memory_captions_like_the_shipped_model_and_no_verify_skips_checksums() throws IOException {
        Path bundle = Files.createDirectory(dir.resolve("bundle"));
        try (java.util.stream.Stream<Path> files = Files.list(Miniature.bundleDirectory())) {
            for (Path f : files.toList()) {
                Files.copy(f, bundle.resolve(f.getFileName().toString()));
            }
        }
        Path memory = Files.write(dir.resolve("memory.txt"), Miniature.memoryCaptions());
        Path a = scene("a.png", 19);
        CliRun shipped = CliRun.of("caption", a.toString());
        CliRun given = CliRun.of("caption", "--bundle", bundle.toString(), "--memory", memory.toString(), a.toString());
        assertEquals(0, given.exitCode(), given.err());
        assertEquals(shipped.out(), given.out());
        CliRun noMask = CliRun.of("caption", "--no-mask", a.toString());
        assertEquals(shipped.out(), noMask.out(), "every id of the word decoder is decodable: masking changes nothing");

        Path manifest = bundle.resolve("decap-bundle.json");
        String sha = ModelBundleSha.of(bundle.resolve("decoder.onnx"));
        Files.writeString(manifest, Files.readString(manifest).replace(sha, "0".repeat(64)));
        // the manifest is sealed, so editing it is caught by its own checksum first
        assertOneLineError(CliRun.of("caption", "--bundle", bundle.toString(), "--memory", memory.toString(),
                a.toString()), 1, "fails its seal", "manifest_sha256", "--no-verify");
        CliRun unverified = CliRun.of("caption", "--no-verify", "--bundle", bundle.toString(), "--memory",
                memory.toString(), a.toString());
        assertEquals(0, unverified.exitCode(), unverified.err());
        assertEquals(shipped.out(), unverified.out());
    }

    /** The bundle's own hashing, so the test edits exactly the manifest's value. */
    static final class ModelBundleSha {
        static String of(Path file) {
            return dev.decap.onnx.bundle.ModelBundle.sha256(file);
        }
    }
}
