package dev.decap.internal.kernels;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Random;

/**
 * The vector (SIMD) versions of the hot loops of projection decoding, written with the JDK's incubating Vector API
 * ({@code jdk.incubator.vector}). They compute the same bits as the scalar kernels ({@link DotKernels}'s canonical
 * eight-lane order, {@link RowMixer}'s sums, {@link RowBlock}'s exact conversions), only faster. Not public API.
 *
 * <p>The Vector API is an incubator module in Java 17 to 25: it is used only when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (and not with {@code -Ddecap.vector=false}). Its implementation class
 * is loaded reflectively, so without the module nothing refers to it; at first use it is checked bit for bit
 * against the scalar kernels on random data, and any failure (an API the running JDK lacks, different results)
 * falls back to the scalar kernels with a warning. On a CPU whose vectors are narrower than 256 bits (where the
 * API would emulate them) the scalar kernels are used without one.
 */
public interface VectorKernels {
    /** System property that turns the vector kernels off ({@code -Ddecap.vector=false}). */
    String PROPERTY = "decap.vector";

    /** Whether the vector kernels are in use in this JVM. */
    static boolean enabled() {
        return Holder.INSTANCE != null;
    }

    /**
     * Why the vector kernels are or are not in use, for diagnostics ({@code decap bench} prints it): for
     * example {@code "jdk.incubator.vector (256-bit)"} or {@code "scalar (start the JVM with --add-modules
     * jdk.incubator.vector for the vector kernels)"}.
     */
    static String description() {
        return Holder.DESCRIPTION;
    }

    /** The vector kernels, or null when they are not in use. */
    static VectorKernels instance() {
        return Holder.INSTANCE;
    }

    /** {@link DotKernels#dots}. */
    void dots(float[] q, int qOffset, float[] data, int offset, int rows, int d, float[] out, int outOffset);

    /** {@link DotKernels#dotsBatch}. */
    void dotsBatch(float[] queries, int count, float[] data, int offset, int rows, int d, float[] out,
                   int outStride);

    /**
     * {@code a[i] += w0 * data[o0 + i] + w1 * data[o1 + i] + w2 * data[o2 + i] + w3 * data[o3 + i]} for
     * {@code i < d}, evaluated left to right as Java evaluates it.
     */
    void mix4(float[] a, float[] data, int o0, int o1, int o2, int o3, float w0, float w1, float w2, float w3,
              int d);

    /** {@code a[i] += w * data[o + i]} for {@code i < d}. */
    void mix1(float[] a, float[] data, int o, float w, int d);

    /**
     * The fp16 pair conversion of {@link RowBlock#readHalfPairs} for one chunk: row {@code r}'s {@code h} ints at
     * {@code halves[r * h]} become its even components at {@code out[o + r * 2h]} and its odd ones at
     * {@code out[o + r * 2h + h]}, as floats {@code 2^-112} times the halves' values.
     *
     * @return false, with {@code out} in an unspecified state, when a half has a magnitude of 2 or more (which the
     *         bit conversion does not cover); the caller then converts the chunk exactly
     */
    boolean halfPairs(int[] halves, int rows, int h, float[] out, int o);

    /**
     * The int8 quad conversion of {@link RowBlock#readInt8Quads} for one chunk: row {@code r}'s {@code q} ints at
     * {@code codes[r * q]} (four codes each, little-endian) become the codes as floats, byte {@code k} of int
     * {@code j} at {@code out[o + r * 4q + k * q + j]}.
     */
    void int8Quads(int[] codes, int rows, int q, float[] out, int o);

    /** Loads and checks the implementation once. */
    final class Holder {
        private static final Logger LOG = LoggerFactory.getLogger(VectorKernels.class);
        private static final String IMPLEMENTATION = "dev.decap.internal.kernels.PanamaKernels";
        static final VectorKernels INSTANCE;
        static final String DESCRIPTION;

        static {
            VectorKernels found = null;
            String why;
            if ("false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())) {
                why = "scalar (-D" + PROPERTY + "=false)";
            } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                why = "scalar (start the JVM with --add-modules jdk.incubator.vector for the vector kernels)";
            } else {
                try {
                    VectorKernels candidate = (VectorKernels) Class.forName(IMPLEMENTATION)
                            .getDeclaredConstructor().newInstance();
                    String mismatch = selfCheck(candidate);
                    if (mismatch == null) {
                        found = candidate;
                        why = "jdk.incubator.vector (256-bit)";
                    } else {
                        why = "scalar (the vector kernels disagreed with the scalar ones: " + mismatch + ")";
                        LOG.warn("decap: not using the vector kernels: {}", mismatch);
                    }
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ? e.getCause() : e;
                    if (cause instanceof UnsupportedOperationException) {
                        why = "scalar (" + cause.getMessage() + ")";    // narrow vectors: not a failure
                    } else {
                        why = "scalar (the vector kernels failed to load on this JDK: " + cause + ")";
                        LOG.warn("decap: not using the vector kernels, they failed to load on this JDK", cause);
                    }
                }
            }
            INSTANCE = found;
            DESCRIPTION = why;
            LOG.debug("decap kernels: {}", why);
        }

        private Holder() {
        }

        /** Null when the candidate gives the scalar kernels' bits on random data; else what differed. */
        static String selfCheck(VectorKernels v) {
            Random random = new Random(20261201L);
            for (int d : new int[] {3, 8, 37, 64}) {
                int rows = 7;
                int count = 5;
                float[] data = gaussian(random, (rows + 1) * d);
                float[] queries = gaussian(random, count * d);
                float[] expected = new float[count * rows];
                float[] actual = new float[count * rows];
                DotKernels.scalarDotsBatch(queries, count, data, d, rows, d, expected, rows);
                v.dotsBatch(queries, count, data, d, rows, d, actual, rows);
                for (int q = 0; q < count; q++) {
                    v.dots(queries, q * d, data, d, rows, d, actual, q * rows);
                }
                for (int i = 0; i < expected.length; i++) {
                    if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                        return "dot product " + i + " at dimension " + d + ": expected " + expected[i] + ", found "
                                + actual[i];
                    }
                }
            }
            return null;
        }

        private static float[] gaussian(Random random, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) random.nextGaussian();
            }
            return v;
        }
    }
}
