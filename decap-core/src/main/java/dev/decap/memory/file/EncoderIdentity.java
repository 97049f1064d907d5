package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;

import java.util.regex.Pattern;

/**
 * Which text encoder produced a memory bank's embeddings: the bundle's name and the SHA-256 of its text model file
 * (as listed in the bundle manifest). Two encoders with the same model file give the same embedding space; any
 * other pair must not share a bank. Immutable.
 *
 * @param name            the bundle name, e.g. {@code tiny-random}; non-empty, at most 1024 UTF-8 bytes
 * @param textModelSha256 64 lower-case hex digits
 */
public record EncoderIdentity(String name, String textModelSha256) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * @throws InvalidInputException if the name is empty or too long, or the hash is not 64 lower-case hex digits
     */
    public EncoderIdentity {
        Arguments.requireNonNull(name, "name");
        Arguments.requireNonNull(textModelSha256, "textModelSha256");
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 1024) {
            throw new InvalidInputException("encoder name must be 1 to 1024 UTF-8 bytes, found \"" + name + "\"");
        }
        if (!SHA256.matcher(textModelSha256).matches()) {
            throw new InvalidInputException("text model SHA-256 must be 64 lower-case hex digits, found \""
                    + textModelSha256 + "\"");
        }
    }

    /** Same model file (the hash decides; the name is informative). */
    public boolean sameModel(EncoderIdentity other) {
        Arguments.requireNonNull(other, "other");
        return other != null && textModelSha256.equals(other.textModelSha256);
    }

    /** {@code name (sha256 abcdef012345…)}, for messages. */
    public String describe() {
        return name + " (text model sha256 " + textModelSha256.substring(0, 12) + "…)";
    }
}
