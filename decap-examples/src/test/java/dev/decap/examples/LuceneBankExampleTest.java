package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.projection.Contribution;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the Lucene bank example end to end on the tiny random bundle. */
class LuceneBankExampleTest {
    private static final Path BUNDLE = Path.of("..", "decap-onnx", "src", "test", "resources", "fixtures", "tiny")
            .toAbsolutePath().normalize();

    private static final List<String> CORPUS = List.of(
            "a man riding a wave on top of a surfboard",
            "a plate of food with broccoli and rice",
            "a cat sleeping on a red couch",
            "two giraffes standing next to a tree",
            "a bus driving down a city street",
            "a group of people flying kites in a park",
            "a red double decker bus on a street",
            "a surfer riding a large wave in the ocean");

    @TempDir
    Path dir;

    private static Path data() {
        Path p = Path.of(System.getProperty("decap.shared.dir", "../shared")).toAbsolutePath().normalize()
                .resolve("data");
        Assumptions.assumeTrue(Files.isDirectory(p), "../shared/data not found: " + p
                + " (the CLIP vocabulary and COCO photos live there)");
        return p;
    }

    @Test
    void the_first_run_builds_the_bank_on_disk_and_later_runs_reopen_it() throws IOException {
        Path data = data();
        Path vocabulary = data.resolve("clip/bpe_simple_vocab_16e6.txt.gz");
        Path image = data.resolve("images/000000190756.jpg");
        Path captions = Files.write(dir.resolve("captions.txt"), CORPUS);
        Path bank = dir.resolve("bank");

        Caption first = LuceneBankExample.caption(BUNDLE, vocabulary, captions, bank, image, 4);
        assertEquals(Caption.Method.DECODED, first.method());
        assertEquals(4, first.contributions().size(), "top-4 projection mixes exactly four entries");
        double total = 0;
        for (Contribution c : first.contributions()) {
            assertTrue(CORPUS.contains(c.caption()), c.caption());
            total += c.weight();
        }
        assertEquals(1.0, total, 1e-4, "the weights of the mixed entries sum to one");
        try (LuceneMemoryBank reopened = LuceneMemoryBank.open(bank)) {
            assertEquals(CORPUS.size(), reopened.size());
            assertEquals(CORPUS.get(2), reopened.caption(2));
            reopened.verify();
        }

        // A second run reopens the bank: the (different) caption file is not read again.
        Path other = Files.write(dir.resolve("other.txt"), List.of("something else entirely"));
        Caption second = LuceneBankExample.caption(BUNDLE, vocabulary, other, bank, image, 4);
        assertEquals(first.text(), second.text());
        assertEquals(first.contributions(), second.contributions());

        Caption dense = LuceneBankExample.caption(BUNDLE, vocabulary, other, bank, image, 0);
        assertFalse(dense.contributions().isEmpty());
        assertTrue(dense.contributions().stream().allMatch(c -> CORPUS.contains(c.caption())));
    }

    @Test
    void caption_files_are_read_one_caption_per_line_without_blank_lines() throws IOException {
        Path file = Files.writeString(dir.resolve("c.txt"), "  a dog  \n\n a cat\r\n\t\n");
        assertEquals(List.of("a dog", "a cat"), LuceneBankExample.readCaptions(file));
    }
}
