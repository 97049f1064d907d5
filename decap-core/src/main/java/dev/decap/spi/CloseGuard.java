package dev.decap.spi;

import dev.decap.ClosedException;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one mechanism by which decap's native-backed components (ONNX Runtime sessions, ND4J off-heap matrices) can
 * be used by many threads at once and closed safely while others use them. A service-provider class for
 * implementers of such components.
 *
 * <p>Work holds a {@link #enter() permit} (a read lock), so any number of calls run concurrently; {@link #close}
 * takes the write lock: it waits for calls in flight, runs the release once, and every later {@link #enter()}
 * fails with {@link ClosedException} instead of touching freed native memory.
 *
 * <pre>{@code
 * try (CloseGuard.Permit p = guard.enter()) {
 *     return session.run(inputs);
 * }
 * ...
 * guard.close(session::close);   // idempotent
 * }</pre>
 *
 * <p>Thread-safe. Permits are not reentrant across a {@link #close} on the same thread: do not close a component
 * from inside its own call.
 */
public final class CloseGuard {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String closedMessage;
    private volatile boolean closed;

    /**
     * A guard whose closed component is refused with {@code closedMessage}.
     *
     * @param closedMessage what {@link ClosedException} says, e.g. "the ONNX decoder decoder.onnx is closed; build
     *                      a new one"
     */
    public CloseGuard(String closedMessage) {
        this.closedMessage = Arguments.requireNonNull(closedMessage, "closedMessage");
    }

    /** A held read lock; closing it releases the lock. */
    public interface Permit extends AutoCloseable {
        /** Releases the permit. */
        @Override
        void close();
    }

    /**
     * Enters a call: blocks only while a close is releasing the component.
     *
     * @throws ClosedException if the component is closed
     */
    public Permit enter() {
        ReentrantReadWriteLock.ReadLock read = lock.readLock();
        read.lock();
        if (closed) {
            read.unlock();
            throw new ClosedException(closedMessage);
        }
        return read::unlock;
    }

    /** Throws {@link ClosedException} if the component is closed (a cheap check without a permit). */
    public void ensureOpen() {
        if (closed) {
            throw new ClosedException(closedMessage);
        }
    }

    /** Whether {@link #close} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Marks the component closed, waits for calls in flight, and runs {@code release} once (the first call only).
     *
     * @return whether this call closed the component (false if it was closed already)
     */
    public boolean close(Runnable release) {
        ReentrantReadWriteLock.WriteLock write = lock.writeLock();
        write.lock();
        try {
            if (closed) {
                return false;
            }
            closed = true;
            release.run();
            return true;
        } finally {
            write.unlock();
        }
    }
}
