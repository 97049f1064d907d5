package dev.decap.onnx.encoding;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.decap.ConfigurationException;
import dev.decap.DecapException;
import dev.decap.InferenceException;
import dev.decap.ModelException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.encoding.ClipLayout.Tower;
import dev.decap.onnx.internal.GuardedSession;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.OrtSessions;
import dev.decap.onnx.internal.TensorSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One loaded CLIP model file used for one tower: the shared session, its {@link ClipBinding}, and the batched
 * runs both encoders build on. Thread-safe; every tensor and result is closed on every path.
 *
 * <p><b>Combined models</b> ({@link ClipLayout#HF}): ONNX Runtime runs the whole graph whatever outputs are
 * requested, so the other tower needs inputs too. At load time the encoder tries a placeholder batch of
 * <em>zero</em> items for the unused tower (no work at all); where the graph cannot run on an empty batch it falls
 * back to one placeholder item (one blank image, or a one-token text), whose cost is then paid once per call, so
 * large batches amortise it.
 */
final class ClipModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClipModel.class);

    private final GuardedSession session;
    private final ClipBinding binding;
    private final int dimension;
    private final int placeholderBatch;
    private final int contextLength;
    private final boolean shortSequences;

    private ClipModel(GuardedSession session, ClipBinding binding, int dimension, int placeholderBatch,
                      int contextLength, boolean shortSequences) {
        this.session = session;
        this.binding = binding;
        this.dimension = dimension;
        this.placeholderBatch = placeholderBatch;
        this.contextLength = contextLength;
        this.shortSequences = shortSequences;
    }

    /** Largest difference between a short run and the full-context run of the same ids accepted at load. */
    private static final float SHORT_RUN_TOLERANCE = 1e-4f;

    /** CLIP's token context: 77 positions, start and end markers included. */
    static final int DEFAULT_CONTEXT_LENGTH = 77;

    /**
     * Opens and checks a model.
     *
     * @param imageSize     image side the caller produces, or 0 to take the model's
     * @param contextLength token context the caller produces, or 0 to take the model's
     * @param dimension     expected embedding length, or 0 to take the model's
     */
    static ClipModel open(Path path, OnnxOptions options, Tower tower, ClipLayout layout, int imageSize,
                          int contextLength, int dimension) {
        String role = tower.label() + " encoder";
        GuardedSession guarded = GuardedSession.open(path, options, role);
        OrtSession ort = guarded.session();
        try {
            ClipBinding binding = ClipBinding.bind(ModelSignature.of(ort, path), tower, layout, imageSize,
                    contextLength, dimension);
            int context = binding.sequenceLength() > 0 ? binding.sequenceLength()
                    : contextLength > 0 ? contextLength : DEFAULT_CONTEXT_LENGTH;
            // Hugging Face's text towers slice their position table, so any length up to the context works; a
            // decap-layout tower with a dynamic axis is checked below before short runs are trusted.
            boolean dynamic = binding.ids() != null && binding.sequenceLength() <= 0;
            boolean shortRuns = dynamic && binding.layout() != ClipLayout.DECAP;
            ClipModel probe = new ClipModel(guarded, binding, binding.dimension(), 0, context, shortRuns);
            int placeholders = 0;
            float[][] sample;
            if (binding.layout().combined()) {
                try {
                    sample = probe.runProbe();
                } catch (InferenceException e) {
                    LOG.debug("{} {} cannot run an empty placeholder batch ({}); using one placeholder item",
                            role, path, e.getMessage());
                    placeholders = 1;
                    probe = new ClipModel(guarded, binding, binding.dimension(), 1, context, shortRuns);
                    sample = probe.runProbe();
                }
            } else if (binding.dimension() < 0) {
                sample = probe.runProbe();
            } else {
                sample = null;
            }
            int dim = sample != null ? sample[0].length : binding.dimension();
            if (dimension > 0 && dim != dimension) {
                throw new ModelException(role + " model " + path + " produces embeddings of the wrong dimension: "
                        + "expected " + dimension + ", found " + dim);
            }
            if (dim <= 0) {
                throw new ModelException(role + " model " + path + " produced empty embeddings (dimension " + dim
                        + "); expected a [batch, D] embedding with D > 0");
            }
            if (dynamic && binding.layout() == ClipLayout.DECAP && tower == Tower.TEXT) {
                shortRuns = probe.shortRunsMatchFullContext();
            }
            LOG.debug("loaded {} {} (layout {}, dimension {}, image size {}, sequence {}, short runs {})", role,
                    path, binding.layout().id(), dim, binding.imageSize(), binding.sequenceLength(), shortRuns);
            return new ClipModel(guarded, binding, dim, placeholders, context, shortRuns);
        } catch (InferenceException e) {
            guarded.close();
            throw new ModelException(role + " model " + path + " fails on a test input of the expected form ("
                    + e.getMessage() + "); check that it is a CLIP " + tower.label() + " model in the "
                    + "detected layout", e);
        } catch (DecapException | Error e) {
            guarded.close();
            throw e;
        } catch (RuntimeException e) {
            guarded.close();
            throw new ModelException(role + " model " + path + " cannot be used: " + e, e);
        }
    }

    /**
     * Runs one placeholder item through the tower. An empty placeholder batch is expected to fail on many graphs,
     * so ONNX Runtime's own error log is silenced for this run: the failure is handled, not a problem to report.
     */
    private float[][] runProbe() {
        try (OrtSession.RunOptions quiet = new OrtSession.RunOptions()) {
            quiet.setLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            quiet.setRunTag("decap-probe");
            if (binding.tower() == Tower.IMAGE) {
                int s = binding.imageSize();
                return encodePixels(directFloats(3 * s * s), 1, quiet);
            }
            return encodeIds(new int[][] {{0}}, quiet);
        } catch (OrtException e) {
            throw new InferenceException("cannot create run options: " + e.getMessage(), e);
        }
    }

    /**
     * Whether a decap-layout tower with a dynamic sequence axis really takes short sequences: one three-token row
     * run at its own length must give the full-context embedding. Exports that declare the axis dynamic but add a
     * fixed 77-row position table fail or differ here and are always fed the full context. The ids 1, 2, 3 exist
     * in any vocabulary (CLIP's BPE or a small word vocabulary) and put the largest id, where CLIP pools, inside
     * the row.
     */
    private boolean shortRunsMatchFullContext() {
        int[] ids = {1, 2, 3};
        try (OrtSession.RunOptions quiet = new OrtSession.RunOptions()) {
            quiet.setLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            quiet.setRunTag("decap-probe");
            float[] full = encodeIds(new int[][] {ids}, contextLength, quiet)[0];
            float[] cut;
            try {
                cut = encodeIds(new int[][] {ids}, ids.length, quiet)[0];
            } catch (InferenceException e) {
                LOG.debug("{} {} declares a dynamic sequence axis but fails on {} tokens ({}); feeding {} tokens",
                        session.role(), path(), ids.length, e.getMessage(), contextLength);
                return false;
            }
            float scale = 1f;
            float worst = 0f;
            for (int i = 0; i < full.length; i++) {
                scale = Math.max(scale, Math.abs(full[i]));
                worst = Math.max(worst, Math.abs(full[i] - cut[i]));
            }
            boolean same = worst <= SHORT_RUN_TOLERANCE * scale;
            if (!same) {
                LOG.debug("{} {} declares a dynamic sequence axis but {} tokens differ from {} by {}; feeding {} "
                        + "tokens", session.role(), path(), ids.length, contextLength, worst, contextLength);
            }
            return same;
        } catch (OrtException e) {
            throw new InferenceException("cannot create run options: " + e.getMessage(), e);
        }
    }

    ClipBinding binding() {
        return binding;
    }

    /**
     * Whether text runs may be fed shorter than {@link #contextLength()}: the sequence axis is dynamic and the
     * tower gives the full-context embedding at the text's own length (CLIP's causal mask and EOT pooling).
     */
    boolean shortSequences() {
        return shortSequences;
    }

    int dimension() {
        return dimension;
    }

    /** Token context the text tower is fed: the model's fixed length, or the configured one. */
    int contextLength() {
        return contextLength;
    }

    int placeholderBatch() {
        return placeholderBatch;
    }

    Path path() {
        return session.path();
    }

    /** The native session, for tests of session sharing only. */
    OrtSession ortSession() {
        return session.session();
    }

    /** Largest batch one run may hold: 1 where the model fixes its batch axis, else {@code requested}. */
    int batchLimit(int requested) {
        return binding.fixedBatchOne() ? 1 : requested;
    }

    void ensureOpen() {
        session.ensureOpen();
    }

    /**
     * Runs {@code n} images already in CLIP's normalised CHW form, packed one after the other.
     *
     * @param pixels a direct, native-order buffer of {@code n * 3 * S * S} floats, positioned at 0
     */
    float[][] encodePixels(FloatBuffer pixels, int n) {
        return encodePixels(pixels, n, null);
    }

    private float[][] encodePixels(FloatBuffer pixels, int n, OrtSession.RunOptions runOptions) {
        int s = binding.imageSize();
        OrtEnvironment env = OrtSessions.environment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put(binding.pixels().name(), OnnxTensor.createTensor(env, pixels, new long[] {n, 3, s, s}));
            if (binding.ids() != null) {
                int len = binding.sequenceLength() > 0 ? binding.sequenceLength() : 1;
                addIds(env, inputs, new int[placeholderBatch][len], len);
            }
            return run(inputs, n, runOptions);
        } catch (OrtException e) {
            throw new InferenceException("cannot create the input tensors of " + session.role() + " " + path()
                    + ": " + e.getMessage(), e);
        } finally {
            closeAll(inputs);
        }
    }

    /**
     * Runs token ids in CLIP's context form (start id, tokens, end id, zero padding). Rows may differ in length;
     * they are padded with zeros to the model's fixed sequence length, or, where {@link #shortSequences()}, to
     * the longest row's last token. Because CLIP's text attention is causal and the embedding is read at the
     * end-of-text token, trailing padding does not change the result.
     */
    float[][] encodeIds(int[][] rows) {
        return encodeIds(rows, runLength(rows, true), null);
    }

    /**
     * The sequence length a run of {@code rows} is fed at: the model's fixed length; else, where short runs
     * are allowed and {@link #shortSequences()}, the longest row's token count; else the full context.
     */
    int runLength(int[][] rows, boolean allowShort) {
        if (binding.sequenceLength() > 0) {
            return binding.sequenceLength();
        }
        if (!allowShort || !shortSequences) {
            return contextLength;
        }
        int len = 1;
        for (int[] row : rows) {
            len = Math.max(len, tokenCount(row));
        }
        return len;
    }

    /**
     * Runs {@code rows} at sequence length {@code length}: each row's ids, then zeros up to {@code length}.
     * The caller guarantees that every row's ids up to its last non-zero one fit in {@code length} and that the
     * model takes that length (a fixed one, or {@link #shortSequences()}).
     */
    float[][] encodeIds(int[][] rows, int length) {
        return encodeIds(rows, length, null);
    }

    private float[][] encodeIds(int[][] rows, OrtSession.RunOptions runOptions) {
        return encodeIds(rows, runLength(rows, true), runOptions);
    }

    private float[][] encodeIds(int[][] rows, int len, OrtSession.RunOptions runOptions) {
        OrtEnvironment env = OrtSessions.environment();
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            addIds(env, inputs, rows, len);
            if (binding.pixels() != null) {
                int s = binding.imageSize();
                inputs.put(binding.pixels().name(), OnnxTensor.createTensor(env,
                        directFloats(placeholderBatch * 3 * s * s), new long[] {placeholderBatch, 3, s, s}));
            }
            return run(inputs, rows.length, runOptions);
        } catch (OrtException e) {
            throw new InferenceException("cannot create the input tensors of " + session.role() + " " + path()
                    + ": " + e.getMessage(), e);
        } finally {
            closeAll(inputs);
        }
    }

    private void addIds(OrtEnvironment env, Map<String, OnnxTensor> inputs, int[][] rows, int len)
            throws OrtException {
        int n = rows.length;
        long[] shape = {n, len};
        TensorSpec ids = binding.ids();
        TensorSpec mask = binding.mask();
        // The mask marks each row's tokens up to its last non-zero id (the end-of-text token), as a tokenizer's
        // attention mask does; the padding behind it is masked.
        int[] lengths = new int[n];
        for (int r = 0; r < n; r++) {
            lengths[r] = tokenCount(rows[r]);
        }
        if (ids.type() == OnnxJavaType.INT64) {
            LongBuffer idBuf = directLongs(n * len);
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < len; i++) {
                    idBuf.put(r * len + i, i < rows[r].length ? rows[r][i] : 0);
                }
            }
            inputs.put(ids.name(), OnnxTensor.createTensor(env, idBuf, shape));
        } else {
            IntBuffer idBuf = directInts(n * len);
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < len; i++) {
                    idBuf.put(r * len + i, i < rows[r].length ? rows[r][i] : 0);
                }
            }
            inputs.put(ids.name(), OnnxTensor.createTensor(env, idBuf, shape));
        }
        if (mask != null) {
            if (mask.type() == OnnxJavaType.INT64) {
                LongBuffer m = directLongs(n * len);
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < len; i++) {
                        m.put(r * len + i, i < lengths[r] ? 1 : 0);
                    }
                }
                inputs.put(mask.name(), OnnxTensor.createTensor(env, m, shape));
            } else {
                IntBuffer m = directInts(n * len);
                for (int r = 0; r < n; r++) {
                    for (int i = 0; i < len; i++) {
                        m.put(r * len + i, i < lengths[r] ? 1 : 0);
                    }
                }
                inputs.put(mask.name(), OnnxTensor.createTensor(env, m, shape));
            }
        }
    }

    /** Number of ids before the zero padding: up to the last non-zero id, at least 1. */
    static int tokenCount(int[] row) {
        int last = 0;
        for (int i = 0; i < row.length; i++) {
            if (row[i] != 0) {
                last = i + 1;
            }
        }
        return Math.max(1, last);
    }

    private float[][] run(Map<String, OnnxTensor> inputs, int n, OrtSession.RunOptions runOptions) {
        String out = binding.embedding().name();
        return session.run(inputs, Set.of(out), runOptions, result -> {
            OnnxValue value = result.get(out).orElseThrow(() -> new InferenceException(session.role() + " "
                    + path() + " returned no " + out));
            if (!(value instanceof OnnxTensor tensor)) {
                throw new InferenceException(session.role() + " " + path() + " returned " + out
                        + " as a non-tensor value; expected a float32 [batch, D] tensor");
            }
            long[] shape = tensor.getInfo().getShape();
            if (shape.length != 2 || shape[0] != n || (dimension > 0 && shape[1] != dimension)) {
                throw new InferenceException(session.role() + " " + path() + " returned " + out + " of shape "
                        + Arrays.toString(shape) + "; expected [" + n + ", "
                        + (dimension > 0 ? dimension : "D") + "]");
            }
            int d = (int) shape[1];
            FloatBuffer data = tensor.getFloatBuffer();
            float[][] rows = new float[n][d];
            for (int r = 0; r < n; r++) {
                data.get(rows[r]);
            }
            return rows;
        });
    }

    private static void closeAll(Map<String, OnnxTensor> tensors) {
        for (OnnxTensor t : tensors.values()) {
            t.close();
        }
    }

    static FloatBuffer directFloats(int n) {
        return ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static LongBuffer directLongs(int n) {
        return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static IntBuffer directInts(int n) {
        return ByteBuffer.allocateDirect(n * Integer.BYTES).order(ByteOrder.nativeOrder()).asIntBuffer();
    }

    @Override
    public void close() {
        session.close();
    }

    /** A builder's optional positive setting: {@code fallback} when unset. */
    static int positive(Integer value, int fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value <= 0) {
            throw new ConfigurationException(name + " must be positive, found " + value);
        }
        return value;
    }

    static List<float[]> rows(float[][] batch) {
        List<float[]> out = new ArrayList<>(batch.length);
        for (float[] row : batch) {
            out.add(row);
        }
        return out;
    }
}
