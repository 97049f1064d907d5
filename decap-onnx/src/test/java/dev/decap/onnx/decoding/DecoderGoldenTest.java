package dev.decap.onnx.decoding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.tokenization.ClipTokenizer;
import dev.decap.tokenization.Tokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with the PyTorch reference (tools/make_fixtures.py, notebook computation): for every golden prefix and
 * search setting, the Java search over decoder.onnx gives identical token ids and log-probabilities within 1e-4.
 * Cases with the same settings are decoded as one batch, so batching is covered too.
 */
class DecoderGoldenTest {
    /** Floats are read from their exact decimal text (BigDecimal), then parsed as float32. */
    static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final double LOGPROB_TOLERANCE = 1e-4;

    @Test
    void greedy_and_beam_tokens_equal_the_pytorch_reference_on_every_golden_case_of_the_tiny_bundle()
            throws IOException {
        int checked = replay(Fixtures.tiny(), Fixtures.root().resolve("golden/decoder_tiny.json"), true);
        assertTrue(checked >= 20, "expected at least 20 golden cases, found " + checked);
    }

    @Test
    void the_official_layout_bundle_decodes_as_the_reference_with_and_without_masking() throws IOException {
        int checked = replay(Fixtures.root().resolve("official-layout"),
                Fixtures.root().resolve("golden/decoder_official_layout.json"), false);
        assertTrue(checked > 0);
    }

    /** Replays every case of a golden file; returns the number of cases checked. */
    static int replay(Path bundleDir, Path goldenFile, boolean withText) throws IOException {
        Fixtures.require(goldenFile);
        Fixtures.require(bundleDir.resolve(ModelBundle.MANIFEST));
        JsonNode golden = JSON.readTree(goldenFile.toFile());
        Map<String, float[]> prefixes = new HashMap<>();
        for (JsonNode p : golden.get("prefixes")) {
            prefixes.put(p.get("id").asText(), floats(p.get("prefix")));
        }
        // group the cases by their settings: one batch per group
        Map<String, List<JsonNode>> groups = new LinkedHashMap<>();
        for (JsonNode c : golden.get("cases")) {
            String key = c.get("search").asText() + "/" + c.path("beam_width").asInt(1) + "/"
                    + c.path("length_penalty").asDouble(0) + "/" + c.path("mask").asBoolean(true) + "/"
                    + c.path("min_tokens").asInt(0) + "/" + c.path("max_tokens").asInt(30);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
        }
        Tokenizer tokenizer = null;
        Path vocab = Path.of(System.getProperty("decap.shared.dir", "../shared"), "data/clip/bpe_simple_vocab_16e6.txt.gz");
        if (withText && Files.exists(vocab)) {
            tokenizer = ClipTokenizer.fromOpenAiVocabulary(vocab);
        }
        ModelBundle bundle = ModelBundle.open(bundleDir);
        int checked = 0;
        try (OnnxCaptionDecoder masked = OnnxDeCap.fromBundle(bundleDir).tokenizer(tokenizer).buildDecoder();
             OnnxCaptionDecoder unmasked = OnnxDeCap.fromBundle(bundleDir).tokenizer(tokenizer).masking(false)
                     .buildDecoder()) {
            for (List<JsonNode> group : groups.values()) {
                JsonNode first = group.get(0);
                DecodingOptions.Builder ob = DecodingOptions.builder().maxTokens(first.path("max_tokens").asInt(30))
                        .minTokens(first.path("min_tokens").asInt(0));
                if (first.get("search").asText().equals("beam")) {
                    ob.beam(first.get("beam_width").asInt()).lengthPenalty(first.get("length_penalty").asDouble());
                }
                OnnxCaptionDecoder decoder = first.path("mask").asBoolean(true) ? masked : unmasked;
                List<float[]> batch = new ArrayList<>();
                for (JsonNode c : group) {
                    batch.add(prefixes.get(c.get("prefix_id").asText()));
                }
                List<DecodedCaption> results = decoder.decodeAll(batch, ob.build());
                for (int i = 0; i < group.size(); i++) {
                    JsonNode c = group.get(i);
                    JsonNode expected = c.get("result");
                    DecodedCaption actual = results.get(i);
                    String what = c.get("prefix_id").asText() + " " + c;
                    assertArrayEquals(ints(expected.get("decoder_ids")), actual.modelIds(), what);
                    assertArrayEquals(ints(expected.get("token_ids")), actual.sequenceTokenIds(), what);
                    assertArrayEquals(floats(expected.get("logprobs")), actual.sequenceLogProbs(),
                            (float) LOGPROB_TOLERANCE, what);
                    assertEquals(expected.get("score").asDouble(), actual.score(), LOGPROB_TOLERANCE, what);
                    assertEquals(expected.get("finished_with_eot").asBoolean(), actual.endedWithEndOfText(), what);
                    if (tokenizer != null && !expected.get("text").isNull()) {
                        assertEquals(expected.get("text").asText(), actual.text(), what);
                    }
                    checked++;
                }
            }
        }
        return checked;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Float.parseFloat(array.get(i).asText());
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
