package dev.decap.onnx.internal;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.onnx.OnnxOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opens ONNX Runtime sessions on the one environment this JVM shares, turning every failure into an exception of
 * decap's hierarchy that names the file.
 */
public final class OrtSessions {
    private static final AtomicLong OPENED = new AtomicLong();

    private OrtSessions() {
    }

    /**
     * How many ONNX Runtime sessions decap has created in this JVM so far (model files and the decoder's cache
     * gather graph). Lets tests and benchmarks show that cheap swaps open nothing.
     */
    public static long openedCount() {
        return OPENED.get();
    }

    /**
     * Creates a session from an in-memory model (e.g. a generated graph), counted by {@link #openedCount()}.
     *
     * @throws OrtException if ONNX Runtime refuses the model or the options
     */
    public static OrtSession create(byte[] model, OrtSession.SessionOptions options) throws OrtException {
        OrtSession s = environment().createSession(model, options);
        OPENED.incrementAndGet();
        return s;
    }

    /**
     * The process-wide ONNX Runtime environment. ONNX Runtime allows one per JVM; it is never closed by decap
     * because other libraries in the same JVM may share it.
     */
    public static OrtEnvironment environment() {
        return Holder.ENV;
    }

    private static final class Holder {
        // Warnings only: ONNX Runtime's info-level log is verbose and goes to stdout, not SLF4J.
        static final OrtEnvironment ENV = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                "decap");
    }

    /**
     * Opens {@code model} with {@code options}.
     *
     * @param role what the model is, for messages ("image encoder", "decoder")
     * @throws ModelException         if the file is missing, not a regular readable file, or not a loadable model
     * @throws ConfigurationException if the options cannot be applied (e.g. CUDA without the GPU artifact)
     */
    public static OrtSession open(Path model, OnnxOptions options, String role) {
        if (model == null) {
            throw new ConfigurationException(role + " model path is not set; pass the path of the .onnx file");
        }
        if (!Files.exists(model)) {
            throw new ModelException(role + " model " + model.toAbsolutePath() + " does not exist; check the path "
                    + "(expected an ONNX file)");
        }
        if (!Files.isRegularFile(model) || !Files.isReadable(model)) {
            throw new ModelException(role + " model " + model.toAbsolutePath() + " is not a readable regular file; "
                    + "pass the path of the .onnx file itself");
        }
        OnnxOptions opts = options == null ? OnnxOptions.DEFAULT : options;
        OrtEnvironment env = environment();
        try (OrtSession.SessionOptions so = opts.toSessionOptions()) {
            OrtSession session = env.createSession(model.toString(), so);
            OPENED.incrementAndGet();
            return session;
        } catch (OrtException e) {
            throw new ModelException(role + " model " + model.toAbsolutePath() + " cannot be loaded by ONNX Runtime "
                    + "(" + e.getMessage() + "); the file is corrupt, truncated or not an ONNX model: export or "
                    + "download it again", e);
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelException(role + " model " + model.toAbsolutePath() + " cannot be loaded: " + e, e);
        }
    }
}
