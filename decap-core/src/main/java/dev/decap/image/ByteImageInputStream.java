package dev.decap.image;

import javax.imageio.stream.ImageInputStreamImpl;
import java.io.IOException;

/**
 * An ImageIO input stream over bytes already in memory (no cache copy, unlike {@code MemoryCacheImageInputStream}),
 * that fails every read once the decode deadline has passed: a decoder that reads its input as it goes (libjpeg,
 * including the scans of a progressive JPEG, before any row is output) is stopped there.
 */
final class ByteImageInputStream extends ImageInputStreamImpl {
    /** Thrown into the decoder by a read after the deadline. */
    static final class DeadlinePassed extends IOException {
        private static final long serialVersionUID = 1L;

        DeadlinePassed() {
            super("the decode deadline has passed");
        }
    }

    private final byte[] bytes;
    private final DecodeDeadline deadline;

    ByteImageInputStream(byte[] bytes, DecodeDeadline deadline) {
        this.bytes = bytes;
        this.deadline = deadline;
    }

    private void checkDeadline() throws DeadlinePassed {
        if (deadline != null && deadline.passed()) {
            throw new DeadlinePassed();
        }
    }

    @Override
    public int read() throws IOException {
        checkClosed();
        bitOffset = 0;
        if (streamPos >= bytes.length) {
            return -1;
        }
        return bytes[(int) streamPos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        checkClosed();
        checkDeadline();
        if (off < 0 || len < 0 || off + len > b.length || off + len < 0) {
            throw new IndexOutOfBoundsException("off " + off + ", len " + len + ", buffer " + b.length);
        }
        bitOffset = 0;
        if (len == 0) {
            return 0;
        }
        if (streamPos >= bytes.length) {
            return -1;
        }
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return bytes.length;
    }
}
