package dev.decap.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** ftfy 6.3.1 fix_text behaviour (expected values follow ftfy's documented examples and source). */
class TextFixerTest {

    @Test
    void plain_ascii_is_returned_untouched() {
        String text = "A man riding a horse.\n\tSecond line";
        assertSame(text, TextFixer.fixText(text));
    }

    @Test
    void each_default_fixer_applies() {
        assertEquals("He said \"hello\" and 'bye'", TextFixer.fixText("He said \u201chello\u201d and \u2018bye\u2019"));
        assertEquals("fine flower ff fluffiest", TextFixer.fixText("\ufb01ne \ufb02ower \ufb00 \ufb02u\ufb03e\ufb06"));
        assertEquals("LOUD NOISES 123", TextFixer.fixText("\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33 \uff11\uff12\uff13"));
        assertEquals("bell and terminal escapes", TextFixer.fixText("bell\u0007 and \u001b[31mterminal\u001b[0m escapes"));
        assertEquals("a\nb\nc\nd\ne", TextFixer.fixText("a\r\nb\rc\u2028d\u2029e"));
        assertEquals("caf\u00e9", TextFixer.fixText("cafe\u0301"));
        assertEquals("a\ufffdb", TextFixer.fixText("a\ud800b"));
        assertEquals("\u2026 \u20ac \u0081", TextFixer.fixText("\u0085 \u0080 \u0081"));
        assertEquals("ab", TextFixer.fixText("a\ufeffb"));
        assertEquals("'n", TextFixer.fixText("\u0149"));
    }

    @Test
    void html_entities_are_unescaped_until_stable_unless_the_line_has_a_tag() {
        assertEquals("&", TextFixer.fixText("&amp;amp;amp;"));
        assertEquals("&amp;amp;amp; <b>", TextFixer.fixText("&amp;amp;amp; <b>"));
        assertEquals("P\u00c9REZ", TextFixer.fixText("P&EACUTE;REZ"));
        // Once a line holds '<', unescaping stays off for the following lines too.
        assertEquals("<\n&amp;", TextFixer.fixText("<\n&amp;"));
        assertEquals("&\n<", TextFixer.fixText("&amp;\n<"));
        assertEquals("Broken text\u2026 it's flubberific!", TextFixer.fixText("Broken text&hellip; it&#x2019;s \ufb02ubberi\ufb01c!"));
    }

    @Test
    void whole_line_mojibake_is_repaired_and_real_accents_are_kept() {
        assertEquals("caf\u00e9 au lait", TextFixer.fixText("caf\u00c3\u00a9 au lait"));
        assertEquals("\"quoted\" text", TextFixer.fixText("\u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d text"));
        assertEquals("caf\u00e9", TextFixer.fixText("caf\u00c3\u0192\u00c2\u00a9"));
        assertEquals("\u00fanico", TextFixer.fixText("\u00c3\u00banico"));
        assertEquals("na\u00efve caf\u00e9 \u00fcber stra\u00dfe", TextFixer.fixText("na\u00efve caf\u00e9 \u00fcber stra\u00dfe"));
        assertEquals("This text is fine already :\u00fe", TextFixer.fixText("This text is fine already :\u00fe"));
    }
}
