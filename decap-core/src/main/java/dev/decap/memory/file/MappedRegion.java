package dev.decap.memory.file;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A read-only, little-endian mapping of a file region of any length, as several mappings of at most
 * {@code chunk} bytes (one Java mapping is limited to 2 GiB). Absolute reads only, so it is safe for concurrent
 * readers.
 */
final class MappedRegion {
    private final long start;
    private final long length;
    private final long chunk;
    private final MappedByteBuffer[] maps;

    /** @param chunk bytes per mapping, positive and at most {@code Integer.MAX_VALUE} */
    MappedRegion(FileChannel channel, long start, long length, long chunk) throws IOException {
        this.start = start;
        this.length = length;
        this.chunk = chunk;
        int n = (int) Math.max(1, (length + chunk - 1) / chunk);
        maps = new MappedByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long off = i * chunk;
            long size = Math.max(0, Math.min(chunk, length - off));
            maps[i] = channel.map(FileChannel.MapMode.READ_ONLY, start + off, size);
            maps[i].order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    long length() {
        return length;
    }

    long start() {
        return start;
    }

    long chunk() {
        return chunk;
    }

    /** The mapping holding byte {@code pos} of the region. */
    MappedByteBuffer map(int index) {
        return maps[index];
    }

    int maps() {
        return maps.length;
    }

    long getLong(long pos) {
        int m = (int) (pos / chunk);
        int off = (int) (pos - m * chunk);
        if (off + 8 <= maps[m].limit()) {
            return maps[m].getLong(off);
        }
        byte[] b = new byte[8];
        get(pos, b, 0, 8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    void get(long pos, byte[] dst, int offset, int len) {
        while (len > 0) {
            int m = (int) (pos / chunk);
            int off = (int) (pos - m * chunk);
            int n = Math.min(len, maps[m].limit() - off);
            maps[m].get(off, dst, offset, n);
            pos += n;
            offset += n;
            len -= n;
        }
    }
}
