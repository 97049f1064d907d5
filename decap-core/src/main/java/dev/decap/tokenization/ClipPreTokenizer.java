package dev.decap.tokenization;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits cleaned text into the pieces CLIP byte-pair encodes, exactly as the reference pattern
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+} with
 * {@code regex.IGNORECASE} in Python's {@code regex} module, without a regular expression engine.
 *
 * <p>Equivalences this relies on (checked against Python {@code regex} over every code point while writing it,
 * and against {@code java.util.regex} by the tests): {@code \p{L}} is the categories Lu, Ll, Lt, Lm, Lo and
 * {@code \p{N}} is Nd, Nl, No, also under IGNORECASE; {@code \s} is the Unicode White_Space property; under
 * IGNORECASE the only non-ASCII character matching a letter of the literal alternatives is U+017F (long s) for
 * 's'; and U+0345 (COMBINING GREEK YPOGEGRAMMENI, category Mn) matches no alternative at all under IGNORECASE
 * (it case-folds to a letter, so the negated class refuses it, while {@code \p{L}} does not take it), so it is
 * skipped like whitespace. Categories come from the JVM's Unicode tables, so code points assigned after the
 * JVM's Unicode version are treated as unassigned (punctuation-like).
 */
final class ClipPreTokenizer {

    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";

    private static final String[] CONTRACTIONS = {"s", "t", "re", "ve", "m", "ll", "d"};

    private ClipPreTokenizer() {
    }

    /** Calls {@code piece} with the [start, end) char range of every piece of {@code text}, in order. */
    static void split(String text, PieceConsumer piece) {
        int n = text.length();
        int i = 0;
        while (i < n && !piece.full()) {
            int cp = text.codePointAt(i);
            int len = Character.charCount(cp);
            if (cp == '<') {
                int end = matchLiteral(text, i, START_OF_TEXT);
                if (end < 0) {
                    end = matchLiteral(text, i, END_OF_TEXT);
                }
                if (end > 0) {
                    piece.accept(i, end);
                    i = end;
                    continue;
                }
            } else if (cp == '\'') {
                int end = -1;
                for (String contraction : CONTRACTIONS) {
                    end = matchLiteral(text, i + 1, contraction);
                    if (end > 0) {
                        break;
                    }
                }
                if (end > 0) {
                    piece.accept(i, end);
                    i = end;
                    continue;
                }
            }
            int cls = classOf(cp);
            if (cls == SPACE) {
                i += len;
            } else if (cls == NUMBER) {
                piece.accept(i, i + len);
                i += len;
            } else {
                int end = i + len;
                while (end < n) {
                    int next = text.codePointAt(end);
                    if (classOf(next) != cls) {
                        break;
                    }
                    end += Character.charCount(next);
                }
                piece.accept(i, end);
                i = end;
            }
        }
    }

    /** Receives one piece as a char range of the text. */
    @FunctionalInterface
    interface PieceConsumer {
        void accept(int start, int end);

        /** True once the consumer needs no more pieces: splitting stops there. */
        default boolean full() {
            return false;
        }
    }

    /** The pieces as strings (for tests and diagnostics; the tokenizer uses the allocation-free form). */
    static List<String> pieces(String text) {
        List<String> pieces = new ArrayList<>();
        split(text, (start, end) -> pieces.add(text.substring(start, end)));
        return pieces;
    }

    static final int LETTER = 0;
    static final int NUMBER = 1;
    /** Whitespace, and the one character Python's pattern skips too (U+0345): part of no piece. */
    static final int SPACE = 2;
    static final int OTHER = 3;

    static int classOf(int cp) {
        if (cp < 0x80) {
            if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') {
                return LETTER;
            }
            if (cp >= '0' && cp <= '9') {
                return NUMBER;
            }
            return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) ? SPACE : OTHER;
        }
        if (cp == 0x345) {
            return SPACE;
        }
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER:
            case Character.LOWERCASE_LETTER:
            case Character.TITLECASE_LETTER:
            case Character.MODIFIER_LETTER:
            case Character.OTHER_LETTER:
                return LETTER;
            case Character.DECIMAL_DIGIT_NUMBER:
            case Character.LETTER_NUMBER:
            case Character.OTHER_NUMBER:
                return NUMBER;
            default:
                return isWhiteSpaceProperty(cp) ? SPACE : OTHER;
        }
    }

    /** The Unicode White_Space property (what {@code \s} means in Python's regex module), above ASCII. */
    private static boolean isWhiteSpaceProperty(int cp) {
        return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
                || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /**
     * Case-insensitive match of an ASCII literal at {@code from}, as Python's regex IGNORECASE does it; returns the
     * end index or -1.
     */
    private static int matchLiteral(String text, int from, String literal) {
        int n = literal.length();
        if (from + n > text.length()) {
            return -1;
        }
        for (int k = 0; k < n; k++) {
            char expected = literal.charAt(k);
            char actual = text.charAt(from + k);
            if (actual != expected && !equalsIgnoringCase(expected, actual)) {
                return -1;
            }
        }
        return from + n;
    }

    private static boolean equalsIgnoringCase(char lowerAscii, char actual) {
        if (lowerAscii >= 'a' && lowerAscii <= 'z' && actual == lowerAscii - 32) {
            return true;
        }
        return lowerAscii == 's' && actual == '\u017F';
    }
}
