package dev.decap.internal.kernels;

import dev.decap.internal.Half;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * A block of memory rows decoded into float arrays that stay in cache while {@link ProjectionKernel} scores and
 * mixes them, with the scratch that decoding needs. Not public API; one instance per thread.
 *
 * <p>Row {@code r} starts at {@code data()[offset() + r * dimension]}: either the bank's own storage
 * ({@link #wrap}, no copy) or this block's buffer, filled by a decoder. The decoded value {@code x'} of a
 * component relates to the stored row's value {@code v} by {@code v = alpha · scale[r] · x'}, and the components
 * may be permuted ({@link RowLayout}): decoders choose whatever form their storage converts to fastest.
 *
 * <p>The decoders are written as loops C2 can vectorise: int shifts and masks over int arrays, and bulk copies.
 * Java 17 cannot reinterpret int bits as floats in vectorised code ({@code Float.intBitsToFloat} in a loop stays
 * scalar), so the bits go through a direct buffer's int view and come back through its float view (two memory
 * copies of data in cache). Measured inside projection decoding (docs/performance.md), the fp16 conversion costs
 * about what the lookup table of {@code Half.toFloats} costs, and the int8 one about 15 % less than converting byte
 * by byte. With the vector kernels ({@link VectorKernels}) the same bit operations run on vectors and are
 * reinterpreted as floats in registers.
 */
public final class RowBlock {
    /** {@code 2^112}: a half's magnitude bits shifted into float position read as {@code value · 2^-112}. */
    public static final float HALF_ALPHA = 0x1p112f;
    /** Rows converted at a time: the int scratch and the direct buffer then stay small (64 KiB at d = 512). */
    public static final int CHUNK_ROWS = 64;
    /** {@code 2^23 + 128}: an int8 code {@code b} stored as the float {@code 2^23 + (b + 128)}. */
    private static final float INT8_BIAS = 8388736f;

    private static final VectorKernels VECTOR = VectorKernels.instance();

    private final int dimension;
    private final int capacity;
    /** This block's buffer of {@code capacity} rows. */
    private final float[] buffer;
    /** Per-row scale, valid when {@link #scaled}. */
    final float[] scale;
    private boolean scaled;
    private float[] data;
    private int offset;
    private RowLayout layout = RowLayout.IDENTITY;
    private float alpha = 1f;
    private int first;
    private int count;
    private int[] raw;
    private int[] work;
    private short[] halves;
    private IntBuffer bitsIn;
    private FloatBuffer bitsOut;

    /** A block of at most {@code capacity} rows of {@code dimension} components. */
    public RowBlock(int dimension, int capacity) {
        this.dimension = dimension;
        this.capacity = capacity;
        this.buffer = new float[capacity * dimension];
        this.scale = new float[capacity];
    }

    public int dimension() {
        return dimension;
    }

    public int capacity() {
        return capacity;
    }

    /** Rows decoded. */
    public int count() {
        return count;
    }

    /** Memory index of the first row. */
    public int first() {
        return first;
    }

    /** The array holding the rows. */
    public float[] data() {
        return data;
    }

    /** Where row 0 starts in {@link #data()}. */
    public int offset() {
        return offset;
    }

    /** Whether rows carry a scale other than 1 ({@link #scale(int)}). */
    public boolean scaled() {
        return scaled;
    }

    /** The scale of row {@code r} (1 unless {@link #scaled()}). */
    public float scale(int r) {
        return scaled ? scale[r] : 1f;
    }

    public RowLayout layout() {
        return layout;
    }

    /** The factor of every decoded component ({@code 2^112} for fp16 bit patterns, else 1). */
    public float alpha() {
        return alpha;
    }

    private void start(int first, int count, RowLayout layout, float alpha, boolean scaled) {
        if (count > capacity || count < 0) {
            throw new IllegalArgumentException("block of " + count + " rows, capacity " + capacity);
        }
        this.first = first;
        this.count = count;
        this.layout = layout;
        this.alpha = alpha;
        this.scaled = scaled;
        this.data = buffer;
        this.offset = 0;
    }

    /** Sets the memory index of the first row (a sharded bank's global index for the rows a shard decoded). */
    public void renumber(int first) {
        this.first = first;
    }

    /** Uses {@code count} float rows at {@code data[offset]} (row-major, in index order) as they are, no copy. */
    public void wrap(int first, int count, float[] data, int offset) {
        if (count < 0 || count > capacity) {
            throw new IllegalArgumentException("block of " + count + " rows, capacity " + capacity);
        }
        this.first = first;
        this.count = count;
        this.layout = RowLayout.IDENTITY;
        this.alpha = 1f;
        this.scaled = false;
        this.data = data;
        this.offset = offset;
    }

    /** Reads {@code count} fp32 rows from {@code src} starting at float index {@code at}. */
    public void readFloats(int first, int count, FloatBuffer src, int at) {
        start(first, count, RowLayout.IDENTITY, 1f, false);
        src.get(at, buffer, 0, count * dimension);
    }

    /**
     * Reads {@code count} fp16 rows from {@code src}, the stored halves as little-endian ints (two components
     * each), starting at int index {@code at}; the dimension must be even. Rows come out in
     * {@link RowLayout#PAIRS} order with {@code alpha = 2^112}, converted {@value #CHUNK_ROWS} rows at a time so
     * that the conversion's scratch stays in cache beside the block. A chunk holding a half of magnitude 2 or more
     * (impossible in a unit vector: the bank is broken, or the value is infinite or NaN) is converted through the
     * exact scalar path instead, so that the caller's similarity checks see the true values.
     */
    public void readHalfPairs(int first, int count, IntBuffer src, int at) {
        start(first, count, RowLayout.PAIRS, HALF_ALPHA, false);
        int h = dimension / 2;
        for (int c = 0; c < count; c += CHUNK_ROWS) {
            halfPairs(c, Math.min(CHUNK_ROWS, count - c), src, at + c * h);
        }
    }

    private void halfPairs(int row0, int rows, IntBuffer src, int at) {
        int d = dimension;
        int h = d / 2;
        int n = rows * h;
        int[] a = raw(n);
        src.get(at, a, 0, n);
        float[] out = buffer;
        // The vector conversion checks the magnitudes as it goes; a chunk it refuses is converted exactly below.
        if (VECTOR != null && VECTOR.halfPairs(a, rows, h, out, row0 * d)) {
            return;
        }
        int bad = 0;
        for (int j = 0; j < n; j++) {
            bad |= a[j];
        }
        if ((bad & 0x40004000) != 0) {
            for (int r = 0; r < rows; r++) {
                int o = (row0 + r) * d;
                for (int j = 0; j < h; j++) {
                    int x = a[r * h + j];
                    // exact, and exact again after the power-of-two scaling (|half| <= 65504, subnormals kept)
                    out[o + j] = Half.toFloat((short) x) / HALF_ALPHA;
                    out[o + h + j] = Half.toFloat((short) (x >>> 16)) / HALF_ALPHA;
                }
            }
            return;
        }
        ensureScalarScratch(n, 2);
        int[] lo = work;
        System.arraycopy(a, 0, lo, 0, n);
        for (int j = 0; j < n; j++) {
            int x = lo[j];
            lo[j] = ((x << 13) & 0x0fffe000) | ((x << 16) & 0x80000000);
        }
        for (int j = 0; j < n; j++) {
            int x = a[j];
            a[j] = ((x >>> 3) & 0x0fffe000) | (x & 0x80000000);
        }
        bitsIn.put(0, lo, 0, n);
        bitsIn.put(n, a, 0, n);
        for (int r = 0; r < rows; r++) {
            int o = (row0 + r) * d;
            bitsOut.get(r * h, out, o, h);
            bitsOut.get(n + r * h, out, o + h, h);
        }
    }

    /** Reads {@code count} fp16 rows from {@code src} at short index {@code at}, exactly, in index order. */
    public void readHalves(int first, int count, ShortBuffer src, int at) {
        start(first, count, RowLayout.IDENTITY, 1f, false);
        int n = count * dimension;
        if (halves == null || halves.length < n) {
            halves = new short[n];
        }
        src.get(at, halves, 0, n);
        Half.toFloats(halves, 0, buffer, 0, n);
    }

    /**
     * Reads {@code count} int8 rows from {@code src}, the codes as little-endian ints (four components each),
     * starting at int index {@code at}, and their scales from {@code scales} at index {@code scaleAt}; the
     * dimension must be a multiple of 4. Rows come out in {@link RowLayout#QUADS} order, as the exact codes,
     * converted {@value #CHUNK_ROWS} rows at a time.
     */
    public void readInt8Quads(int first, int count, IntBuffer src, int at, FloatBuffer scales, int scaleAt) {
        start(first, count, RowLayout.QUADS, 1f, true);
        scales.get(scaleAt, scale, 0, count);
        int q = dimension / 4;
        for (int c = 0; c < count; c += CHUNK_ROWS) {
            int8Quads(c, Math.min(CHUNK_ROWS, count - c), src, at + c * q);
        }
    }

    private void int8Quads(int row0, int rows, IntBuffer src, int at) {
        int q = dimension / 4;
        int n = rows * q;
        int[] a = raw(n);
        src.get(at, a, 0, n);
        if (VECTOR != null) {
            VECTOR.int8Quads(a, rows, q, buffer, row0 * dimension);
            return;
        }
        ensureScalarScratch(n, 4);
        int[] t = work;
        // code b becomes the float bits of 2^23 + (b + 128): exponent 23, mantissa b + 128 (b's sign bit flipped)
        System.arraycopy(a, 0, t, 0, n);
        for (int j = 0; j < n; j++) {
            t[j] = 0x4B000000 | ((t[j] & 0xff) ^ 0x80);
        }
        bitsIn.put(0, t, 0, n);
        System.arraycopy(a, 0, t, 0, n);
        for (int j = 0; j < n; j++) {
            t[j] = 0x4B000000 | (((t[j] >>> 8) & 0xff) ^ 0x80);
        }
        bitsIn.put(n, t, 0, n);
        System.arraycopy(a, 0, t, 0, n);
        for (int j = 0; j < n; j++) {
            t[j] = 0x4B000000 | (((t[j] >>> 16) & 0xff) ^ 0x80);
        }
        bitsIn.put(2 * n, t, 0, n);
        for (int j = 0; j < n; j++) {
            a[j] = 0x4B000000 | ((a[j] >>> 24) ^ 0x80);
        }
        bitsIn.put(3 * n, a, 0, n);
        float[] out = buffer;
        int o0 = row0 * dimension;
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < 4; k++) {
                bitsOut.get(k * n + r * q, out, o0 + r * dimension + k * q, q);
            }
        }
        int end = o0 + rows * dimension;
        for (int i = o0; i < end; i++) {
            out[i] -= INT8_BIAS;
        }
    }

    /** Reads {@code count} int8 rows at byte index {@code at} of {@code src}, in index order (any dimension). */
    public void readInt8(int first, int count, ByteBuffer src, int at, FloatBuffer scales, int scaleAt) {
        start(first, count, RowLayout.IDENTITY, 1f, true);
        scales.get(scaleAt, scale, 0, count);
        int n = count * dimension;
        byte[] codes = new byte[n];
        src.get(at, codes, 0, n);
        float[] out = buffer;
        for (int i = 0; i < n; i++) {
            out[i] = codes[i];
        }
    }

    /** The int scratch for {@code n} stored ints (both kernel sets). */
    private int[] raw(int n) {
        if (raw == null || raw.length < n) {
            raw = new int[n];
        }
        return raw;
    }

    /** The scalar conversion's second int array and the direct buffer that turns int bits into floats. */
    private void ensureScalarScratch(int n, int phases) {
        if (work == null || work.length < n) {
            work = new int[n];
        }
        if (bitsIn == null || bitsIn.capacity() < phases * n) {
            ByteBuffer b = ByteBuffer.allocateDirect(4 * phases * n).order(ByteOrder.nativeOrder());
            bitsIn = b.asIntBuffer();
            bitsOut = b.asFloatBuffer();
        }
    }
}
