package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.examples.eval.MiniatureWorld;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import dev.decap.miniature.Miniature;
import dev.decap.projection.Projectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "Java API" code, as written there, compiles and does what its comments say. */
class ReadmeApiTest {

    @Test
    void the_readme_java_api_runs_as_shown() {
        Path sample = Path.of("..", "docs", "samples", "sample_5.png");
        Assumptions.assumeTrue(Miniature.isAvailable() && Files.isRegularFile(sample), "model or samples absent");
        List<BufferedImage> images = List.of(MiniatureWorld.render(MiniatureWorld.scene(1)));
        List<BufferedImage> frames = BatchAndVideo.movingShape(new Shape("circle", "red", "small", 10, 20), 4);
        String text;
        int contributions;
        List<Caption> batchOut;
        Caption clipOut;
        // --- README ---
        try (DeCap decap = Miniature.captioner()) {                  // shipped model + memory, from the classpath
            Caption caption = decap.caption(Path.of("../docs/samples/sample_5.png"));
            text = caption.text();
            contributions = caption.contributions().size();
        }
        try (DeCap decap = Miniature.builder()                       // other settings over the same model
                .projector(Projectors.nearestNeighbour()).beam(3)    // NND, beam search of width 3
                .memoryCaptions(List.of("a red circle above a blue square", "a green triangle"))   // your memory
                .build()) {
            List<Caption> batch = decap.captionAll(images);          // one model run per batch
            Caption clip = decap.captionVideo(frames);               // frames averaged, as the paper does for video
            batchOut = batch;
            clipOut = clip;
        }
        // --- end ---
        assertEquals("a drawing of a green circle above an orange square", text, "the caption the README shows");
        assertTrue(contributions > 0);
        assertEquals(1, batchOut.size());
        assertEquals(1, clipOut.contributions().size(), "NND uses one memory caption");
        assertTrue(List.of("a red circle above a blue square", "a green triangle")
                .contains(clipOut.contributions().get(0).caption()));
    }
}
