package dev.decap.internal;

/**
 * UTF-8 decoding with Python's exact semantics, which {@link java.nio.charset.CharsetDecoder} does not promise:
 * {@link #decodeReplacing} is {@code bytes.decode('utf-8', errors='replace')} (one U+FFFD per maximal invalid
 * subpart, as Unicode recommends), {@link #decodeStrict} is {@code bytes.decode('utf-8')} that reports failure.
 * Stateless and thread-safe.
 */
public final class Utf8 {

    private Utf8() {
    }

    /** Python's {@code bytes.decode('utf-8', errors='replace')}. */
    public static String decodeReplacing(byte[] bytes, int offset, int length) {
        StringBuilder sb = new StringBuilder(length);
        decode(bytes, offset, offset + length, sb, true);
        return sb.toString();
    }

    /** Python's strict {@code bytes.decode('utf-8')}; {@code null} where that raises UnicodeDecodeError. */
    public static String decodeStrict(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        return decode(bytes, 0, bytes.length, sb, false) ? sb.toString() : null;
    }

    private static boolean decode(byte[] b, int i, int end, StringBuilder out, boolean replace) {
        while (i < end) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F;
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F;
                }
            } else {
                if (!replace) {
                    return false;
                }
                out.append('\uFFFD');
                i++;
                continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                int lower = k == 0 ? lo : 0x80;
                int upper = k == 0 ? hi : 0xBF;
                if (j >= end || (b[j] & 0xFF) < lower || (b[j] & 0xFF) > upper) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (b[j] & 0x3F);
            }
            if (!ok) {
                if (!replace) {
                    return false;
                }
                // The maximal valid prefix [i, j) becomes one replacement; the offending byte is read again.
                out.append('\uFFFD');
                i = j;
                continue;
            }
            out.appendCodePoint(cp);
            i = j;
        }
        return true;
    }
}
