package dev.decap.onnx.decoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.bundle.OnnxDeCap;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The whole pipeline in Java against the PyTorch pipeline golden: Java image decoding and CLIP preprocessing, the
 * tiny image tower, a memory encoded by the Java tokenizer and the tiny text tower from COCO captions, projection
 * decoding, greedy search. The caption tokens must be identical.
 */
class PipelineGoldenTest {

    @Test
    void the_java_pipeline_captions_the_shared_coco_photos_with_the_reference_tokens() throws IOException {
        Path goldenFile = Fixtures.require(Fixtures.root().resolve("golden/pipeline_tiny.json"));
        Path shared = Fixtures.shared();
        Path vocab = Fixtures.clipVocabulary();
        JsonNode golden = DecoderGoldenTest.JSON.readTree(goldenFile.toFile());
        JsonNode memory = golden.get("memory");
        int count = memory.get("count").asInt();
        JsonNode annotations = DecoderGoldenTest.JSON.readTree(
                shared.resolve("data/coco/captions_val2017.json").toFile()).get("annotations");
        List<String> captions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            captions.add(annotations.get(i).get("caption").asText());
        }
        for (int i = 0; i < memory.get("first_captions").size(); i++) {
            assertEquals(memory.get("first_captions").get(i).asText(), captions.get(i), "memory caption " + i);
        }
        try (DeCap decap = OnnxDeCap.fromBundle(Fixtures.tiny()).vocabulary(vocab).memoryCaptions(captions)
                .build()) {
            for (JsonNode image : golden.get("images")) {
                Path file = shared.resolve("data").resolve(image.get("image").asText());
                Caption c = decap.caption(file);
                int[] expected = DecoderGoldenTest.ints(image.get("greedy").get("token_ids"));
                int[] withoutEnd = expected.length > 0 && expected[expected.length - 1] == 49407
                        ? Arrays.copyOf(expected, expected.length - 1) : expected;
                assertArrayEquals(withoutEnd, c.tokenIds(), image.get("image").asText());
                if (!image.get("greedy").get("text").isNull()) {
                    assertEquals(image.get("greedy").get("text").asText(), c.text(), image.get("image").asText());
                }
            }
        }
    }
}
