package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.examples.Strategy;
import dev.decap.examples.eval.MiniatureWorld;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The miniature examples, end to end on the shipped model. */
class MiniatureExamplesTest {
    @TempDir
    Path dir;

    @BeforeEach
    void requireModel() {
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
    }

    static List<BufferedImage> scenes(int n) {
        return java.util.stream.LongStream.rangeClosed(1, n)
                .mapToObj(s -> MiniatureWorld.render(MiniatureWorld.scene(4_100_000 + s))).toList();
    }

    @Test
    void caption_with_the_shipped_model_prints_one_caption_per_image() throws IOException {
        Path a = dir.resolve("a.png");
        ImageIO.write(scenes(1).get(0), "png", a.toFile());
        List<String> lines = CaptionWithShippedModel.run(List.of(a, a));
        assertEquals(2, lines.size());
        assertTrue(lines.get(0).startsWith(a + ": ") && lines.get(0).equals(lines.get(1)), lines.toString());
    }

    @Test
    void compare_strategies_gives_four_captions_and_retrieval_quotes_the_memory() {
        List<Map<Strategy, Caption>> r = CompareStrategies.run(scenes(3));
        assertEquals(3, r.size());
        for (Map<Strategy, Caption> m : r) {
            assertEquals(List.of(Strategy.values()), List.copyOf(m.keySet()));
            assertTrue(Miniature.memoryCaptions().contains(m.get(Strategy.RETRIEVAL).text()));
            assertEquals(0, m.get(Strategy.VISUAL).contributions().size(), "visual decoding uses no memory");
            assertEquals(1, m.get(Strategy.NND).contributions().size());
        }
    }

    @Test
    void the_memory_split_by_object_count_is_disjoint_and_covers_parsed_captions() {
        List<String> pairs = MemoryDomainSwap.memoryOf(2);
        List<String> singles = MemoryDomainSwap.memoryOf(1);
        assertFalse(pairs.isEmpty() || singles.isEmpty());
        assertTrue(pairs.stream().noneMatch(singles::contains));
    }

    @Test
    void domain_swap_projects_onto_the_memory_given() {
        List<MemoryDomainSwap.Swap> swaps = MemoryDomainSwap.run(scenes(4));
        List<String> pairs = MemoryDomainSwap.memoryOf(2);
        List<String> singles = MemoryDomainSwap.memoryOf(1);
        for (MemoryDomainSwap.Swap s : swaps) {
            assertTrue(s.withPairMemory().contributions().stream().allMatch(c -> pairs.contains(c.caption())));
            assertTrue(s.withSingleMemory().contributions().stream().allMatch(c -> singles.contains(c.caption())));
            // The same decoder speaks the memory's language: two objects with one memory, one with the other.
            assertEquals(2, MemoryDomainSwap.mentions(s.withPairMemory().text()), s.toString());
            assertEquals(1, MemoryDomainSwap.mentions(s.withSingleMemory().text()), s.toString());
        }
    }

    @Test
    void video_frames_are_captioned_as_one_clip() {
        List<BufferedImage> frames = BatchAndVideo.movingShape(new Shape("triangle", "green", "large", 14, 32), 8);
        assertEquals(8, frames.size());
        assertFalse(MiniatureWorld.render(new Scene(0, Color.WHITE, List.of(new Shape("triangle", "green", "large",
                14, 32)), null)).equals(frames.get(7)));
        try (dev.decap.DeCap decap = Miniature.captioner()) {
            Caption clip = decap.captionVideo(frames);
            Scene truth = new Scene(0, Color.WHITE, List.of(new Shape("triangle", "green", "large", 32, 32)), null);
            assertTrue(dev.decap.examples.eval.CaptionFacts.judge(clip.text(), truth).headline(), clip.text());
            List<Caption> batch = decap.captionAll(frames);
            assertEquals(8, batch.size());
            assertEquals(decap.caption(frames.get(0)).text(), batch.get(0).text(), "a batch captions as one by one");
        }
    }

    @Test
    void example_images_come_from_directories_sorted_by_name() throws IOException {
        List<BufferedImage> imgs = scenes(2);
        ImageIO.write(imgs.get(1), "png", dir.resolve("b.png").toFile());
        ImageIO.write(imgs.get(0), "png", dir.resolve("a.png").toFile());
        List<BufferedImage> read = BatchAndVideo.readImages(new String[]{dir.toString()});
        assertEquals(2, read.size());
        assertEquals(imgs.get(0).getRGB(5, 5), read.get(0).getRGB(5, 5));
        assertEquals(6, BatchAndVideo.readImages(new String[0]).size());
    }
}
