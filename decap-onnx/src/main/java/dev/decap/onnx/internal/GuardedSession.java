package dev.decap.onnx.internal;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.decap.ClosedException;
import dev.decap.DecapException;
import dev.decap.InferenceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One {@link OrtSession} shared by any number of threads, which can be closed safely while others use it.
 *
 * <p>{@link OrtSession#run} is thread-safe, but closing a session while a run is in flight frees native memory
 * under that run. Runs therefore hold a read lock and {@link #close()} takes the write lock: it waits for
 * in-flight runs, and later runs fail with {@link ClosedException} instead of touching freed memory.
 */
public final class GuardedSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedSession.class);

    /** Reads what a caller needs from a result; the result is closed right after. */
    @FunctionalInterface
    public interface ResultReader<T> {
        T read(OrtSession.Result result) throws OrtException;
    }

    private final OrtSession session;
    private final Path path;
    private final String role;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;

    public GuardedSession(OrtSession session, Path path, String role) {
        this.session = session;
        this.path = path;
        this.role = role;
    }

    /** The wrapped session, for reading metadata only; never close it or run it directly. */
    public OrtSession session() {
        return session;
    }

    public Path path() {
        return path;
    }

    public String role() {
        return role;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Throws {@link ClosedException} if this session was closed. */
    public void ensureOpen() {
        if (closed) {
            throw new ClosedException("the " + role + " (" + path + ") is closed; build a new one");
        }
    }

    /**
     * Runs the model and reads the result while holding the read lock. The inputs stay owned by the caller.
     *
     * @throws ClosedException    if the session was closed
     * @throws InferenceException if ONNX Runtime fails
     */
    public <T> T run(Map<String, ? extends OnnxTensorLike> inputs, Set<String> outputs, ResultReader<T> reader) {
        ReentrantReadWriteLock.ReadLock readLock = lock.readLock();
        readLock.lock();
        try {
            ensureOpen();
            try (OrtSession.Result result = session.run(inputs, outputs)) {
                return reader.read(result);
            }
        } catch (OrtException e) {
            throw new InferenceException("the " + role + " (" + path + ") failed while running: " + e.getMessage(), e);
        } catch (DecapException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InferenceException("the " + role + " (" + path + ") failed while running: " + e, e);
        } finally {
            readLock.unlock();
        }
    }

    /** Waits for in-flight runs, then releases the native session. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        ReentrantReadWriteLock.WriteLock writeLock = lock.writeLock();
        writeLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            session.close();
        } catch (OrtException e) {
            LOG.warn("closing the {} ({}) failed: {}", role, path, e.getMessage());
        } finally {
            writeLock.unlock();
        }
    }
}
