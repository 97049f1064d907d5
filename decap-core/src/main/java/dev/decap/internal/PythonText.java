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
     * Python's {@code str.lower()}: full Unicode lower-casing independent of the default locale (so U+0130 'İ'
     * becomes "i̇"), with Python's Final_Sigma rule for U+03A3: it becomes 'ς' when a cased letter precedes it and
     * none follows it, skipping case-ignorable characters on both sides ("ΑΣ1" gives "ας1"). Java's own
     * final-sigma rule looks at word boundaries instead, so capital sigma is handled here.
     */
    public static String lower(String s) {
        int sigma = s.indexOf('\u03A3');
        if (sigma < 0) {
            return s.toLowerCase(Locale.ROOT);
        }
        StringBuilder sb = new StringBuilder(s.length() + 8);
        int from = 0;
        while (sigma >= 0) {
            sb.append(s.substring(from, sigma).toLowerCase(Locale.ROOT));
            sb.append(isFinalSigma(s, sigma) ? '\u03C2' : '\u03C3');
            from = sigma + 1;
            sigma = s.indexOf('\u03A3', from);
        }
        return sb.append(s.substring(from).toLowerCase(Locale.ROOT)).toString();
    }

    /** CPython's {@code handle_capital_sigma}: cased (ignorable)* Σ !((ignorable)* cased). */
    private static boolean isFinalSigma(String s, int index) {
        int j = index;
        int before = -1;
        while (j > 0) {
            int cp = s.codePointBefore(j);
            j -= Character.charCount(cp);
            if (!isCaseIgnorable(cp)) {
                before = cp;
                break;
            }
        }
        if (before < 0 || !isCased(before)) {
            return false;
        }
        j = index + 1;
        while (j < s.length()) {
            int cp = s.codePointAt(j);
            j += Character.charCount(cp);
            if (!isCaseIgnorable(cp)) {
                return !isCased(cp);
            }
        }
        return true;
    }

    /** The Unicode Cased property: Lowercase, Uppercase or titlecase letter. */
    static boolean isCased(int cp) {
        return Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp);
    }

    /**
     * The Unicode Case_Ignorable property: categories Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter, MidNumLet or
     * Single_Quote (Java exposes no Word_Break, so those few characters are listed).
     */
    static boolean isCaseIgnorable(int cp) {
        switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK:
            case Character.ENCLOSING_MARK:
            case Character.FORMAT:
            case Character.MODIFIER_LETTER:
            case Character.MODIFIER_SYMBOL:
                return true;
            default:
                break;
        }
        switch (cp) {
            case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4: case 0x2018:
            case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55: case 0xFF07: case 0xFF0E:
            case 0xFF1A:
                return true;
            default:
                return false;
        }
    }
}
