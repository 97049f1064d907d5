package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.examples.eval.CaptionFacts;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import dev.decap.miniature.Miniature;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's command, {@code decap caption docs/samples}, describes every committed sample image correctly
 * (the scenes are in docs/samples/scenes.json; facts read by the rules of docs/miniature-world.md).
 */
class SampleImagesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void the_readme_command_captions_every_sample_image_correctly() throws IOException {
        Path samples = Path.of("..", "docs", "samples").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(samples.resolve("scenes.json")), "no " + samples
                + "/scenes.json (written by tools/miniature/build_all.py)");
        Assumptions.assumeTrue(Miniature.isAvailable(), "the miniature model is not in decap-miniature's resources");
        Map<String, Scene> scenes = new HashMap<>();
        for (JsonNode s : JSON.readTree(samples.resolve("scenes.json").toFile()).get("scenes")) {
            List<Shape> objects = new ArrayList<>();
            for (JsonNode o : s.get("objects")) {
                objects.add(new Shape(o.get("shape").asText(), o.get("colour").asText(), o.get("size").asText(),
                        o.get("cx").asInt(), o.get("cy").asInt()));
            }
            JsonNode bg = s.get("background");
            scenes.put(s.get("image").asText(), new Scene(s.get("seed").asLong(),
                    new Color(bg.get(0).asInt(), bg.get(1).asInt(), bg.get(2).asInt()), objects,
                    s.get("relation").isNull() ? null : s.get("relation").asText()));
        }
        CliRun run = CliRun.of("caption", "--json", samples.toString());
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(scenes.size(), lines.length, run.out());
        List<String> wrong = new ArrayList<>();
        for (String line : lines) {
            JsonNode o = JSON.readTree(line);
            String name = Path.of(o.get("image").asText()).getFileName().toString();
            Scene scene = scenes.get(name);
            if (!CaptionFacts.judge(o.get("text").asText(), scene).headline()) {
                wrong.add(name + ": \"" + o.get("text").asText() + "\"");
            }
        }
        assertTrue(wrong.isEmpty(), "wrong captions: " + wrong);
    }
}
