package dev.decap.internal;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Expected values below were produced by CPython 3.11 (html.unescape, bytes.decode, str.lower, str.isspace). */
class PythonCompatibilityTest {

    @Test
    void html_unescape_follows_python_rules() {
        String[][] cases = {
            {"&amp", "&"}, {"&copy2020", "\u00a92020"}, {"&notit;", "\u00acit;"}, {"&#x41;", "A"},
            {"&#128;", "\u20ac"}, {"&#0;", "\ufffd"}, {"&#xD800;", "\ufffd"}, {"&#1;", ""},
            {"&#99999999999;", "\ufffd"}, {"&ampamp;", "&amp;"}, {"&AMP", "&"}, {"&lt;&gt", "<>"}, {"&#65", "A"},
            {"&#x;", "&#x;"}, {"&;", "&;"}, {"&Eacute", "\u00c9"}, {"&eacute;x", "\u00e9x"}, {"&#X41;", "A"},
            {"&aacute", "\u00e1"}, {"&acE;", "\u223e\u0333"}, {"no entity", "no entity"}, {"a & b", "a & b"},
            {"&#x1F600;", "\ud83d\ude00"}, {"&#xFFFF;", ""}, {"&#13;", "\r"}, {"&EACUTE;", "&EACUTE;"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], HtmlUnescaper.unescapePython(c[0]), "html.unescape(" + c[0] + ")");
        }
    }

    @Test
    void ftfy_unescape_needs_a_semicolon_and_knows_upper_case_aliases() {
        assertEquals("&amp", HtmlUnescaper.unescapeFtfy("&amp"));
        assertEquals("&amp;", HtmlUnescaper.unescapeFtfy("&amp;amp;"));
        assertEquals("P\u00c9REZ", HtmlUnescaper.unescapeFtfy("P&EACUTE;REZ"));
        assertEquals("BUNDESSTRASSE", HtmlUnescaper.unescapeFtfy("BUNDESSTRA&SZLIG;E"));
        assertEquals("\u00f1 \u00d1 \u00d1 &nTILDE;", HtmlUnescaper.unescapeFtfy("&ntilde; &Ntilde; &NTILDE; &nTILDE;"));
        assertEquals("'", HtmlUnescaper.unescapeFtfy("&#x27;"));
        assertEquals("\u2019", HtmlUnescaper.unescapeFtfy("&#146;"));
        assertEquals("&#xZZ;", HtmlUnescaper.unescapeFtfy("&#xZZ;"));
        assertEquals("this&not that", HtmlUnescaper.unescapeFtfy("this&not that"));
    }

    @Test
    void utf8_replacement_matches_python_errors_replace() {
        assertDecodes("\ufffd", 0xE0, 0xA0);
        assertDecodes("\ufffd\ufffd\ufffd", 0xED, 0xA0, 0x80);
        assertDecodes("\ufffdA", 0xF0, 0x90, 0x80, 'A');
        assertDecodes("\ufffd", 0xC3);
        assertDecodes("\ufffd\ufffd", 0x80, 0x80);
        assertDecodes("\ufffd\ufffd", 0xC0, 0xAF);
        assertDecodes("\ufffd\ufffd\ufffd\ufffd", 0xF4, 0x90, 0x80, 0x80);
        assertDecodes("a\u20acb\ufffd", 'a', 0xE2, 0x82, 0xAC, 'b', 0xFF);
        assertDecodes("\ud83d\ude00", 0xF0, 0x9F, 0x98, 0x80);
        assertNull(Utf8.decodeStrict(new byte[] {(byte) 0xC3}));
        assertEquals("\u00e9", Utf8.decodeStrict(new byte[] {(byte) 0xC3, (byte) 0xA9}));
    }

    private static void assertDecodes(String expected, int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            b[i] = (byte) bytes[i];
        }
        assertEquals(expected, Utf8.decodeReplacing(b, 0, b.length));
    }

    @Test
    void isspace_is_pythons_set() {
        int[] spaces = {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F,
            0x205F, 0x3000};
        int count = 0;
        for (int cp = 0; cp < 0x110000; cp++) {
            if (PythonText.isSpace(cp)) {
                count++;
            }
        }
        assertEquals(spaces.length, count);
        for (int cp : spaces) {
            assertTrue(PythonText.isSpace(cp), Integer.toHexString(cp));
        }
        assertFalse(PythonText.isSpace(0x200B));
        assertFalse(PythonText.isSpace(0xFEFF));
    }

    @Test
    void whitespace_collapses_and_strips_like_re_sub_then_strip() {
        assertEquals("a b c", PythonText.collapseWhitespace("  a \t\n b\u00a0\u2003c\u3000 "));
        assertEquals("a\u200bb", PythonText.collapseWhitespace("a\u200bb"));
        assertEquals("", PythonText.collapseWhitespace(" \n "));
        assertEquals("a b", PythonText.collapseWhitespace("a b"));
        assertEquals("a b", PythonText.collapseWhitespace("a\u001cb"));
    }

    @Test
    void lower_is_locale_independent_and_handles_special_casing() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertEquals("i\u0307stanbul", PythonText.lower("\u0130stanbul"));
            assertEquals("title", PythonText.lower("TITLE"));
            assertEquals("\u03c3\u03b1\u03c2 \u03c3\u03b1\u03c2.", PythonText.lower("\u03a3\u0391\u03a3 \u03a3\u0391\u03a3."));
            assertEquals("a\u03c2", PythonText.lower("A\u03a3"));
            assertEquals("\u03c3", PythonText.lower("\u03a3"));
            // CPython's Final_Sigma context (case-ignorable characters skipped), unlike Java's word-boundary rule.
            String[][] sigma = {
                {"ltA\u03a31", "lta\u03c21"}, {"\u0391\u03a31", "\u03b1\u03c21"}, {"A\u03a3'B", "a\u03c3'b"},
                {"A\u03a3.", "a\u03c2."}, {"A.\u03a3", "a.\u03c2"}, {"1\u03a3", "1\u03c3"},
                {"A\u03a3\u0301", "a\u03c2\u0301"}, {"A\u03a3\u0301b", "a\u03c3\u0301b"},
                {"\u02b0\u03a3", "\u02b0\u03c3"}, {"a\u03a3\u02b0", "a\u03c2\u02b0"},
                {"A\u03a3\u03a3", "a\u03c3\u03c2"}, {"A\u03a3\u03a3b", "a\u03c3\u03c3b"},
            };
            for (String[] c : sigma) {
                assertEquals(c[1], PythonText.lower(c[0]), c[0]);
            }
        } finally {
            Locale.setDefault(saved);
        }
    }
}
