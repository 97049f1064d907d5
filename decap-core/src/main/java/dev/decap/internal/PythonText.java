package dev.decap.internal;

import java.util.Locale;

/**
 * Python {@code str} semantics that CLIP's reference tokenizer relies on, reproduced exactly in Java:
 * {@code str.isspace()} (which is also what {@code \s} means in Python's {@code re} on text), {@code str.strip()},
 * {@code re.sub(r'\s+', ' ', text)} and {@code str.lower()}.
 *
 * <p>Stateless and thread-safe. Code points are classified with the JVM's Unicode tables; Python 3.11 and Java 17
 * agree on every code point assigned in Unicode 13 (checked exhaustively while writing this class).
 */
public final class PythonText {

    private PythonText() {
    }

    /**
     * Python's {@code str.isspace()} for one code point: bidirectional class WS, B or S, or category Zs. Note that
     * it includes U+001C..U+001F and U+0085 and excludes U+200B (ZERO WIDTH SPACE) and U+FEFF.
     */
    public static boolean isSpace(int cp) {
        if (cp <= 0x20) {
            return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
        }
        if (cp < 0x85) {
            return false;
        }
        switch (cp) {
            case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return cp >= 0x2000 && cp <= 0x200A;
        }
    }

    /** Python's {@code str.strip()} with no argument: removes leading and trailing {@link #isSpace} characters. */
    public static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        // Whitespace code points are all in the BMP, so testing chars is exact.
        return start == 0 && end == s.length() ? s : s.substring(start, end);
    }

    /**
     * {@code re.sub(r'\s+', ' ', s).strip()}: every run of whitespace becomes one space, and none is left at
     * either end.
     */
    public static String collapseWhitespace(String s) {
        int n = s.length();
        boolean alreadyClean = true;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (isSpace(c) && (c != ' ' || i == 0 || i == n - 1 || isSpace(s.charAt(i + 1)))) {
                alreadyClean = false;
                break;
            }
        }
        if (alreadyClean) {
            return s;
        }
        StringBuilder sb = new StringBuilder(n);
        boolean pendingSpace = false;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (isSpace(c)) {
                pendingSpace = true;
            } else {
                if (pendingSpace && sb.length() > 0) {
                    sb.append(' ');
                }
                pendingSpace = false;
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Python's {@code str.lower()}: full Unicode lower-casing, independent of the default locale (so U+0130 'İ'
     * becomes "i̇", and a final capital sigma becomes 'ς'), which is what {@link String#toLowerCase(Locale)} with
     * {@link Locale#ROOT} does.
     */
    public static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
