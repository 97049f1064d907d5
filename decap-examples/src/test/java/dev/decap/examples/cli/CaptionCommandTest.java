package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CaptionCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void caption_gives_the_pipeline_reference_tokens_for_the_shared_photos() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        JsonNode golden = JSON.readTree(CliRun.fixture("golden/pipeline_tiny.json").toFile());
        Path data = CliRun.shared();
        int count = golden.get("memory").get("count").asInt();
        JsonNode annotations = JSON.readTree(data.resolve("coco/captions_val2017.json").toFile()).get("annotations");
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // one caption per line: line breaks inside a caption would split it
            captions.add(annotations.get(i).get("caption").asText().replace('\n', ' '));
        }
        Path memory = Files.write(dir.resolve("memory.txt"), captions);
        List<String> args = new ArrayList<>(List.of("caption", "--json", "--bundle", bundle.toString(), "--memory",
                memory.toString(), "--vocab", data.resolve("clip").toString()));
        for (JsonNode image : golden.get("images")) {
            args.add(data.resolve(image.get("image").asText()).toString());
        }
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().strip().split("\n");
        assertEquals(golden.get("images").size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            JsonNode line = JSON.readTree(lines[i]);
            JsonNode expected = golden.get("images").get(i).get("greedy").get("token_ids");
            List<Integer> want = new ArrayList<>();
            expected.forEach(t -> want.add(t.asInt()));
            if (!want.isEmpty() && want.get(want.size() - 1) == 49407) {
                want.remove(want.size() - 1);
            }
            List<Integer> got = new ArrayList<>();
            line.get("tokens").forEach(t -> got.add(t.asInt()));
            assertEquals(want, got, line.get("image").asText());
            assertTrue(line.get("text").isTextual());
        }
    }

    @Test
    void caption_with_an_empty_memory_file_exits_with_one_line() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path memory = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        CliRun run = CliRun.of("caption", "--bundle", bundle.toString(), "--memory", memory.toString(),
                dir.resolve("x.jpg").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("no captions"), run.err());
    }
}
