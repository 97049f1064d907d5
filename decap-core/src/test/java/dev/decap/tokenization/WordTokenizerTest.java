package dev.decap.tokenization;

import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WordTokenizerTest {
    /** pad unk a blue circle of red the to . sot eot: V = 12, SOT 10, EOT 11. */
    static final List<String> LINES = List.of("<pad>", "<unk>", "a", "blue", "circle", "left", "of", "red", "the",
            "to", ".", "<|startoftext|>", "<|endoftext|>");
    static final WordTokenizer TOKENIZER = WordTokenizer.fromLines(LINES);

    @TempDir
    Path dir;

    @Test
    void ids_are_line_numbers_and_specials_sit_at_the_ends() {
        assertEquals(13, TOKENIZER.vocabularySize());
        assertEquals(11, TOKENIZER.startOfText());
        assertEquals(12, TOKENIZER.endOfText());
        assertEquals(0, TOKENIZER.pad());
        assertEquals(1, TOKENIZER.unknown());
        assertEquals("circle", TOKENIZER.token(4));
    }

    @Test
    void encode_lower_cases_splits_punctuation_and_maps_unknown_words_to_unk() {
        assertArrayEquals(new int[]{2, 7, 4, 10}, TOKENIZER.encode("A RED Circle."));
        assertArrayEquals(new int[]{8, 1, 3, 4}, TOKENIZER.encode("  the  green\tblue\ncircle "));
        assertArrayEquals(new int[]{1, 1, 10}, TOKENIZER.encode("x2 !."));
        assertArrayEquals(new int[0], TOKENIZER.encode(" \t\n"));
    }

    @Test
    void encode_normalises_to_nfc_before_lookup() {
        WordTokenizer t = WordTokenizer.fromLines(List.of("<pad>", "<unk>", "caf\u00e9", "<|startoftext|>",
                "<|endoftext|>"));
        assertArrayEquals(new int[]{2}, t.encode("cafe\u0301"));
        assertArrayEquals(new int[]{2}, t.encode("CAF\u00c9"));
    }

    @Test
    void lower_casing_does_not_depend_on_the_default_locale() {
        java.util.Locale old = java.util.Locale.getDefault();
        try {
            java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr"));
            assertArrayEquals(new int[]{1}, TOKENIZER.encode("LIFT"));  // "lift" in ROOT, "lıft" in Turkish
            assertEquals(List.of("lift"), WordTokenizer.pieces("LIFT"));
        } finally {
            java.util.Locale.setDefault(old);
        }
    }

    @Test
    void pieces_are_letter_digit_runs_or_single_other_characters() {
        assertEquals(List.of("a", "b2c", "-", "-", "d", "\u00e9t\u00e9", "!"), WordTokenizer.pieces("a b2c-- d \u00c9t\u00e9!"));
    }

    @Test
    void encode_context_wraps_in_start_and_end_and_pads_with_zeros() {
        assertArrayEquals(new int[]{11, 2, 7, 4, 12, 0, 0}, TOKENIZER.encodeContext("a red circle", 7));
        assertArrayEquals(new int[]{11, 12}, TOKENIZER.encodeContext("", 2));
    }

    @Test
    void encode_context_truncates_so_that_end_of_text_stays_last() {
        assertArrayEquals(new int[]{11, 2, 7, 12}, TOKENIZER.encodeContext("a red circle to the left", 4));
        assertArrayEquals(new int[]{11, 12}, TOKENIZER.encodeContext("a red circle", 2));
        assertThrows(InvalidInputException.class, () -> TOKENIZER.encodeContext("a", 1));
    }

    @Test
    void context_length_above_the_documented_range_is_refused_naming_the_range() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TOKENIZER.encodeContext("a red circle", Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("2.." + Tokenizer.MAX_CONTEXT_LENGTH), e.getMessage());
        assertEquals(Tokenizer.MAX_CONTEXT_LENGTH, TOKENIZER.encodeContext("a", Tokenizer.MAX_CONTEXT_LENGTH).length);
    }

    @Test
    void decode_drops_pad_and_markers_and_attaches_punctuation() {
        assertEquals("a red circle.", TOKENIZER.decode(new int[]{11, 2, 7, 4, 10, 12, 0, 0}));
        assertEquals("a <unk> circle", TOKENIZER.decode(new int[]{2, 1, 4}));
        assertEquals(". a", TOKENIZER.decode(new int[]{10, 2}));
        assertEquals("", TOKENIZER.decode(new int[0]));
    }

    @Test
    void decode_of_encode_round_trips_known_lower_case_text() {
        String text = "the red circle to the left of a blue circle.";
        assertEquals(text, TOKENIZER.decode(TOKENIZER.encode(text)));
    }

    @Test
    void decode_refuses_ids_outside_the_vocabulary() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TOKENIZER.decode(new int[]{2, 13}));
        assertTrue(e.getMessage().contains("token id 13 is outside the vocabulary of 13 ids"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> TOKENIZER.decode(new int[]{-1}));
    }

    @Test
    void null_text_and_ids_are_refused_with_a_message() {
        assertThrows(InvalidInputException.class, () -> TOKENIZER.encode(null));
        assertThrows(InvalidInputException.class, () -> TOKENIZER.decode(null));
    }

    @Test
    void a_vocabulary_file_loads_with_or_without_a_final_newline() throws IOException {
        Path withNl = Files.writeString(dir.resolve("a.txt"), String.join("\n", LINES) + "\n");
        Path withoutNl = Files.writeString(dir.resolve("b.txt"), String.join("\n", LINES));
        assertEquals(LINES, WordTokenizer.fromVocabulary(withNl).tokens());
        assertEquals(LINES, WordTokenizer.fromVocabulary(withoutNl).tokens());
        WordTokenizer fromStream = WordTokenizer.builder().vocabulary(new ByteArrayInputStream(
                (String.join("\n", LINES) + "\n").getBytes(StandardCharsets.UTF_8)), "vocab.txt").build();
        assertEquals(LINES, fromStream.tokens());
    }

    @Test
    void a_missing_file_is_named_in_the_error() {
        Path missing = dir.resolve("nope.txt");
        ModelException e = assertThrows(ModelException.class, () -> WordTokenizer.fromVocabulary(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("not found"),
                e.getMessage());
    }

    @Test
    void duplicates_are_refused_naming_both_lines() {
        List<String> l = new ArrayList<>(LINES);
        l.add(5, "red");
        ModelException e = assertThrows(ModelException.class, () -> WordTokenizer.fromLines(l));
        assertTrue(e.getMessage().contains("\"red\" appears twice, on lines 6 and 9"), e.getMessage());
    }

    @Test
    void missing_or_misplaced_specials_are_refused_naming_the_line() {
        List<String> noPad = new ArrayList<>(LINES.subList(1, LINES.size()));
        noPad.add(0, "a0");
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromLines(noPad)).getMessage()
                .contains("line 1 must be <pad>, found \"a0\""));
        List<String> swapped = new ArrayList<>(LINES);
        swapped.set(11, "<|endoftext|>");
        swapped.set(12, "<|startoftext|>");
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromLines(swapped)).getMessage()
                .contains("line 12 must be <|startoftext|>"));
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromLines(List.of("<pad>", "<unk>")))
                .getMessage().contains("expected at least 4 lines"));
    }

    @Test
    void empty_lines_windows_line_endings_and_non_utf8_files_are_refused() throws IOException {
        List<String> blank = new ArrayList<>(LINES);
        blank.add(3, "");
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromLines(blank)).getMessage()
                .contains("line 4 is empty"));
        Path crlf = Files.writeString(dir.resolve("crlf.txt"), String.join("\r\n", LINES) + "\r\n");
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromVocabulary(crlf)).getMessage()
                .contains("whitespace"));
        Path latin1 = Files.write(dir.resolve("latin1.txt"), (String.join("\n", LINES) + "\ncaf\u00e9\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(assertThrows(ModelException.class, () -> WordTokenizer.fromVocabulary(latin1)).getMessage()
                .contains("not UTF-8"));
    }

    @Test
    void one_tokenizer_is_shared_by_many_threads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                futures.add(pool.submit(() -> TOKENIZER.decode(TOKENIZER.encodeContext("The red circle.", 10))));
            }
            for (Future<String> f : futures) {
                assertEquals("the red circle.", f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
