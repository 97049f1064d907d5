package dev.decap.internal;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The part of ftfy 6.3.1's {@code fix_text} (default configuration) that CLIP's text cleaning runs, reproduced in
 * Java. Stateless and thread-safe.
 *
 * <p>Exactly as ftfy: the text is fixed in segments that end after each '\n'; HTML unescaping ("auto") is turned
 * off for a segment that contains '&lt;' and every segment after it; each segment is fixed by repeating, until
 * nothing changes: {@code unescape_html}, {@code fix_encoding} (see below), {@code fix_c1_controls},
 * {@code fix_latin_ligatures}, {@code fix_character_width}, {@code uncurl_quotes}, {@code fix_line_breaks},
 * {@code fix_surrogates}, {@code remove_terminal_escapes}, {@code remove_control_chars} and NFC normalisation.
 *
 * <p>Not exact: {@code fix_encoding}. ftfy decides whether text is mojibake with a large heuristic ("badness")
 * and can repair partial, mixed or lossy mojibake in nine legacy encodings. This class only repairs the
 * unambiguous case: the whole segment (not ASCII) can be encoded as Latin-1, or else as (sloppy) Windows-1252,
 * and those bytes are valid UTF-8; the segment is then replaced by the decoded text, repeatedly while that
 * applies. Segments that ftfy would repair in other ways are left as they are.
 */
public final class TextFixer {

    private TextFixer() {
    }

    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001b\\[[\\p{Nd};]*[a-zA-Z]");

    private static final int MAX_SEGMENT = 1_000_000;

    /** ftfy's {@code fix_text(text)} with the default configuration (repairing mojibake only as described above). */
    public static String fixText(String text) {
        if (isUntouched(text)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        int n = text.length();
        while (pos < n) {
            int textBreak = text.indexOf('\n', pos) + 1;
            if (textBreak == 0) {
                textBreak = n;
            }
            if (textBreak - pos > MAX_SEGMENT) {
                textBreak = pos + MAX_SEGMENT;
            }
            String segment = text.substring(pos, textBreak);
            if (unescapeHtml && segment.indexOf('<') >= 0) {
                unescapeHtml = false;
            }
            out.append(fixSegment(segment, unescapeHtml));
            pos = textBreak;
        }
        return out.toString();
    }

    /**
     * True where no fixer can change the text: printable ASCII, tab, line feed and form feed only, and no '&amp;'.
     * Captions almost always are, which keeps tokenisation fast.
     */
    private static boolean isUntouched(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 ? (c > 0x7E || c == '&') : (c != '\t' && c != '\n' && c != '\f')) {
                return false;
            }
        }
        return true;
    }

    private static String fixSegment(String segment, boolean unescapeHtml) {
        String text = segment;
        while (true) {
            String original = text;
            if (unescapeHtml) {
                text = HtmlUnescaper.unescapeFtfy(text);
            }
            text = fixEncoding(text);
            text = fixC1Controls(text);
            text = fixLatinLigatures(text);
            text = fixCharacterWidth(text);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            text = removeTerminalEscapes(text);
            text = removeControlChars(text);
            if (!Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
                text = Normalizer.normalize(text, Normalizer.Form.NFC);
            }
            if (text.equals(original)) {
                return text;
            }
        }
    }

    /**
     * The conservative subset of ftfy's {@code fix_encoding} described in the class comment: re-decodes text that
     * is entirely UTF-8 read as Latin-1 or Windows-1252, such as "cafÃ©" or "doesnâ€™t".
     */
    public static String fixEncoding(String text) {
        String current = text;
        while (true) {
            if (isAscii(current)) {
                return current;
            }
            String fixed = redecode(current, false);
            if (fixed == null) {
                fixed = redecode(current, true);
            }
            if (fixed == null || fixed.equals(current)) {
                return current;
            }
            current = fixed;
        }
    }

    private static String redecode(String text, boolean windows1252) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = windows1252 ? sloppyWindows1252Byte(text.charAt(i)) : latin1Byte(text.charAt(i));
            if (b < 0) {
                return null;
            }
            bytes[i] = (byte) b;
        }
        return Utf8.decodeStrict(bytes);
    }

    private static int latin1Byte(char c) {
        return c <= 0xFF ? c : -1;
    }

    /** The byte of {@code c} in ftfy's "sloppy" Windows-1252 (undefined bytes 81, 8D, 8F, 90, 9D pass through). */
    private static int sloppyWindows1252Byte(char c) {
        if (c < 0x80 || (c >= 0xA0 && c <= 0xFF)) {
            return c;
        }
        for (int b = 0x80; b <= 0x9F; b++) {
            if (HtmlUnescaper.c1AsWindows1252(b) == c) {
                return b;
            }
        }
        return -1;
    }

    private static boolean isAscii(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            if (text.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** ftfy's {@code fix_c1_controls}: U+0080..U+009F become their (sloppy) Windows-1252 characters. */
    static String fixC1Controls(String text) {
        int first = indexOfRange(text, 0x80, 0x9F);
        if (first < 0) {
            return text;
        }
        char[] chars = text.toCharArray();
        for (int i = first; i < chars.length; i++) {
            if (chars[i] >= 0x80 && chars[i] <= 0x9F) {
                chars[i] = HtmlUnescaper.c1AsWindows1252(chars[i]);
            }
        }
        return new String(chars);
    }

    /** ftfy's {@code fix_latin_ligatures}. */
    static String fixLatinLigatures(String text) {
        StringBuilder sb = null;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            String replacement = c < 0x132 ? null : ligature(c);
            if (replacement != null && sb == null) {
                sb = new StringBuilder(n + 8).append(text, 0, i);
            }
            if (sb != null) {
                if (replacement != null) {
                    sb.append(replacement);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? text : sb.toString();
    }

    private static String ligature(char c) {
        switch (c) {
            case '\u0132': return "IJ";
            case '\u0133': return "ij";
            case '\u0149': return "\u02BCn";
            case '\u01F1': return "DZ";
            case '\u01F2': return "Dz";
            case '\u01F3': return "dz";
            case '\u01C4': return "D\u017D";
            case '\u01C5': return "D\u017E";
            case '\u01C6': return "d\u017E";
            case '\u01C7': return "LJ";
            case '\u01C8': return "Lj";
            case '\u01C9': return "lj";
            case '\u01CA': return "NJ";
            case '\u01CB': return "Nj";
            case '\u01CC': return "nj";
            case '\uFB00': return "ff";
            case '\uFB01': return "fi";
            case '\uFB02': return "fl";
            case '\uFB03': return "ffi";
            case '\uFB04': return "ffl";
            case '\uFB05': return "\u017Ft";
            case '\uFB06': return "st";
            default: return null;
        }
    }

    /** ftfy's WIDTH_MAP: U+3000 to ' ', and each of U+FF01..U+FFEF to its NFKC form where that differs. */
    private static final String[] WIDTH_MAP = buildWidthMap();

    private static String[] buildWidthMap() {
        String[] map = new String[0xFFF0 - 0xFF01];
        for (int cp = 0xFF01; cp < 0xFFF0; cp++) {
            String c = String.valueOf((char) cp);
            String nfkc = Normalizer.normalize(c, Normalizer.Form.NFKC);
            if (!nfkc.equals(c)) {
                map[cp - 0xFF01] = nfkc;
            }
        }
        return map;
    }

    /** ftfy's {@code fix_character_width}: full-width ASCII and half-width katakana/hangul to standard width. */
    static String fixCharacterWidth(String text) {
        StringBuilder sb = null;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            String replacement = null;
            if (c == '\u3000') {
                replacement = " ";
            } else if (c >= 0xFF01 && c < 0xFFF0) {
                replacement = WIDTH_MAP[c - 0xFF01];
            }
            if (replacement != null && sb == null) {
                sb = new StringBuilder(n).append(text, 0, i);
            }
            if (sb != null) {
                if (replacement != null) {
                    sb.append(replacement);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? text : sb.toString();
    }

    /** ftfy's {@code uncurl_quotes}: U+02BC and U+2018..U+201B to ', U+201C..U+201F to ". */
    static String uncurlQuotes(String text) {
        char[] chars = null;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            char replacement;
            if (c == '\u02BC' || (c >= '\u2018' && c <= '\u201B')) {
                replacement = '\'';
            } else if (c >= '\u201C' && c <= '\u201F') {
                replacement = '"';
            } else {
                continue;
            }
            if (chars == null) {
                chars = text.toCharArray();
            }
            chars[i] = replacement;
        }
        return chars == null ? text : new String(chars);
    }

    /** ftfy's {@code fix_line_breaks}: CRLF, CR, U+2028, U+2029 and U+0085 become '\n'. */
    static String fixLineBreaks(String text) {
        if (text.indexOf('\r') < 0 && text.indexOf('\u2028') < 0 && text.indexOf('\u2029') < 0
                && text.indexOf('\u0085') < 0) {
            return text;
        }
        return text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n')
                .replace('\u0085', '\n');
    }

    /**
     * ftfy's {@code fix_surrogates}. A Java string already holds a properly paired surrogate as one character, so
     * what is left to do is replacing unpaired surrogates by U+FFFD.
     */
    static String fixSurrogates(String text) {
        char[] chars = null;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                if (chars == null) {
                    chars = text.toCharArray();
                }
                chars[i] = '\uFFFD';
            }
        }
        return chars == null ? text : new String(chars);
    }

    /** ftfy's {@code remove_terminal_escapes}: ANSI sequences {@code ESC [ digits-and-semicolons letter}. */
    static String removeTerminalEscapes(String text) {
        if (text.indexOf('\u001b') < 0) {
            return text;
        }
        return ANSI_ESCAPE.matcher(text).replaceAll("");
    }

    /**
     * ftfy's {@code remove_control_chars}: removes U+0000..U+0008, U+000B, U+000E..U+001F, U+007F, U+206A..U+206F,
     * U+FEFF and U+FFF9..U+FFFC; keeps tab, line feed, form feed, carriage return and the C1 controls.
     */
    static String removeControlChars(String text) {
        int n = text.length();
        int i = 0;
        while (i < n && !isRemovedControl(text.charAt(i))) {
            i++;
        }
        if (i == n) {
            return text;
        }
        StringBuilder sb = new StringBuilder(n).append(text, 0, i);
        for (; i < n; i++) {
            char c = text.charAt(i);
            if (!isRemovedControl(c)) {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isRemovedControl(char c) {
        if (c < 0x20) {
            return c != '\t' && c != '\n' && c != '\f' && c != '\r';
        }
        return c == 0x7F || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
    }

    private static int indexOfRange(String text, int lo, int hi) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c >= lo && c <= hi) {
                return i;
            }
        }
        return -1;
    }
}
