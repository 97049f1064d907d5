package dev.decap.onnx.encoding;

import com.fasterxml.jackson.databind.JsonNode;
import dev.decap.tokenization.ClipTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Texts fed at their real token length (length buckets) on a text tower with a dynamic sequence axis give the
 * 77-token embeddings. {@code dynamic/text_encoder.onnx} has the weights of {@code fixtures/tiny/text_encoder.onnx}
 * (fixed {@code [batch, 77]}), so the two are compared directly, and both with the PyTorch golden.
 */
class DynamicLengthEncodingTest {
    /** The bar: bucketed embeddings equal the 77-token ones within 1e-5. */
    static final double SAME = 1e-5;

    private static OnnxTextEncoder dynamic;
    private static OnnxTextEncoder fixed;
    private static List<JsonNode> golden;

    static Path dynamicModel() {
        return resource("text_encoder.onnx");
    }

    static Path resource(String name) {
        java.net.URL url = DynamicLengthEncodingTest.class.getResource("/dynamic/" + name);
        if (url == null) {
            throw new IllegalStateException("test resource dynamic/" + name + " is missing; regenerate it with "
                    + "tools/export_clip.py dynamic-fixture (see dynamic/README.md)");
        }
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void load() {
        dynamic = OnnxTextEncoder.builder().model(dynamicModel()).tokenizer(new WordTokenizer()).maxBatchSize(8)
                .build();
        fixed = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).maxBatchSize(8).build();
        golden = Fixtures.list(Fixtures.json(Fixtures.fixture("golden/clip_text_embeddings.json")).get("cases"));
    }

    @AfterAll
    static void close() {
        dynamic.close();
        fixed.close();
    }

    /** SOT, {@code length - 2} seeded random token ids, EOT, zero padding to 77. */
    static int[] idsOfLength(int length, Random random) {
        int[] ids = new int[77];
        ids[0] = WordTokenizer.SOT;
        for (int i = 1; i < length - 1; i++) {
            ids[i] = 1 + random.nextInt(49404);
        }
        ids[length - 1] = WordTokenizer.EOT;
        return ids;
    }

    static List<int[]> everyLength(long seed, int perLength) {
        Random random = new Random(seed);
        List<int[]> rows = new ArrayList<>();
        for (int k = 0; k < perLength; k++) {
            for (int length = 2; length <= 77; length++) {
                rows.add(idsOfLength(length, random));
            }
        }
        return rows;
    }

    static double worst(List<float[]> got, List<float[]> want) {
        assertEquals(want.size(), got.size());
        double m = 0;
        for (int i = 0; i < want.size(); i++) {
            m = Math.max(m, Fixtures.maxAbs(got.get(i), want.get(i)));
        }
        return m;
    }

    @Test
    void a_decap_tower_with_a_dynamic_axis_feeds_real_lengths_and_a_fixed_one_the_full_context() {
        assertEquals(ClipLayout.DECAP, dynamic.layout());
        assertEquals(77, dynamic.contextLength());
        assertTrue(dynamic.dynamicLength());
        assertFalse(fixed.dynamicLength());
        try (OnnxTextEncoder off = OnnxTextEncoder.builder().model(dynamicModel()).tokenizer(new WordTokenizer())
                .dynamicLength(false).build()) {
            assertFalse(off.dynamicLength());
        }
    }

    @Test
    void runs_are_fed_up_to_their_longest_text_on_a_dynamic_axis_and_at_77_on_a_fixed_one() {
        int[][] shortRows = {{WordTokenizer.SOT, WordTokenizer.EOT}, {WordTokenizer.SOT, 5, 6, 7, WordTokenizer.EOT}};
        assertEquals(5, dynamic.clipModel().runLength(shortRows, true));
        assertEquals(77, dynamic.clipModel().runLength(shortRows, false));
        assertEquals(77, fixed.clipModel().runLength(shortRows, true));
        assertTrue(dynamic.clipModel().shortSequences());
        assertFalse(fixed.clipModel().shortSequences());
    }

    @Test
    void a_decap_tower_that_declares_a_dynamic_axis_but_only_runs_at_77_is_fed_77_tokens() {
        try (OnnxTextEncoder e = OnnxTextEncoder.builder().model(resource("full_positions_text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).maxBatchSize(8).build()) {
            assertFalse(e.dynamicLength());
            assertFalse(e.clipModel().shortSequences());
            List<int[]> rows = everyLength(9, 1);
            assertTrue(worst(e.encodeIdsAll(rows), fixed.encodeIdsAll(rows)) <= SAME);
            assertTrue(Fixtures.maxAbs(e.encode("a dog on a beach"), fixed.encode("a dog on a beach")) <= SAME);
        }
    }

    @Test
    void length_buckets_sort_by_length_keep_ties_in_order_and_hold_at_most_the_batch_size() {
        int[] lengths = {12, 3, 77, 12, 2, 30, 3, 12, 9};
        int[][] buckets = OnnxTextEncoder.lengthBuckets(lengths, 4);
        assertEquals(3, buckets.length);
        assertArrayEquals(new int[] {4, 1, 6, 8}, buckets[0]);
        assertArrayEquals(new int[] {0, 3, 7, 5}, buckets[1]);
        assertArrayEquals(new int[] {2}, buckets[2]);
        assertEquals(1, OnnxTextEncoder.lengthBuckets(new int[] {5}, 32).length);
    }

    @Test
    void golden_ids_in_length_buckets_equal_the_77_token_path_and_pytorch() {
        List<int[]> ids = new ArrayList<>();
        List<float[]> want = new ArrayList<>();
        for (JsonNode c : golden) {
            ids.add(Fixtures.ints(c.get("input_ids")));
            want.add(Fixtures.floats(c.get("embedding")));
        }
        List<float[]> bucketed = dynamic.encodeIdsAll(ids);
        List<float[]> full = fixed.encodeIdsAll(ids);
        double vsFixed = worst(bucketed, full);
        double vsTorch = worst(bucketed, want);
        double minCos = 1;
        for (int i = 0; i < ids.size(); i++) {
            minCos = Math.min(minCos, Fixtures.cosine(bucketed.get(i), full.get(i)));
        }
        System.out.printf("dynamic-length tiny text tower, %d golden cases in buckets: max |diff| vs 77-token path "
                + "%.3g (min cosine %.9f), vs PyTorch %.3g%n", ids.size(), vsFixed, minCos, vsTorch);
        assertTrue(vsFixed <= SAME, "max |diff| vs the 77-token path " + vsFixed);
        assertTrue(vsTorch <= OnnxTextEncoderTest.MAX_ABS, "max |diff| vs PyTorch " + vsTorch);
    }

    @Test
    void every_length_from_empty_text_to_a_full_77_token_context_equals_the_77_token_path() {
        List<int[]> rows = everyLength(7, 3);
        List<float[]> bucketed = dynamic.encodeIdsAll(rows);
        List<float[]> full = fixed.encodeIdsAll(rows);
        assertTrue(worst(bucketed, full) <= SAME, "max |diff| " + worst(bucketed, full));
        // one at a time each text runs at exactly its own length
        for (int[] row : rows.subList(0, 76)) {
            assertTrue(Fixtures.maxAbs(dynamic.encodeIds(row), fixed.encodeIds(row)) <= SAME,
                    "length " + ClipModel.tokenCount(row));
        }
        // empty text: start and end ids only, with or without the zero padding
        int[] empty = {WordTokenizer.SOT, WordTokenizer.EOT};
        assertTrue(Fixtures.maxAbs(dynamic.encodeIds(empty), fixed.encodeIds(empty)) <= SAME);
        assertArrayEquals(dynamic.encodeIds(empty), dynamic.encodeIds(java.util.Arrays.copyOf(empty, 77)), 0f);
    }

    @Test
    void texts_come_back_in_the_callers_order_whatever_their_lengths() {
        List<int[]> rows = everyLength(11, 2);
        Collections.shuffle(rows, new Random(3));
        List<float[]> bucketed = dynamic.encodeIdsAll(rows);
        for (int i = 0; i < rows.size(); i += 5) {
            assertTrue(Fixtures.maxAbs(bucketed.get(i), fixed.encodeIds(rows.get(i))) <= SAME, "row " + i);
        }
        // reversing the input reverses the output
        List<int[]> reversed = new ArrayList<>(rows);
        Collections.reverse(reversed);
        List<float[]> back = dynamic.encodeIdsAll(reversed);
        for (int i = 0; i < rows.size(); i++) {
            assertTrue(Fixtures.maxAbs(back.get(rows.size() - 1 - i), bucketed.get(i)) <= SAME, "row " + i);
        }
    }

    @Test
    void mixed_length_texts_truncated_ones_included_equal_the_77_token_path_at_any_batch_size() {
        List<String> texts = new ArrayList<>(List.of("a dog", "two cats on a sofa next to a window", "snow",
                "a man riding a horse on a beach", "x", "a red bus parked in the street near some trees"));
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            longText.append("word").append(i % 17).append(' ');
        }
        texts.add(longText.toString()); // 120 words: truncated to 75 tokens + SOT/EOT
        texts.add("the sea");
        texts.add(longText.substring(0, longText.length() / 2)); // 60 words
        List<float[]> want = fixed.encodeAll(texts);
        for (int batch : new int[] {1, 2, 3, 4, 32}) {
            try (OnnxTextEncoder e = OnnxTextEncoder.builder().model(dynamicModel()).tokenizer(new WordTokenizer())
                    .maxBatchSize(batch).build()) {
                assertTrue(worst(e.encodeAll(texts), want) <= SAME, "batch " + batch);
                for (int i = 0; i < texts.size(); i++) {
                    assertTrue(Fixtures.maxAbs(e.encode(texts.get(i)), want.get(i)) <= SAME, "text " + i);
                }
            }
        }
    }

    @Test
    void turning_dynamic_length_off_gives_the_fixed_axis_results() {
        List<int[]> rows = everyLength(5, 1);
        try (OnnxTextEncoder off = OnnxTextEncoder.builder().model(dynamicModel()).tokenizer(new WordTokenizer())
                .maxBatchSize(8).dynamicLength(false).build()) {
            List<float[]> got = off.encodeIdsAll(rows);
            assertTrue(worst(got, fixed.encodeIdsAll(rows)) <= SAME);
        }
    }

    @Test
    void coco_captions_through_the_clip_tokenizer_equal_the_77_token_path() {
        Path shared = Fixtures.sharedData();
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(
                shared.resolve("clip/bpe_simple_vocab_16e6.txt.gz"));
        List<String> captions = new ArrayList<>();
        for (JsonNode a : Fixtures.json(shared.resolve("coco/captions_val2017.json")).get("annotations")) {
            captions.add(a.get("caption").asText());
            if (captions.size() == 600) {
                break;
            }
        }
        try (OnnxTextEncoder d = OnnxTextEncoder.builder().model(dynamicModel()).tokenizer(tokenizer)
                .maxBatchSize(32).build();
             OnnxTextEncoder f = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                     .tokenizer(tokenizer).maxBatchSize(32).build()) {
            double w = worst(d.encodeAll(captions), f.encodeAll(captions));
            System.out.printf("600 COCO captions, length buckets vs 77 tokens: max |diff| %.3g%n", w);
            assertTrue(w <= SAME, "max |diff| " + w);
        }
    }

    @Test
    void threads_sharing_a_dynamic_length_encoder_get_exactly_their_serial_results() throws Exception {
        int threads = 8;
        List<List<int[]>> inputs = new ArrayList<>();
        List<List<float[]>> serial = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<int[]> rows = everyLength(100 + t, 1);
            Collections.shuffle(rows, new Random(t));
            List<int[]> mine = rows.subList(0, 20 + 7 * t);
            inputs.add(mine);
            serial.add(dynamic.encodeIdsAll(mine));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit((Callable<Void>) () -> {
                    start.await();
                    for (int round = 0; round < 3; round++) {
                        int k = (id + round) % threads;
                        List<float[]> got = dynamic.encodeIdsAll(inputs.get(k));
                        for (int i = 0; i < got.size(); i++) {
                            assertArrayEquals(serial.get(k).get(i), got.get(i), 0f, "input " + k + " row " + i);
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
