package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxTextEncoderTest {
    static final double MAX_ABS = 1e-4;
    static final double MIN_COSINE = 0.99999;

    private static OnnxTextEncoder encoder;
    private static List<JsonNode> cases;

    @BeforeAll
    static void load() {
        encoder = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).build();
        cases = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_text_embeddings.json")).get("cases"));
    }

    @AfterAll
    static void close() {
        encoder.close();
    }

    @Test
    void tiny_text_encoder_is_detected_as_decap_layout_with_its_dimension_and_context() {
        assertEquals(ClipLayout.DECAP, encoder.layout());
        assertEquals(64, encoder.dimension());
        assertEquals(77, encoder.contextLength());
    }

    @Test
    void golden_ids_give_pytorch_embeddings_one_at_a_time() {
        double worst = 0;
        double minCos = 1;
        for (JsonNode c : cases) {
            float[] got = encoder.encodeIds(Fixtures.ints(c.get("input_ids")));
            float[] want = Fixtures.floats(c.get("embedding"));
            worst = Math.max(worst, Fixtures.maxAbs(got, want));
            minCos = Math.min(minCos, Fixtures.cosine(got, want));
        }
        System.out.printf("tiny text encoder, %d golden id cases one by one: max abs %.3g, min cosine %.9f%n",
                cases.size(), worst, minCos);
        assertTrue(worst <= MAX_ABS, "max abs " + worst);
        assertTrue(minCos >= MIN_COSINE, "min cosine " + minCos);
    }

    @Test
    void batched_golden_ids_give_pytorch_embeddings_in_order() {
        List<int[]> ids = new ArrayList<>();
        for (JsonNode c : cases) {
            ids.add(Fixtures.ints(c.get("input_ids")));
        }
        List<float[]> got = encoder.encodeIdsAll(ids);
        assertEquals(cases.size(), got.size());
        double worst = 0;
        for (int i = 0; i < cases.size(); i++) {
            worst = Math.max(worst, Fixtures.maxAbs(got.get(i), Fixtures.floats(cases.get(i).get("embedding"))));
        }
        System.out.printf("tiny text encoder, %d golden id cases batched: max abs %.3g%n", cases.size(), worst);
        assertTrue(worst <= MAX_ABS, "max abs " + worst);
    }

    @Test
    void chunked_batches_equal_one_big_batch() {
        try (OnnxTextEncoder small = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).maxBatchSize(3).build()) {
            List<String> texts = List.of("a dog", "two cats on a sofa", "a red bus", "the sea", "x y z w",
                    "a man riding a horse", "snow");
            List<float[]> chunked = small.encodeAll(texts);
            List<float[]> whole = encoder.encodeAll(texts);
            assertEquals(texts.size(), chunked.size());
            for (int i = 0; i < texts.size(); i++) {
                assertTrue(Fixtures.maxAbs(chunked.get(i), whole.get(i)) <= 1e-5, "text " + i);
                assertTrue(Fixtures.maxAbs(whole.get(i), encoder.encode(texts.get(i))) <= 1e-5, "text " + i);
            }
        }
    }

    @Test
    void short_id_arrays_are_zero_padded_to_the_context() {
        int[] full = Fixtures.ints(cases.get(1).get("input_ids"));
        int n = ClipModel.tokenCount(full);
        int[] shortIds = java.util.Arrays.copyOf(full, n);
        assertArrayEquals(encoder.encodeIds(full), encoder.encodeIds(shortIds), 0f);
    }

    @Test
    void results_are_fresh_arrays_owned_by_the_caller() {
        float[] a = encoder.encode("a dog on a beach");
        float[] b = encoder.encode("a dog on a beach");
        assertNotSame(a, b);
        a[0] = 1e9f;
        assertTrue(b[0] != 1e9f);
    }

    @Test
    void null_blank_and_empty_inputs_are_invalid_input() {
        assertThrows(InvalidInputException.class, () -> encoder.encode(null));
        assertThrows(InvalidInputException.class, () -> encoder.encode(""));
        assertThrows(InvalidInputException.class, () -> encoder.encode("   "));
        assertThrows(InvalidInputException.class, () -> encoder.encodeAll(null));
        assertThrows(InvalidInputException.class, () -> encoder.encodeAll(List.of()));
        List<String> withNull = new ArrayList<>(List.of("a dog"));
        withNull.add(null);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> encoder.encodeAll(withNull));
        assertTrue(e.getMessage().contains("text 1"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> encoder.encodeIds(null));
        assertThrows(InvalidInputException.class, () -> encoder.encodeIds(new int[0]));
        assertThrows(InvalidInputException.class, () -> encoder.encodeIdsAll(List.of()));
    }

    @Test
    void ids_outside_the_vocabulary_or_longer_than_the_context_are_invalid_input() {
        InvalidInputException tooLong = assertThrows(InvalidInputException.class,
                () -> encoder.encodeIds(new int[78]));
        assertTrue(tooLong.getMessage().contains("expected at most 77, found 78"), tooLong.getMessage());
        InvalidInputException outside = assertThrows(InvalidInputException.class,
                () -> encoder.encodeIds(new int[] {49406, 49408, 49407}));
        assertTrue(outside.getMessage().contains("49408"), outside.getMessage());
        assertThrows(InvalidInputException.class, () -> encoder.encodeIds(new int[] {49406, -1, 49407}));
    }

    @Test
    void closed_encoder_throws_closed_exception_and_close_is_idempotent() {
        OnnxTextEncoder e = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).build();
        e.encode("a cat");
        e.close();
        e.close();
        assertThrows(ClosedException.class, () -> e.encode("a cat"));
        assertThrows(ClosedException.class, () -> e.encodeAll(List.of("a cat")));
        assertThrows(ClosedException.class, () -> e.encodeIds(new int[] {49406, 49407}));
    }

    @Test
    void builder_requires_model_and_tokenizer_and_checks_ranges() {
        ConfigurationException noModel = assertThrows(ConfigurationException.class,
                () -> OnnxTextEncoder.builder().tokenizer(new WordTokenizer()).build());
        assertTrue(noModel.getMessage().contains("model"), noModel.getMessage());
        ConfigurationException noTok = assertThrows(ConfigurationException.class,
                () -> OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx")).build());
        assertTrue(noTok.getMessage().contains("tokenizer"), noTok.getMessage());
        assertThrows(ConfigurationException.class, () -> OnnxTextEncoder.builder()
                .model(Fixtures.fixture("tiny/text_encoder.onnx")).tokenizer(new WordTokenizer())
                .maxBatchSize(0).build());
    }

    @Test
    void expected_dimension_and_context_are_checked_at_load() {
        ModelException dim = assertThrows(ModelException.class, () -> OnnxTextEncoder.builder()
                .model(Fixtures.fixture("tiny/text_encoder.onnx")).tokenizer(new WordTokenizer())
                .dimension(512).build());
        assertTrue(dim.getMessage().contains("expected 512, found 64"), dim.getMessage());
        assertTrue(dim.getMessage().contains("text_encoder.onnx"), dim.getMessage());
        ModelException ctx = assertThrows(ModelException.class, () -> OnnxTextEncoder.builder()
                .model(Fixtures.fixture("tiny/text_encoder.onnx")).tokenizer(new WordTokenizer())
                .contextLength(64).build());
        assertTrue(ctx.getMessage().contains("expected 64, found 77"), ctx.getMessage());
    }
}
