package dev.decap.onnx.internal;

import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.decap.ClosedException;
import dev.decap.DecapException;
import dev.decap.InferenceException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.spi.CloseGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A handle on an {@link OrtSession} that any number of threads may use at once and that can be closed safely
 * while others use it.
 *
 * <p>{@link OrtSession#run} is thread-safe, but closing a session while a run is in flight frees native memory
 * under that run. Runs therefore hold a {@link CloseGuard} permit (a read lock) and releasing the session closes
 * the guard (the write lock): it waits for in-flight runs, and later runs on a closed handle fail with
 * {@link ClosedException} instead of touching freed memory. The same guard protects the decoder and the ND4J
 * projector.
 *
 * <p>Handles from {@link #open(Path, OnnxOptions, String)} share one native session per model file and options
 * (for example the image and text encoders of one combined Hugging Face {@code model.onnx}): the session is
 * released when the last handle on it is closed. Each handle is closed on its own; {@link #close()} is idempotent.
 */
public final class GuardedSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedSession.class);

    /** Reads what a caller needs from a result; the result is closed right after. */
    @FunctionalInterface
    public interface ResultReader<T> {
        T read(OrtSession.Result result) throws OrtException;
    }

    /** Identifies a loaded model: the same file (unchanged since) with the same options. */
    private record Key(Path realPath, long size, long modified, OnnxOptions options) {
    }

    /** The native session and its lock, shared by the handles on it. */
    private static final class Shared {
        final OrtSession session;
        final Key key;
        final CloseGuard guard;
        int handles = 1; // guarded by OPEN

        Shared(OrtSession session, Key key, String what) {
            this.session = session;
            this.key = key;
            this.guard = new CloseGuard("the " + what + " is closed; build a new one");
        }
    }

    private static final Map<Key, Shared> OPEN = new HashMap<>();

    private final Shared shared;
    private final Path path;
    private final String role;
    private volatile boolean closed;

    /** Wraps a session that this handle alone owns: closing the handle closes the session. */
    public GuardedSession(OrtSession session, Path path, String role) {
        this(new Shared(session, null, role + " (" + path + ")"), path, role);
    }

    private GuardedSession(Shared shared, Path path, String role) {
        this.shared = shared;
        this.path = path;
        this.role = role;
    }

    /**
     * A handle on the session of {@code model} with {@code options}, loading it unless a handle on the same file
     * (same real path, size and modification time) with equal options is open already.
     *
     * @param role what the model is, for messages ("image encoder")
     * @throws dev.decap.ModelException         if the file is missing or not a loadable model
     * @throws dev.decap.ConfigurationException if the options cannot be applied
     */
    public static GuardedSession open(Path model, OnnxOptions options, String role) {
        OnnxOptions opts = options == null ? OnnxOptions.DEFAULT : options;
        Key key = keyOf(model, opts);
        if (key == null) {
            // Missing or unreadable: let the loader produce its message.
            return new GuardedSession(OrtSessions.open(model, opts, role), model, role);
        }
        synchronized (OPEN) {
            Shared shared = OPEN.get(key);
            if (shared != null) {
                shared.handles++;
                LOG.debug("sharing the loaded session of {} for the {}", model, role);
                return new GuardedSession(shared, model, role);
            }
            shared = new Shared(OrtSessions.open(model, opts, role), key, role + " (" + model + ")");
            OPEN.put(key, shared);
            return new GuardedSession(shared, model, role);
        }
    }

    private static Key keyOf(Path model, OnnxOptions options) {
        if (model == null || !Files.isRegularFile(model) || !Files.isReadable(model)) {
            return null;
        }
        try {
            return new Key(model.toRealPath(), Files.size(model), Files.getLastModifiedTime(model).toMillis(),
                    options);
        } catch (IOException e) {
            return null;
        }
    }

    /** The wrapped session, for reading metadata only; never close it or run it directly. */
    public OrtSession session() {
        return shared.session;
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

    /** Throws {@link ClosedException} if this handle was closed. */
    public void ensureOpen() {
        if (closed) {
            throw new ClosedException("the " + role + " (" + path + ") is closed; build a new one");
        }
    }

    /**
     * Runs the model and reads the result while holding the read lock. The inputs stay owned by the caller.
     *
     * @throws ClosedException    if this handle was closed
     * @throws InferenceException if ONNX Runtime fails
     */
    public <T> T run(Map<String, ? extends OnnxTensorLike> inputs, Set<String> outputs, ResultReader<T> reader) {
        return run(inputs, outputs, null, reader);
    }

    /** As {@link #run(Map, Set, ResultReader)} with run options (log level, tag), which stay owned by the caller. */
    public <T> T run(Map<String, ? extends OnnxTensorLike> inputs, Set<String> outputs,
                     OrtSession.RunOptions runOptions, ResultReader<T> reader) {
        ensureOpen();
        try (CloseGuard.Permit permit = shared.guard.enter()) {
            ensureOpen();
            OrtSession session = shared.session;
            try (OrtSession.Result result = runOptions == null ? session.run(inputs, outputs)
                    : session.run(inputs, outputs, runOptions)) {
                return reader.read(result);
            }
        } catch (OrtException e) {
            throw new InferenceException("the " + role + " (" + path + ") failed while running: " + e.getMessage(), e);
        } catch (DecapException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InferenceException("the " + role + " (" + path + ") failed while running: " + e, e);
        }
    }

    /**
     * Closes this handle; releases the native session once no other handle uses it, after waiting for runs in
     * flight. Idempotent.
     */
    @Override
    public void close() {
        boolean release;
        synchronized (OPEN) {
            if (closed) {
                return;
            }
            closed = true;
            release = --shared.handles == 0;
            if (release && shared.key != null) {
                OPEN.remove(shared.key);
            }
        }
        if (!release) {
            return;
        }
        shared.guard.close(() -> {
            try {
                shared.session.close();
            } catch (OrtException e) {
                LOG.warn("closing the {} ({}) failed: {}", role, path, e.getMessage());
            }
        });
    }
}
