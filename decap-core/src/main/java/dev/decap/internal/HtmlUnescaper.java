package dev.decap.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * HTML character reference decoding, exactly as the two Python functions CLIP's text cleaning uses:
 * <ul>
 *   <li>{@link #unescapePython}: Python's {@code html.unescape} — numeric references (decimal and hex, with or
 *       without ';', C1 numbers read as Windows-1252, invalid code points dropped or replaced as the HTML5 spec
 *       says), and all 2231 HTML5 named references, including the legacy ones written without ';' (longest
 *       prefix wins, so {@code &amp;copy} is "&amp;" + "copy" but {@code &copyright} is "©right").</li>
 *   <li>{@link #unescapeFtfy}: ftfy 6.3.1's {@code unescape_html} — only {@code &name;} / {@code &#...;} forms of
 *       at most 24 letters or digits, ending in ';', plus upper-cased aliases such as {@code &EACUTE;}.</li>
 * </ul>
 * The entity table is the resource {@code html5-entities.tsv}, generated from Python's
 * {@code html.entities.html5}. Stateless and thread-safe.
 */
public final class HtmlUnescaper {

    private HtmlUnescaper() {
    }

    /** Windows-1252 meanings of the C1 range U+0080..U+009F (undefined bytes map to themselves: "sloppy"). */
    private static final char[] C1_AS_WINDOWS_1252 = {
        '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
        '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
        '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
        '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
    };

    /** The sloppy Windows-1252 character for a code point in U+0080..U+009F. */
    public static char c1AsWindows1252(int cp) {
        return C1_AS_WINDOWS_1252[cp - 0x80];
    }

    private static final class Tables {
        /** Python's html.entities.html5: name (with or without ';') to its characters. */
        static final Map<String, String> HTML5 = new HashMap<>(4096);
        /** ftfy's HTML_ENTITIES: "&name;" to its characters. */
        static final Map<String, String> FTFY = new HashMap<>(4096);
        static final int LONGEST_NAME;

        static {
            int longest = 0;
            try (InputStream in = HtmlUnescaper.class.getResourceAsStream("html5-entities.tsv")) {
                if (in == null) {
                    throw new IllegalStateException("resource dev/decap/internal/html5-entities.tsv is missing from "
                            + "the decap-core jar; rebuild decap-core");
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty() || line.charAt(0) == '#') {
                        continue;
                    }
                    String[] fields = line.split("\t", -1);
                    StringBuilder value = new StringBuilder(2);
                    for (String hex : fields[2].split(" ")) {
                        value.appendCodePoint(Integer.parseInt(hex, 16));
                    }
                    String name = fields[1];
                    if (fields[0].equals("h")) {
                        HTML5.put(name, value.toString());
                        longest = Math.max(longest, name.length());
                        if (name.endsWith(";")) {
                            FTFY.put("&" + name, value.toString());
                        }
                    } else {
                        FTFY.put("&" + name, value.toString());
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read resource dev/decap/internal/html5-entities.tsv", e);
            }
            LONGEST_NAME = longest;
        }
    }

    /** Python's {@code html.unescape(s)}. */
    public static String unescapePython(String s) {
        return replaceReferences(s, HtmlUnescaper::replaceReference);
    }

    /** Replaces the reference starting at the '&amp;' at {@code amp}; returns the index after it, or -1 if none. */
    @FunctionalInterface
    private interface ReferenceReplacer {
        int replace(String s, int amp, StringBuilder out);
    }

    /** Copies {@code s}, letting {@code replacer} rewrite each reference; a bare '&amp;' stays as it is. */
    private static String replaceReferences(String s, ReferenceReplacer replacer) {
        int amp = s.indexOf('&');
        if (amp < 0) {
            return s;
        }
        int n = s.length();
        StringBuilder out = new StringBuilder(n);
        out.append(s, 0, amp);
        int i = amp;
        while (i < n) {
            char c = s.charAt(i);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int next = replacer.replace(s, i, out);
            if (next < 0) {
                out.append('&');
                i++;
            } else {
                i = next;
            }
        }
        return out.toString();
    }

    /**
     * Tries Python's {@code _charref} pattern {@code &(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)}
     * at {@code amp}; on a match appends the replacement and returns the index after the match, else -1.
     */
    private static int replaceReference(String s, int amp, StringBuilder out) {
        int n = s.length();
        int i = amp + 1;
        if (i >= n) {
            return -1;
        }
        if (s.charAt(i) == '#') {
            int j = i + 1;
            int radix;
            int digitsStart;
            if (j < n && isAsciiDigit(s.charAt(j))) {
                radix = 10;
                digitsStart = j;
            } else if (j + 1 < n && (s.charAt(j) == 'x' || s.charAt(j) == 'X') && hexValue(s.charAt(j + 1)) >= 0) {
                radix = 16;
                digitsStart = j + 1;
            } else {
                return -1;
            }
            int k = digitsStart;
            long value = 0;
            while (k < n && (radix == 10 ? isAsciiDigit(s.charAt(k)) : hexValue(s.charAt(k)) >= 0)) {
                if (value <= 0x10FFFF) {
                    value = value * radix + (radix == 10 ? s.charAt(k) - '0' : hexValue(s.charAt(k)));
                }
                k++;
            }
            if (k < n && s.charAt(k) == ';') {
                k++;
            }
            appendNumeric(value, out);
            return k;
        }
        // Named reference: 1 to 32 code points outside [\t\n\f <&#;], then an optional ';'.
        int k = i;
        int codePoints = 0;
        while (k < n && codePoints < 32) {
            char c = s.charAt(k);
            if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';') {
                break;
            }
            k += Character.isHighSurrogate(c) && k + 1 < n && Character.isLowSurrogate(s.charAt(k + 1)) ? 2 : 1;
            codePoints++;
        }
        if (codePoints == 0) {
            return -1;
        }
        if (k < n && s.charAt(k) == ';') {
            k++;
        }
        String name = s.substring(i, k);
        String whole = Tables.HTML5.get(name);
        if (whole != null) {
            out.append(whole);
            return k;
        }
        // Longest prefix of at least 2 code points that is a name (only legacy names without ';' can match here,
        // and names are ASCII, so char and code point positions agree wherever a prefix can match).
        int maxPrefix = Math.min(name.length() - 1, Tables.LONGEST_NAME);
        for (int x = maxPrefix; x >= 2; x--) {
            String value = Tables.HTML5.get(name.substring(0, x));
            if (value != null) {
                out.append(value).append(name, x, name.length());
                return k;
            }
        }
        out.append('&').append(name);
        return k;
    }

    private static void appendNumeric(long num, StringBuilder out) {
        if (num == 0) {
            out.append('\uFFFD');
        } else if (num == 0x0D) {
            out.append('\r');
        } else if (num >= 0x80 && num <= 0x9F) {
            out.append(C1_AS_WINDOWS_1252[(int) num - 0x80]);
        } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
            out.append('\uFFFD');
        } else if (isInvalidCodePoint((int) num)) {
            // dropped, as Python does
            return;
        } else {
            out.appendCodePoint((int) num);
        }
    }

    /** Python's {@code html._invalid_codepoints} (outside the C1 range, which is mapped before). */
    private static boolean isInvalidCodePoint(int cp) {
        return (cp >= 0x01 && cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
    }

    /** ftfy 6.3.1's {@code unescape_html(s)}: {@code re.sub(r"&#?[0-9A-Za-z]{1,24};", fixup, s)}. */
    public static String unescapeFtfy(String s) {
        return replaceReferences(s, HtmlUnescaper::replaceFtfyReference);
    }

    private static int replaceFtfyReference(String s, int i, StringBuilder out) {
        int n = s.length();
        int j = i + 1;
        if (j < n && s.charAt(j) == '#') {
            j++;
        }
        int k = j;
        while (k < n && k - j < 25 && isAsciiAlphanumeric(s.charAt(k))) {
            k++;
        }
        int run = k - j;
        if (run < 1 || run > 24 || k >= n || s.charAt(k) != ';') {
            return -1;
        }
        String reference = s.substring(i, k + 1);
        String named = Tables.FTFY.get(reference);
        if (named != null) {
            out.append(named);
        } else if (reference.startsWith("&#")) {
            String unescaped = unescapePython(reference);
            out.append(unescaped.indexOf(';') >= 0 ? reference : unescaped);
        } else {
            out.append(reference);
        }
        return k + 1;
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isAsciiAlphanumeric(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
