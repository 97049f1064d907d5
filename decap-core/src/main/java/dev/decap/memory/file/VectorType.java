package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import dev.decap.InvalidInputException;

import java.util.Locale;

/** How a memory bank file stores embedding components. */
public enum VectorType {
    /** IEEE 754 binary32, 4 bytes per component: exact. */
    FP32(1, 4),
    /**
     * IEEE 754 binary16, 2 bytes per component: half the size and memory bandwidth; each component is rounded to
     * nearest (relative error at most 2^-11), which moves similarities by about 1e-4 and projections by well under
     * 1e-3 in cosine.
     */
    FP16(2, 2);

    private final int code;
    private final int bytes;

    VectorType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** The code stored in the file header. */
    public int code() {
        return code;
    }

    /** Bytes per component. */
    public int bytesPerComponent() {
        return bytes;
    }

    /** The lower-case name used in the CLI and in {@code memory info}: {@code fp32}, {@code fp16}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type with this header code, or null. */
    static VectorType fromCode(int code) {
        for (VectorType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /**
     * Parses {@code fp32} or {@code fp16} (any case).
     *
     * @throws InvalidInputException for anything else
     */
    public static VectorType parse(String id) {
        Arguments.requireNonNull(id, "id");
        for (VectorType t : values()) {
            if (t.id().equalsIgnoreCase(id)) {
                return t;
            }
        }
        throw new InvalidInputException("unknown vector type \"" + id + "\"; use fp32 or fp16");
    }
}
