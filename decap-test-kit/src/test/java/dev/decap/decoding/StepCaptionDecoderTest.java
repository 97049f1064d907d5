package dev.decap.decoding;

import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.tokenization.Tokenizer;
import dev.decap.testkit.FakeLanguageModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepCaptionDecoderTest {

    /** A tokenizer over 10 ids whose text for id i is "w" + i; 9 is end-of-text. */
    private static final Tokenizer TEN_WORDS = new Tokenizer() {
        @Override
        public int[] encode(String text) {
            throw new IllegalStateException("not used");
        }

        @Override
        public int[] encodeContext(String text, int contextLength) {
            throw new IllegalStateException("not used");
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                if (id < 0 || id >= 10) {
                    throw new IllegalArgumentException("unknown id " + id);
                }
                if (id != 9) {
                    sb.append("w").append(id).append(' ');
                }
            }
            return sb.toString();
        }

        @Override
        public int vocabularySize() {
            return 10;
        }

        @Override
        public int startOfText() {
            return 8;
        }

        @Override
        public int endOfText() {
            return 9;
        }
    };

    /** Model ids 0..5; the map sends them to tokenizer ids 4, -1, 2, 9 (EOT), 12 (unknown), 1. */
    private static final int[] MAP = {4, -1, 2, 9, 12, 1};

    /** Prefers 1 (unmapped), then 4 (unknown to the tokenizer), then 2, 5, and 3 (EOT) after two tokens. */
    private static FakeLanguageModel model() {
        return new FakeLanguageModel(2, 6, (p, h) -> h.length >= 2
                ? new float[] {0, 6, 0, 5, 5.5f, 0}
                : new float[] {0, 6, 4, 0, 5, 3.5f});
    }

    @Test
    void masking_keeps_ids_without_a_decodable_tokenizer_id_out_and_maps_the_rest() {
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(model()).vocabularyMap(MAP)
                .tokenizer(TEN_WORDS).build();
        assertEquals(3, decoder.modelEndOfText());
        DecodedCaption s = decoder.decodeAll(List.of(new float[] {1, 0}), DecodingOptions.DEFAULT).get(0);
        assertArrayEquals(new int[] {2, 2, 3}, s.modelIds());
        assertArrayEquals(new int[] {2, 2, 9}, s.sequenceTokenIds());
        assertEquals("w2 w2", s.text());
        DecodedCaption c = decoder.decode(new float[] {1, 0});
        assertArrayEquals(new int[] {2, 2}, c.tokenIds());
        assertEquals(2, c.tokenLogProbs().length);
        assertEquals("w2 w2", c.text());
        // log-probs are over the masked distribution: ids 0, 2, 3, 5 remain
        double lse = Math.log(Math.exp(0) + Math.exp(4) + Math.exp(0) + Math.exp(3.5));
        assertEquals(4 - lse, s.sequenceLogProbs()[0], 1e-6);
    }

    @Test
    void without_masking_the_search_is_the_notebooks_and_undecodable_ids_are_reported_as_minus_one() {
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(model()).vocabularyMap(MAP)
                .tokenizer(TEN_WORDS).masking(false).build();
        DecodedCaption s = decoder.decodeAll(List.of(new float[] {1, 0}), DecodingOptions.greedy(4)).get(0);
        assertArrayEquals(new int[] {1, 1, 1, 1}, s.modelIds());
        assertArrayEquals(new int[] {-1, -1, -1, -1}, s.sequenceTokenIds());
        assertEquals("", s.text());
    }

    @Test
    void without_a_map_model_ids_are_tokenizer_ids_and_ids_beyond_the_tokenizer_are_masked_or_reported_as_minus_one() {
        FakeLanguageModel m = new FakeLanguageModel(2, 12, (p, h) -> {
            float[] l = new float[12];
            l[11] = 9; // unknown to the ten-word tokenizer
            l[h.length == 0 ? 3 : 9] = 5;
            return l;
        });
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(m).tokenizer(TEN_WORDS).build();
        DecodedCaption s = decoder.decodeAll(List.of(new float[] {0, 1}), DecodingOptions.DEFAULT).get(0);
        assertArrayEquals(new int[] {3, 9}, s.sequenceTokenIds());
        assertEquals("w3", s.text());
        StepCaptionDecoder raw = StepCaptionDecoder.builder().languageModel(m).tokenizer(TEN_WORDS).masking(false)
                .build();
        DecodedCaption r = raw.decodeAll(List.of(new float[] {0, 1}), DecodingOptions.greedy(2)).get(0);
        assertArrayEquals(new int[] {-1, -1}, r.sequenceTokenIds());
        assertArrayEquals(new int[] {11, 11}, r.modelIds());
    }

    @Test
    void text_is_null_without_a_tokenizer() {
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(model()).vocabularyMap(MAP)
                .tokenizerVocabularySize(10).endOfText(9).build();
        DecodedCaption c = decoder.decode(new float[] {1, 0});
        assertNull(c.text());
        assertArrayEquals(new int[] {2, 2}, c.tokenIds());
    }

    @Test
    void beam_options_run_beam_search_with_the_same_constraints() {
        FakeLanguageModel m = FakeLanguageModel.random(2, 6, 2f);
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(m).vocabularyMap(MAP)
                .tokenizer(TEN_WORDS).build();
        DecodingOptions options = DecodingOptions.builder().beam(3).lengthPenalty(0.5).maxTokens(8).build();
        DecodedCaption s = decoder.decodeAll(List.of(new float[] {1, 2}), options).get(0);
        Hypothesis expected = BeamSearch.search(m, new float[][] {{1, 2}}, decoder.constraints(options), 3, 0.5)
                .get(0);
        assertArrayEquals(expected.tokens(), s.modelIds());
        assertEquals(expected.score(), s.score(), 0);
        for (int id : s.modelIds()) {
            assertTrue(id != 1 && id != 4, "masked id chosen: " + id);
        }
    }

    @Test
    void unusable_prefixes_fail_with_messages_naming_them() {
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(model()).vocabularyMap(MAP).build();
        assertThrows(InvalidInputException.class, () -> decoder.decode(null));
        InvalidInputException dim = assertThrows(InvalidInputException.class, () -> decoder.decode(new float[3]));
        assertTrue(dim.getMessage().contains("expected 2, found 3"), dim.getMessage());
        InvalidInputException nan = assertThrows(InvalidInputException.class,
                () -> decoder.decodeAll(List.of(new float[] {1, 0}, new float[] {Float.NaN, 0}),
                        DecodingOptions.DEFAULT));
        assertTrue(nan.getMessage().contains("prefix 1"), nan.getMessage());
        InvalidInputException zero = assertThrows(InvalidInputException.class, () -> decoder.decode(new float[2]));
        assertTrue(zero.getMessage().contains("zeros"), zero.getMessage());
    }

    @Test
    void a_vocabulary_map_of_the_wrong_length_is_a_configuration_error() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> StepCaptionDecoder.builder().languageModel(model()).vocabularyMap(new int[] {1, 2}).build());
        assertTrue(e.getMessage().contains("expected 6, found 2"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> StepCaptionDecoder.builder().build());
    }

    @Test
    void a_closed_decoder_refuses_work_and_closes_its_model_once() {
        FakeLanguageModel m = model();
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(m).vocabularyMap(MAP).build();
        decoder.close();
        decoder.close();
        assertTrue(m.isClosed());
        ClosedException e = assertThrows(ClosedException.class, () -> decoder.decode(new float[] {1, 0}));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void batches_larger_than_max_batch_rows_are_split_without_changing_results() {
        FakeLanguageModel m = FakeLanguageModel.random(2, 6, 2f);
        StepCaptionDecoder small = StepCaptionDecoder.builder().languageModel(m).vocabularyMap(MAP).maxBatchRows(2)
                .build();
        StepCaptionDecoder large = StepCaptionDecoder.builder().languageModel(m).vocabularyMap(MAP).build();
        List<float[]> prefixes = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            prefixes.add(new float[] {i + 1, -i});
        }
        for (DecodingOptions o : List.of(DecodingOptions.DEFAULT, DecodingOptions.beam(2))) {
            assertEquals(large.decodeAll(prefixes, o), small.decodeAll(prefixes, o));
        }
    }

    @Test
    void concurrent_callers_get_the_serial_results() throws Exception {
        FakeLanguageModel m = FakeLanguageModel.random(2, 6, 2f);
        StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(m).vocabularyMap(MAP).build();
        List<float[]> prefixes = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            prefixes.add(new float[] {i + 1, 2 * i});
        }
        List<DecodedCaption> serial = decoder.decodeAll(prefixes, DecodingOptions.beam(3));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<DecodedCaption>> futures = new ArrayList<>();
            for (float[] p : prefixes) {
                futures.add(pool.submit(() -> decoder.decodeAll(List.of(p), DecodingOptions.beam(3)).get(0)));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertEquals(serial.get(i), futures.get(i).get());
            }
        } finally {
            pool.shutdown();
        }
    }
}
