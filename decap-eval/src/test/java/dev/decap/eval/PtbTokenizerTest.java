package dev.decap.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected values were printed by Stanford CoreNLP 3.4.1's PTBTokenizer -preserveLines -lowerCase. */
class PtbTokenizerTest {

    @Test
    void splits_clitics_and_negations_the_ptb_way() {
        assertEquals("the dog 's bone is n't here they 're gone i 'm ok we 'll go i 'd say you 've seen",
                PtbTokenizer.tokenize("the dog's bone isn't here, they're gone. I'm ok, we'll go; I'd say you've seen"));
        // at the very end of the input Stanford reads 're as an opening quote and a word (and so does this)
        assertEquals(List.of("we", "`", "re"), PtbTokenizer.ptbTokens("we're"));
        assertEquals(List.of("do", "n't", "he", "'s", "hawai'i", "o'clock", "o'neil", "y'", "all", "'em"),
                PtbTokenizer.ptbTokens("DON'T HE'S HAWAI'I o'clock O'Neil y'all 'em"));
        assertEquals("can not gon na wan na", PtbTokenizer.tokenize("cannot gonna wanna"));
    }

    @Test
    void lower_cases_and_removes_only_pycocoevalcaps_punctuation() {
        assertEquals("a man a plan a canal panama !!!", PtbTokenizer.tokenize("A man, a plan -- a canal: Panama!!!"));
        // pycocoevalcap lists -LRB- in upper case, but the tokenizer lower-cases first: brackets stay as words
        assertEquals("-lrb- paren -rrb- -lsb- square -rsb- -lcb- curly -rcb-",
                PtbTokenizer.tokenize("(paren) [square] {curly}"));
        assertEquals("a couple of cows", PtbTokenizer.tokenize("A COUPLE OF COWS. ..."));
        assertEquals("", PtbTokenizer.tokenize(""));
        assertEquals("", PtbTokenizer.tokenize(" . , ! "));
    }

    @Test
    void keeps_hyphenated_slashed_and_numeric_tokens_whole() {
        assertEquals(List.of("black/white", "and/or", "1/2", "1\u00A01/2", "3.5", "1,000", "10:30", "-5", ".5",
                        "5-10", "12/25/2015"),
                PtbTokenizer.ptbTokens("black/white and/or 1/2 1 1/2 3.5 1,000 10:30 -5 .5 5-10 12/25/2015"));
        assertEquals(List.of("e-mail", "t-shirt", "well-known", ".", "co-op"),
                PtbTokenizer.ptbTokens("e-mail t-shirt well-known. co-op"));
        assertEquals(List.of("road.a", "dog.the"), PtbTokenizer.ptbTokens("road.A dog.the"));
    }

    @Test
    void treats_abbreviations_and_acronyms_by_their_context() {
        assertEquals(List.of("mr.", "smith", "lives", "on", "main", "st.", "in", "the", "u.s.", ".", "the", "end"),
                PtbTokenizer.ptbTokens("Mr. Smith lives on Main St. in the U.S. The end"));
        assertEquals(List.of("plan", "b.", "the", "end"), PtbTokenizer.ptbTokens("plan B. the end"));
        assertEquals(List.of("etc.", "and", "etc.", "."), PtbTokenizer.ptbTokens("etc. and etc."));
    }

    @Test
    void normalises_quotes_dashes_ellipses_and_unicode() {
        assertEquals(List.of("``", "quoted", "''", "--", "dash", "...", "1/2", "café"),
                PtbTokenizer.ptbTokens("\u201Cquoted\u201D \u2014 dash\u2026 \u00BD caf\u00E9"));
        assertEquals("a dog with emoji", PtbTokenizer.tokenize("A dog \uD83D\uDC36 with emoji"));
    }

    @Test
    void reads_captions_as_one_stream_as_pycocoevalcap_does() {
        // alone, "A." ends the text and stays one token; followed by the line "A dog" it is a letter and a period
        assertEquals("the letter a.", PtbTokenizer.tokenize("the letter A."));
        assertEquals(List.of("the letter a", "a dog"), PtbTokenizer.tokenizeAll(List.of("the letter A.", "A dog")));
        assertEquals(List.of("a b", "c"), PtbTokenizer.tokenizeAll(List.of("a\nb", "c")));
    }

    @Test
    void matches_the_stanford_tokenizer_on_every_committed_case() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> inputs = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        try (InputStream in = PtbTokenizerTest.class.getResourceAsStream("ptb_cases.jsonl");
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                JsonNode node = json.readTree(line);
                inputs.add(node.get("in").asText());
                expected.add(node.get("out").asText());
            }
        }
        assertTrue(inputs.size() >= 370, "expected at least 370 cases, found " + inputs.size());
        // the file was tokenised by Stanford as one stream, one case per line; so is it here
        List<List<String>> lines = PtbLexer.lines(String.join("\n", inputs));
        assertEquals(inputs.size(), lines.size());
        for (int i = 0; i < inputs.size(); i++) {
            assertEquals(expected.get(i), String.join(" ", lines.get(i)), "case " + (i + 1) + ": " + inputs.get(i));
        }
    }

    @Test
    void rejects_null_text_with_a_message() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> PtbTokenizer.tokenize(null));
        assertTrue(e.getMessage().contains("null"), e.getMessage());
        assertThrows(InvalidInputException.class, () -> PtbTokenizer.tokenizeAll(java.util.Arrays.asList("a", null)));
    }
}
