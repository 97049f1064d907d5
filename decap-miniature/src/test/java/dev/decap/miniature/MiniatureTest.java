package dev.decap.miniature;

import dev.decap.Caption;
import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.onnx.bundle.ModelBundle;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MiniatureTest {
    @TempDir
    Path cache;

    @BeforeEach
    void requireModel() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources "
                + "(written by tools/miniature/build_all.py)");
    }

    @Test
    void the_bundle_is_extracted_once_and_opens_with_every_checksum() throws IOException {
        Path dir = Miniature.extract(cache);
        assertTrue(dir.startsWith(cache), dir.toString());
        ModelBundle bundle = ModelBundle.open(dir);
        assertTrue(bundle.decoderFile().isPresent() && bundle.imageEncoderFile().isPresent()
                && bundle.textEncoderFile().isPresent());
        assertEquals(dir, Miniature.extract(cache));
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(dir), s.filter(Files::isDirectory).toList(), "no temporary directory is left");
        }
    }

    @Test
    void a_damaged_cached_copy_is_replaced() throws IOException {
        Path dir = Miniature.extract(cache);
        Path decoder = ModelBundle.open(dir).decoderFile().orElseThrow();
        Files.write(decoder, new byte[]{1, 2, 3});
        Path again = Miniature.extract(cache);
        ModelBundle.open(again);   // every checksum passes again
        try (Stream<Path> s = Files.list(cache)) {
            assertEquals(List.of(again), s.filter(Files::isDirectory).toList());
        }
    }

    @Test
    void concurrent_first_uses_agree_on_one_intact_copy() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> all = Stream.generate(() -> pool.submit(() -> Miniature.extract(cache))).limit(4)
                    .toList();
            Path first = all.get(0).get();
            for (Future<Path> f : all) {
                assertEquals(first, f.get());
            }
            ModelBundle.open(first);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void the_shipped_memory_is_a_non_empty_caption_corpus() {
        List<String> memory = Miniature.memoryCaptions();
        assertTrue(memory.size() > 100, "memory has " + memory.size() + " captions");
        assertTrue(memory.stream().noneMatch(String::isBlank));
    }

    @Test
    void one_line_gives_a_captioner_that_describes_an_image() {
        System.setProperty(Miniature.CACHE_PROPERTY, cache.toString());
        try (DeCap decap = Miniature.captioner()) {
            Caption c = decap.caption(redCircle());
            assertFalse(c.text().isBlank(), c.toString());
            assertFalse(c.contributions().isEmpty());
        } finally {
            System.clearProperty(Miniature.CACHE_PROPERTY);
        }
    }

    @Test
    void pipelined_batches_caption_exactly_like_one_image_at_a_time() throws IOException {
        System.setProperty(Miniature.CACHE_PROPERTY, cache.toString());
        Path samples = Path.of("..", "docs", "samples");
        Assumptions.assumeTrue(Files.isDirectory(samples), "docs/samples not found from "
                + Path.of("").toAbsolutePath());
        List<Path> files;
        try (Stream<Path> s = Files.list(samples)) {
            files = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertTrue(files.size() >= 4, files.toString());
        try (DeCap decap = Miniature.captioner(); DeCap batched = decap.withBatchSize(3)) {
            List<Caption> serial = new java.util.ArrayList<>();
            List<BufferedImage> images = new java.util.ArrayList<>();
            for (Path f : files) {
                serial.add(decap.caption(f));
                images.add(javax.imageio.ImageIO.read(f.toFile()));
            }
            assertTrue(serial.stream().map(Caption::text).distinct().count() > 1, "the samples differ");
            assertSameCaptions(serial, batched.captionFiles(files));
            List<Caption> fromImages = new java.util.ArrayList<>();
            for (BufferedImage image : images) {
                fromImages.add(decap.caption(image));
            }
            assertSameCaptions(fromImages, batched.captionAll(images));
            assertSameCaptions(fromImages, decap.captionAll(images));
        } finally {
            System.clearProperty(Miniature.CACHE_PROPERTY);
        }
    }

    private static void assertSameCaptions(List<Caption> expected, List<Caption> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            Caption e = expected.get(i);
            Caption a = actual.get(i);
            assertEquals(e.text(), a.text(), "caption " + i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(e.tokenIds(), a.tokenIds(), "tokens " + i);
            org.junit.jupiter.api.Assertions.assertArrayEquals(e.tokenLogProbs(), a.tokenLogProbs(), 1e-4f,
                    "log-probs " + i);
        }
    }

    @Test
    void contradictory_builder_settings_are_refused() {
        assertThrows(ConfigurationException.class, () -> Miniature.builder().beam(0).build());
        assertThrows(ConfigurationException.class, () -> Miniature.builder().beam(3)
                .decodingOptions(dev.decap.decoding.DecodingOptions.DEFAULT).build());
    }

    static BufferedImage redCircle() {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(230, 230, 230));
        g.fillRect(0, 0, 64, 64);
        g.setColor(new Color(220, 40, 40));
        g.fillOval(32 - 12, 32 - 12, 24, 24);
        g.dispose();
        return img;
    }
}
