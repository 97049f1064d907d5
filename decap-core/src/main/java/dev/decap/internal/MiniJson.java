package dev.decap.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON parser (RFC 8259) for the few JSON files decap-core reads (vocabularies, manifests), so that
 * the core module needs no JSON library.
 *
 * <p>Values map to Java as: object to an unmodifiable {@code Map<String, Object>} keeping key order (a repeated key
 * keeps its last value), array to an unmodifiable {@code List<Object>}, string to {@code String}, number to
 * {@code Long} when it is written as an integer that fits, else {@code Double}, {@code true}/{@code false} to
 * {@code Boolean}, and {@code null} to {@link #NULL}. Stateless and thread-safe.
 */
public final class MiniJson {

    /** The JSON {@code null} value (maps and lists cannot hold Java {@code null} unambiguously). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    /** Thrown for text that is not valid JSON; the message gives the offset and what was expected. */
    public static final class SyntaxException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SyntaxException(String message) {
            super(message);
        }
    }

    private final String text;
    private int pos;

    private MiniJson(String text) {
        this.text = text;
    }

    /**
     * Parses one JSON value that makes up all of {@code text} (surrounding whitespace allowed).
     *
     * @throws SyntaxException if the text is not exactly one valid JSON value
     */
    public static Object parse(String text) {
        if (text == null) {
            throw new SyntaxException("invalid JSON: the text is null");
        }
        MiniJson parser = new MiniJson(text);
        parser.skipWhitespace();
        Object value = parser.readValue(0);
        parser.skipWhitespace();
        if (parser.pos != text.length()) {
            throw parser.error("end of input after the value");
        }
        return value;
    }

    /** Parses {@code text} and requires an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new SyntaxException("invalid JSON: expected an object at the top level, found " + kind(value));
        }
        return (Map<String, Object>) value;
    }

    /** A short name of a parsed value's JSON type, for error messages. */
    public static String kind(Object value) {
        if (value instanceof Map) {
            return "an object";
        } else if (value instanceof List) {
            return "an array";
        } else if (value instanceof String) {
            return "a string";
        } else if (value instanceof Number) {
            return "a number";
        } else if (value instanceof Boolean) {
            return "a boolean";
        }
        return "null";
    }

    private static final int MAX_DEPTH = 512;

    private Object readValue(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting no deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("a value");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject(depth);
            case '[':
                return readArray(depth);
            case '"':
                return readString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("a value");
        }
    }

    private Map<String, Object> readObject(int depth) {
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("a string key");
            }
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, readValue(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            } else if (c != ',') {
                pos--;
                throw error("',' or '}'");
            }
        }
    }

    private List<Object> readArray(int depth) {
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(readValue(depth + 1));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return Collections.unmodifiableList(list);
            } else if (c != ',') {
                pos--;
                throw error("',' or ']'");
            }
        }
    }

    private String readString() {
        pos++; // opening quote
        int start = pos;
        // Fast path: no escapes.
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                return text.substring(start, pos++);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                throw error("no raw control character (U+" + hex4(c) + ") inside a string");
            }
            pos++;
        }
        StringBuilder sb = new StringBuilder(text.length() - start);
        sb.append(text, start, pos);
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw error("no raw control character (U+" + hex4(c) + ") inside a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                break;
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"': sb.append('"'); break;
                case '\\': sb.append('\\'); break;
                case '/': sb.append('/'); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u': sb.append(readHex4()); break;
                default:
                    pos--;
                    throw error("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
        }
        throw error("a closing '\"'");
    }

    private char readHex4() {
        if (pos + 4 > text.length()) {
            throw error("four hex digits after \\u");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = hexDigit(text.charAt(pos + i));
            if (d < 0) {
                throw error("four hex digits after \\u");
            }
            v = (v << 4) | d;
        }
        pos += 4;
        return (char) v;
    }

    private Number readNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("a digit after '.'");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("a digit in the exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String number = text.substring(start, pos);
        if (integral && number.length() <= 18) {
            return Long.parseLong(number);
        }
        if (integral) {
            try {
                return Long.parseLong(number);
            } catch (NumberFormatException tooLarge) {
                return Double.parseDouble(number);
            }
        }
        return Double.parseDouble(number);
    }

    private void expectWord(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("'" + word + "'");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("'" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private SyntaxException error(String expected) {
        String found = pos >= text.length() ? "end of input" : "'" + text.charAt(pos) + "'";
        return new SyntaxException("invalid JSON at offset " + pos + " (line " + line() + "): expected " + expected
                + ", found " + found);
    }

    private int line() {
        int line = 1;
        for (int i = 0; i < Math.min(pos, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }
}
