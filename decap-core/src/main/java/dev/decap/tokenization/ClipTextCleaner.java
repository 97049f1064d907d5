package dev.decap.tokenization;

import dev.decap.InvalidInputException;
import dev.decap.internal.HtmlUnescaper;
import dev.decap.internal.PythonText;
import dev.decap.internal.TextFixer;

/**
 * CLIP's text cleaning, as OpenAI's {@code simple_tokenizer} does it before tokenising:
 * {@code whitespace_clean(basic_clean(text)).lower()}, that is
 * <ol>
 *   <li>{@code ftfy.fix_text(text)} (ftfy 6.3.1 defaults): HTML entities unescaped (ftfy's strict rules, off once a
 *       line contains '&lt;'), C1 controls read as Windows-1252, Latin ligatures split, full-width forms folded,
 *       curly quotes straightened, line breaks normalised, unpaired surrogates replaced, terminal escapes and
 *       control characters removed, NFC normalisation. Mojibake is repaired only where the whole line is UTF-8 read
 *       as Latin-1 or Windows-1252 (ftfy repairs more; see {@link TextFixer});</li>
 *   <li>{@code html.unescape} twice (Python's rules: numeric references, all HTML5 names, legacy names without
 *       ';');</li>
 *   <li>every run of whitespace (Python's {@code \s}) replaced by one space, both ends stripped;</li>
 *   <li>lower-cased as Python's {@code str.lower()} does, independent of the default locale (including CPython's
 *       final-sigma rule).</li>
 * </ol>
 * Stateless and thread-safe.
 */
public final class ClipTextCleaner {

    private ClipTextCleaner() {
    }

    /**
     * The cleaned, lower-cased text that CLIP tokenises.
     *
     * @throws InvalidInputException if {@code text} is null
     */
    public static String clean(String text) {
        if (text == null) {
            throw new InvalidInputException("text to tokenize is null; pass a string (it may be empty)");
        }
        String fixed = TextFixer.fixText(text);
        String unescaped = HtmlUnescaper.unescapePython(HtmlUnescaper.unescapePython(fixed));
        String collapsed = PythonText.collapseWhitespace(unescaped);
        return PythonText.lower(collapsed);
    }
}
