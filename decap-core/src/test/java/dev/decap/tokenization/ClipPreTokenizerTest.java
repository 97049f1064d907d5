package dev.decap.tokenization;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ClipPreTokenizerTest {

    /**
     * The reference pattern in java.util.regex; Python's {@code \s} (regex module, Unicode) is the White_Space
     * property, hence {@code \p{IsWhite_Space}} instead of Java's ASCII-only {@code \s}.
     */
    private static final Pattern REFERENCE = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]"
                    + "|[^\\p{IsWhite_Space}\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);

    private static List<String> reference(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
            pieces.add(m.group());
        }
        return pieces;
    }

    @Test
    void pieces_match_python_regex_on_known_cases() {
        // Expected lists produced by Python's regex module with the reference pattern and IGNORECASE.
        assertEquals(List.of("'\u017f"), ClipPreTokenizer.pieces("'\u017f"));
        assertEquals(List.of("x", "\u00b2", "y"), ClipPreTokenizer.pieces("x\u00b2y"));
        assertEquals(List.of("\u217b", "3"), ClipPreTokenizer.pieces("\u217b3"));
        assertEquals(List.of("don", "'t", "!'", "s", "''", "s"), ClipPreTokenizer.pieces("don't!'s''s"));
        assertEquals(List.of("a", "b"), ClipPreTokenizer.pieces("a\u0345b"));
        assertEquals(List.of("<|\u017ftartoftext|>", "x"), ClipPreTokenizer.pieces("<|\u017ftartoftext|>x"));
        assertEquals(List.of("'S", "'LL"), ClipPreTokenizer.pieces("'S 'LL"));
        assertEquals(List.of("i", "\u0307", "x"), ClipPreTokenizer.pieces("i\u0307x"));
        assertEquals(List.of("\u001c\u001d", "a"), ClipPreTokenizer.pieces("\u001c\u001da"));
        assertEquals(List.of("<|startoftext|>", "already", "marked", "<|endoftext|>"),
                ClipPreTokenizer.pieces("<|startoftext|>already marked<|endoftext|>"));
        assertEquals(List.of("1", "2", "3", ".", "4"), ClipPreTokenizer.pieces("123.4"));
    }

    @Test
    void scanner_agrees_with_java_regex_on_every_code_point() {
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF || cp == 0x345) {
                continue; // U+0345: Python's regex skips it under IGNORECASE, Java's does not (tested above)
            }
            String c = new String(Character.toChars(cp));
            String text = "ab" + c + "c" + c + c + "1" + c + "'s" + c + " " + c + "'" + c;
            List<String> expected = reference(text);
            List<String> actual = ClipPreTokenizer.pieces(text);
            if (!expected.equals(actual)) {
                assertEquals(expected, actual, "U+" + Integer.toHexString(cp));
            }
        }
    }

    @Test
    void scanner_agrees_with_java_regex_on_random_mixed_text() {
        String alphabet = "aZ9 \t'sStTrReEvVmMlLdD<|>!?.,-_\u00e9\u00df\u0130\u03a3\u4e00\u0661\u00b2\u2167"
                + "\u200b\u00a0\u3000\u0301\ud83d\ude00\u017f";
        String[] words = {"<|startoftext|>", "<|endoftext|>", "'ll", "'re", "'ve"};
        Random random = new Random(42);
        for (int round = 0; round < 20_000; round++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(24);
            for (int i = 0; i < length; i++) {
                if (random.nextInt(8) == 0) {
                    sb.append(words[random.nextInt(words.length)]);
                } else {
                    int k = random.nextInt(alphabet.length());
                    char c = alphabet.charAt(k);
                    if (Character.isHighSurrogate(c)) {
                        sb.append(c).append(alphabet.charAt(k + 1));
                    } else if (!Character.isLowSurrogate(c)) {
                        sb.append(c);
                    }
                }
            }
            String text = sb.toString();
            assertEquals(reference(text), ClipPreTokenizer.pieces(text), text);
        }
    }
}
