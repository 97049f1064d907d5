package dev.decap.internal;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MiniJsonTest {

    @Test
    void parses_every_json_type() {
        Map<String, Object> map = MiniJson.parseObject(
                " {\"a\": 1, \"b\": -2.5e1, \"c\": [true, false, null], \"d\": {\"e\": \"x\\ny\\u00e9\\ud83d\\ude00\\\\\\\"/\"},"
                + " \"big\": 12345678901234567890, \"zero\": 0} ");
        assertEquals(1L, map.get("a"));
        assertEquals(-25.0, map.get("b"));
        assertEquals(List.of(true, false, MiniJson.NULL), map.get("c"));
        assertEquals("x\ny\u00e9\ud83d\ude00\\\"/", ((Map<?, ?>) map.get("d")).get("e"));
        assertEquals(1.2345678901234567E19, map.get("big"));
        assertEquals(0L, map.get("zero"));
        assertEquals(List.of("a", "b", "c", "d", "big", "zero"), List.copyOf(map.keySet()));
    }

    @Test
    void keeps_raw_non_ascii_text() {
        assertEquals(Map.of("\u0120a</w>", 5L, "\u00e9", 6L), MiniJson.parse("{\"\u0120a</w>\": 5, \"\u00e9\": 6}"));
        assertSame(MiniJson.NULL, MiniJson.parse("null"));
    }

    @Test
    void invalid_json_is_refused_with_the_offset() {
        String[] invalid = {"", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "01", "1.", "\"abc", "\"a\tb\"", "tru",
            "{\"a\": 1} x", "\"\\x\"", "\"\\u12G4\"", "-", "{a: 1}"};
        for (String text : invalid) {
            MiniJson.SyntaxException e = assertThrows(MiniJson.SyntaxException.class, () -> MiniJson.parse(text),
                    text);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset"), e.getMessage());
        }
        assertThrows(MiniJson.SyntaxException.class, () -> MiniJson.parseObject("[1]"));
    }
}
