package dev.decap.reliability.faults;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/** A file channel of the {@link FaultyFileSystem}: every read, write and force may fail or move fewer bytes. */
final class FaultyChannel extends FileChannel {
    private final FaultyFileSystem fs;
    private final Path path;
    private final FileChannel delegate;

    FaultyChannel(FaultyFileSystem fs, Path path, FileChannel delegate) {
        this.fs = fs;
        this.path = path;
        this.delegate = delegate;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        fs.operation("read", path);
        return limited(dst, () -> delegate.read(dst));
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        fs.operation("read", path);
        return limited(dst, () -> delegate.read(dst, position));
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (dsts[i].hasRemaining()) {
                return read(dsts[i]);
            }
        }
        return 0;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return write(src, -1);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        boolean failPartway = fs.writeOperation(path);
        fs.disk.modified(path);
        if (failPartway) {
            // a full disk: part of the buffer reaches the file, then the error
            int part = fs.randomBelow(src.remaining());
            ByteBuffer head = src.duplicate();
            head.limit(head.position() + part);
            if (position < 0) {
                delegate.write(head);
            } else {
                delegate.write(head, position);
            }
            src.position(head.position());
            throw new IOException("simulated I/O error (No space left on device) writing " + path);
        }
        return limited(src, () -> position < 0 ? delegate.write(src) : delegate.write(src, position));
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        for (int i = offset; i < offset + length; i++) {
            if (srcs[i].hasRemaining()) {
                return write(srcs[i]);
            }
        }
        return 0;
    }

    private interface Transfer {
        int run() throws IOException;
    }

    /** Runs a transfer on at most {@link FaultyFileSystem#transferSize} bytes of {@code buffer}. */
    private int limited(ByteBuffer buffer, Transfer transfer) throws IOException {
        int requested = buffer.remaining();
        int allowed = fs.transferSize(requested);
        if (allowed >= requested) {
            return transfer.run();
        }
        int limit = buffer.limit();
        buffer.limit(buffer.position() + allowed);
        try {
            return transfer.run();
        } finally {
            buffer.limit(limit);
        }
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        fs.operation("truncate", path);
        fs.disk.modified(path);
        delegate.truncate(size);
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        fs.operation("fsync", path);
        delegate.force(metaData);
        fs.disk.synced(path);
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
        int n = read(b, position);
        if (n <= 0) {
            return 0;
        }
        b.flip();
        long written = 0;
        while (b.hasRemaining()) {
            written += target.write(b);
        }
        return written;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
        int n = src.read(b);
        if (n <= 0) {
            return 0;
        }
        b.flip();
        long written = 0;
        while (b.hasRemaining()) {
            written += write(b, position + written);
        }
        return written;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        fs.operation("map", path);
        if (mode != MapMode.READ_ONLY) {
            fs.disk.modified(path);
        }
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
