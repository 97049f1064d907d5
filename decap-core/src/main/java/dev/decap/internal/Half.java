package dev.decap.internal;

/**
 * IEEE 754 binary16 ("half", fp16) conversions for Java 17, which lacks {@code Float.float16ToFloat} (Java 20+).
 * Not public API. Stateless and thread-safe.
 *
 * <p>Half to float is exact for every one of the 65536 bit patterns (every half is a float); NaN payloads are
 * kept in the high mantissa bits as the hardware conversions do. Float to half rounds to nearest, ties to even,
 * overflows to infinity, and keeps NaN a (quiet) NaN.
 */
public final class Half {
    private Half() {
    }

    /** {@code 2^112}: moves a half's exponent bias (15) to a float's (127). */
    private static final float REBIAS = 0x1p112f;

    /**
     * Every half's float value (256 KiB). A lookup is faster than the arithmetic on JDK 17, whose compiler does not
     * vectorise the bit manipulation; the entries for a bank's typical components (a few exponents) stay in L1.
     */
    private static final float[] TABLE = new float[1 << 16];

    static {
        for (int h = 0; h < TABLE.length; h++) {
            TABLE[h] = toFloat((short) h);
        }
    }

    /** The float value of the half with bits {@code h} (the low 16 bits are used). */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int magnitude = bits & 0x7fff;
        // Shifted into float position the bits read as value * 2^-112 (normals and subnormals alike, since a
        // half subnormal becomes a float subnormal); the multiplication by 2^112 is exact.
        float f = Float.intBitsToFloat(magnitude << 13) * REBIAS;
        if (magnitude >= 0x7c00) {
            f = Float.intBitsToFloat(0x7f800000 | ((magnitude & 0x3ff) << 13));
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) | ((bits & 0x8000) << 16));
    }

    /** Converts {@code n} halves from {@code src[srcOffset]} to floats at {@code dst[dstOffset]}, exactly. */
    public static void toFloats(short[] src, int srcOffset, float[] dst, int dstOffset, int n) {
        float[] table = TABLE;
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = table[src[srcOffset + i] & 0xffff];
        }
    }

    /** The nearest half to {@code f} (ties to even), as its 16 bits. */
    public static short fromFloat(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int abs = x & 0x7fffffff;
        if (abs >= 0x7f800000) {
            // infinity, or NaN made quiet with the top of its payload
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
        }
        if (abs >= 0x477ff000) {
            // >= 65520 = largest half + half an ulp: rounds to infinity
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {
            // below the smallest normal half, 2^-14: a subnormal half m * 2^-24 with m = round(|f| * 2^24)
            if (abs < 0x33000000) {
                // below 2^-25, half the smallest subnormal: rounds to zero (exactly 2^-25 ties to even = 0)
                return (short) sign;
            }
            int exp = abs >>> 23;
            int mantissa = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp; // |f| * 2^24 = mantissa * 2^(exp - 150 + 24); shift = 126 - exp, from 14 to 24
            int m = mantissa >>> shift;
            int rest = mantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (m & 1) == 1)) {
                m++;
            }
            return (short) (sign | m);
        }
        // normal: rebias the exponent, round the 13 dropped mantissa bits to nearest even; a carry out of the
        // mantissa correctly increments the exponent (up to infinity, excluded above)
        int h = ((abs - 0x38000000) >>> 13);
        int rest = abs & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
            h++;
        }
        return (short) (sign | h);
    }
}
