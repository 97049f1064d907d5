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
    FP16(2, 2),
    /**
     * Signed 8-bit integers with one float scale per row (format version 2), a quarter of fp32's size and memory
     * bandwidth: each unit row is stored as {@code q_i = round(127 x_i / max|x|)} and the scale
     * {@code 1 / |q|}, so that the stored row {@code q · scale} is again a unit vector. Symmetric per-row
     * quantisation: the error of a component is at most half a step ({@code max|x| / 254}); at dimension 512
     * similarities move by about 1e-3 and dense projections by about 1e-5 in cosine (measured in
     * {@code docs/memory-bank-format.md}).
     */
    INT8(3, 1);

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

    /** Bytes per component (int8 rows add a 4-byte scale each; see {@link #rowBytes}). */
    public int bytesPerComponent() {
        return bytes;
    }

    /** Bytes one stored row of {@code dimension} components takes, including any per-row scale. */
    public long rowBytes(int dimension) {
        return (long) dimension * bytes + (this == INT8 ? 4 : 0);
    }

    /** The lower-case name used in the CLI and in {@code memory info}: {@code fp32}, {@code fp16}, {@code int8}. */
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
     * Parses {@code fp32}, {@code fp16} or {@code int8} (any case).
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
        throw new InvalidInputException("unknown vector type \"" + id + "\"; use fp32, fp16 or int8");
    }
}
