package dev.decap.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The two ways coco-caption splits tokenised text, reproduced exactly: {@code str.split()} (any Python whitespace,
 * empty pieces dropped; BLEU and CIDEr-D) and {@code str.split(" ")} (single spaces, empty pieces kept; ROUGE-L).
 * The difference shows on empty captions and on tokens holding a no-break space, which the PTB tokenizer writes
 * inside fractions such as "1 1/2".
 */
final class PythonText {

    private PythonText() {
    }

    /** Python's {@code str.isspace()} for one character (Unicode White_Space, as CPython's table). */
    static boolean isSpace(char c) {
        switch (c) {
            case '\t', '\n', '\u000B', '\u000C', '\r', '\u001C', '\u001D', '\u001E', '\u001F', ' ', '\u0085',
                    '\u00A0', '\u1680', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000' -> {
                return true;
            }
            default -> {
                return c >= '\u2000' && c <= '\u200A';
            }
        }
    }

    /** {@code text.split()}: maximal runs of non-whitespace. */
    static List<String> splitWhitespace(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length(); i++) {
            if (isSpace(text.charAt(i))) {
                if (start >= 0) {
                    words.add(text.substring(start, i));
                    start = -1;
                }
            } else if (start < 0) {
                start = i;
            }
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }

    /** {@code text.split(" ")}: pieces between single spaces, empty ones kept ("" gives one empty piece). */
    static List<String> splitSpace(String text) {
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == ' ') {
                words.add(text.substring(start, i));
                start = i + 1;
            }
        }
        words.add(text.substring(start));
        return words;
    }

    /** {@code text.rstrip()}. */
    static String rstrip(String text) {
        int end = text.length();
        while (end > 0 && isSpace(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }
}
