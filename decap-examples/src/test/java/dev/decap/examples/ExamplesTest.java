package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.projection.Contribution;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the examples end to end on the tiny random bundle (its captions are word salad, but consistent). */
class ExamplesTest {
    private static final Path BUNDLE = Path.of("..", "decap-onnx", "src", "test", "resources", "fixtures", "tiny")
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static Path data() {
        Path p = Path.of(System.getProperty("decap.shared.dir", "../shared")).toAbsolutePath().normalize()
                .resolve("data");
        Assumptions.assumeTrue(Files.isDirectory(p), "../shared/data not found: " + p
                + " (the CLIP vocabulary and COCO photos live there)");
        return p;
    }

    private static final List<String> CORPUS = List.of(
            "a man riding a wave on top of a surfboard",
            "a plate of food with broccoli and rice",
            "a cat sleeping on a red couch",
            "two giraffes standing next to a tree",
            "a bus driving down a city street",
            "a group of people flying kites in a park");

    @Test
    void compare_decoding_methods_gives_four_consistent_captions_per_image() throws IOException {
        Path data = data();
        Path captions = Files.write(dir.resolve("captions.txt"), CORPUS);
        List<Path> images = List.of(data.resolve("images/000000190756.jpg"), data.resolve("images/000000232244.jpg"));
        List<CompareDecodingMethods.Result> results = CompareDecodingMethods.run(BUNDLE,
                data.resolve("clip/bpe_simple_vocab_16e6.txt.gz"), captions, images);

        assertEquals(2, results.size());
        for (CompareDecodingMethods.Result r : results) {
            assertEquals(List.of("PD", "NND", "visual", "retrieval"), List.copyOf(r.captions().keySet()));
            Caption pd = r.captions().get("PD");
            Caption nnd = r.captions().get("NND");
            Caption visual = r.captions().get("visual");
            Caption retrieval = r.captions().get("retrieval");
            assertEquals(Caption.Method.DECODED, pd.method());
            assertFalse(pd.contributions().isEmpty());
            double listed = pd.contributions().stream().mapToDouble(Contribution::weight).sum();
            assertTrue(listed > 0 && listed <= 1 + 1e-5, "listed PD weights " + listed);
            assertTrue(visual.contributions().isEmpty(), "visual decoding uses no memory");
            // NND decodes the nearest entry, which is exactly what retrieval returns verbatim.
            assertEquals(1, nnd.contributions().size());
            assertEquals(retrieval.text(), nnd.contributions().get(0).caption());
            assertTrue(CORPUS.contains(retrieval.text()));
            assertEquals(Caption.Method.RETRIEVED, retrieval.method());
        }

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompareDecodingMethods.print(results, new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("retrieval") && printed.contains("PD mixed:"), printed);
    }

    @Test
    void custom_memory_bank_supplies_every_contribution() {
        Path data = data();
        Caption caption = CustomMemoryBankExample.caption(BUNDLE, data.resolve("clip/bpe_simple_vocab_16e6.txt.gz"),
                data.resolve("images/000000325483.jpg"));
        Set<String> catalogue = CustomMemoryBankExample.demoCatalogue().stream()
                .map(CustomMemoryBankExample.Product::description).collect(Collectors.toSet());
        assertFalse(caption.contributions().isEmpty());
        for (Contribution c : caption.contributions()) {
            assertTrue(catalogue.contains(c.caption()), c.caption());
        }
        double total = caption.contributions().stream().mapToDouble(Contribution::weight).sum();
        assertEquals(1.0, total, 1e-4, "all five entries are listed, so their weights sum to one");
    }
}
