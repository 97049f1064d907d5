package dev.decap.miniature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.DecapException;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, "every error names its input": the shipped bundle and the tiny test bundle are broken in several hundred
 * generated ways (every file truncated, flipped, deleted or replaced by a directory, with and without verification;
 * every manifest member removed or given a value of every wrong type), then opened and loaded. Whatever fails must
 * fail with a {@link DecapException} whose message names the bundle (its directory or manifest).
 */
class BundleErrorsNameTheBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private int counter;

    /** The outcome of all cases: how many were run, how many failed as they should, and what was wrong. */
    private static final class Tally {
        int cases;
        int refused;
        int loaded;
        final List<String> wrong = new ArrayList<>();
    }

    private static Path tiny() {
        Path p = Path.of("..", "decap-onnx", "src", "test", "resources", "fixtures", "tiny").toAbsolutePath()
                .normalize();
        Assumptions.assumeTrue(Files.isRegularFile(p.resolve(ModelBundle.MANIFEST)), "fixture not found: " + p);
        return p;
    }

    private static Path miniature() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
        return Miniature.bundleDirectory();
    }

    /**
     * A copy of the bundle for one case: hard links to one full copy (cheap), so a case must {@link #replace} a
     * file, never write into it.
     */
    private Path copy(Path bundle) throws IOException {
        Path base = work.resolve("base-" + bundle.getFileName());
        if (!Files.isDirectory(base)) {
            Files.createDirectories(base);
            try (Stream<Path> files = Files.list(bundle)) {
                for (Path f : files.toList()) {
                    Files.copy(f, base.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path dir = work.resolve("case-" + counter++);
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : files.toList()) {
                try {
                    Files.createLink(dir.resolve(f.getFileName()), f);
                } catch (UnsupportedOperationException | IOException noLinks) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
        }
        return dir;
    }

    /** Replaces a file of a case's copy (unlinking it first, so the shared copy is untouched). */
    private static void replace(Path file, byte[] bytes) throws IOException {
        Files.deleteIfExists(file);
        Files.write(file, bytes);
    }

    /** Opens and loads the bundle in {@code dir}; a failure must be a DecapException naming the bundle. */
    private static void attempt(Path dir, boolean verify, String what, Tally tally) {
        tally.cases++;
        try (DecapModel model = OnnxDeCap.fromBundle(dir).verifyChecksums(verify).load()) {
            model.bundle();
            tally.loaded++;
        } catch (DecapException e) {
            tally.refused++;
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (!m.contains(dir.toString())) {
                tally.wrong.add(what + " (verify " + verify + "): " + e.getClass().getSimpleName() + ": " + m);
            }
        } catch (RuntimeException | Error e) {
            tally.wrong.add(what + " (verify " + verify + "): not a DecapException: " + e);
        }
    }

    private void fileCases(Path bundle, Tally tally) throws IOException {
        JsonNode files = JSON.readTree(bundle.resolve(ModelBundle.MANIFEST).toFile()).get("files");
        List<String> names = new ArrayList<>();
        files.forEach(f -> names.add(f.get("path").asText()));
        for (String name : names) {
            byte[] original = Files.readAllBytes(bundle.resolve(name));
            List<Map.Entry<String, byte[]>> variants = new ArrayList<>();
            for (int keep : new int[] {0, 1, 2, 16, original.length / 2, original.length - 1}) {
                variants.add(Map.entry("truncated to " + keep, Arrays.copyOf(original, Math.max(0, keep))));
            }
            for (int at : new int[] {0, 1, 3, original.length / 3, original.length / 2, original.length - 1}) {
                byte[] b = original.clone();
                b[at] ^= (byte) 0xff;
                variants.add(Map.entry("byte " + at + " flipped", b));
            }
            variants.add(Map.entry("zeros", new byte[original.length]));
            byte[] longer = Arrays.copyOf(original, original.length + 7);
            variants.add(Map.entry("7 bytes appended", longer));
            for (Map.Entry<String, byte[]> v : variants) {
                for (boolean verify : new boolean[] {true, false}) {
                    Path dir = copy(bundle);
                    replace(dir.resolve(name), v.getValue());
                    int refusedBefore = tally.refused + tally.wrong.size();
                    attempt(dir, verify, name + " " + v.getKey(), tally);
                    if (verify && tally.refused + tally.wrong.size() == refusedBefore) {
                        tally.wrong.add(name + " " + v.getKey() + " was accepted with verification on");
                    }
                }
            }
            for (boolean verify : new boolean[] {true, false}) {
                Path dir = copy(bundle);
                Files.delete(dir.resolve(name));
                attempt(dir, verify, name + " deleted", tally);
                dir = copy(bundle);
                Files.delete(dir.resolve(name));
                Files.createDirectory(dir.resolve(name));
                attempt(dir, verify, name + " replaced by a directory", tally);
            }
        }
    }

    /** Every member path of the manifest: "a", "a.b", "a.b[2]". */
    private static void paths(JsonNode node, String prefix, List<String> out) {
        if (node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                String p = prefix.isEmpty() ? k : prefix + "." + k;
                out.add(p);
                paths(node.get(k), p, out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String p = prefix + "[" + i + "]";
                out.add(p);
                paths(node.get(i), p, out);
            }
        }
    }

    private static final java.util.Set<String> FREE_TEXT = java.util.Set.of("name", "description", "created_by");

    private static JsonNode[] wrongValues() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return new JsonNode[] {f.textNode("x"), f.textNode(""), f.textNode("../../etc/passwd"), f.numberNode(1.5),
                f.numberNode(-1), f.numberNode(0), f.numberNode(2147483648L), f.booleanNode(true), f.nullNode(),
                f.arrayNode(), f.objectNode()};
    }

    private void manifestCases(Path bundle, java.util.function.Predicate<String> which, Tally tally)
            throws IOException {
        JsonNode manifest = JSON.readTree(bundle.resolve(ModelBundle.MANIFEST).toFile());
        List<String> paths = new ArrayList<>();
        paths(manifest, "", paths);
        for (String path : paths.stream().filter(which).toList()) {
            int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
            String parentPath = cut < 0 ? "" : path.substring(0, cut);
            String last = cut < 0 ? path : path.substring(cut + (path.charAt(cut) == '.' ? 1 : 0));
            List<Map.Entry<String, JsonNode>> changes = new ArrayList<>();
            changes.add(Map.entry("removed", JsonNodeFactory.instance.missingNode()));
            // free text is read as text whatever it holds: a few values suffice (each accepted one loads models)
            boolean freeText = FREE_TEXT.contains(path);
            for (JsonNode v : freeText ? new JsonNode[] {JsonNodeFactory.instance.arrayNode(),
                    JsonNodeFactory.instance.objectNode()} : wrongValues()) {
                changes.add(Map.entry("= " + v, v));
            }
            // a checksum is only read with verification on; every other edit is checked with it off, so that it
            // reaches the field's own check rather than the manifest's seal
            boolean verify = path.endsWith("sha256");
            for (Map.Entry<String, JsonNode> change : changes) {
                ObjectNode m = manifest.deepCopy();
                JsonNode parent = parentPath.isEmpty() ? m : at(m, parentPath);
                if (parent instanceof ObjectNode o) {
                    if (change.getValue().isMissingNode()) {
                        o.remove(last);
                    } else {
                        o.set(last, change.getValue());
                    }
                } else if (parent instanceof ArrayNode a) {
                    int i = Integer.parseInt(last.substring(1, last.length() - 1));
                    if (change.getValue().isMissingNode()) {
                        a.remove(i);
                    } else {
                        a.set(i, change.getValue());
                    }
                }
                Path dir = copy(bundle);
                replace(dir.resolve(ModelBundle.MANIFEST), JSON.writeValueAsBytes(m));
                attempt(dir, verify, "manifest " + path + " " + change.getKey(), tally);
            }
        }
        for (String text : new String[] {"", "{", "[]", "null", "42", "{\"format\": \"decap-bundle\"}", "\u0000",
                "{\"format\": \"decap-bundle\", \"format_version\": 1, \"embedding_dim\": 64, \"files\": []}"}) {
            Path dir = copy(bundle);
            replace(dir.resolve(ModelBundle.MANIFEST), text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            attempt(dir, true, "manifest text " + text, tally);
        }
    }

    private static JsonNode at(JsonNode root, String path) {
        JsonNode n = root;
        for (String step : path.replace("[", ".[").split("\\.")) {
            if (step.isEmpty()) {
                continue;
            }
            n = step.startsWith("[") ? n.get(Integer.parseInt(step.substring(1, step.length() - 1))) : n.get(step);
        }
        return n;
    }

    private void run(Path bundle, java.util.function.Predicate<String> manifestPaths) throws IOException {
        Tally tally = new Tally();
        fileCases(bundle, tally);
        manifestCases(bundle, manifestPaths, tally);
        assertTrue(tally.cases > 100 && tally.refused > 100, "cases: " + tally.cases + ", refused " + tally.refused);
        assertTrue(tally.wrong.isEmpty(), tally.wrong.size() + " of " + tally.refused + " errors (" + tally.cases
                + " cases) do not name the bundle or are not DecapExceptions:\n" + String.join("\n", tally.wrong));
    }

    @Test
    void every_error_from_a_broken_shipped_bundle_is_a_decap_exception_naming_the_bundle() throws IOException {
        run(miniature(), path -> true);
    }

    @Test
    void every_error_from_a_broken_clip_bundle_is_a_decap_exception_naming_the_bundle() throws IOException {
        // the manifest is the shipped one's but for the CLIP tokenizer and the vocabulary map: only those are edited
        run(tiny(), path -> path.startsWith("tokenizer") || path.contains("vocab_map"));
    }
}
