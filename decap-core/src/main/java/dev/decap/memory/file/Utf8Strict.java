package dev.decap.memory.file;

import dev.decap.InvalidInputException;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** UTF-8 that refuses malformed input instead of replacing it, so text never changes silently on a round trip. */
final class Utf8Strict {
    private Utf8Strict() {
    }

    static String decode(byte[] bytes, int offset, int length) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, offset, length)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("malformed UTF-8 (" + e.getMessage() + ")");
        }
    }

    /** @throws InvalidInputException if {@code text} holds an unpaired surrogate */
    static byte[] encode(String text, String what) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(text));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new InvalidInputException(what + " is not valid Unicode (it holds an unpaired surrogate); "
                    + "fix the text");
        }
    }
}
