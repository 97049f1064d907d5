package dev.decap.onnx.decoding;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InferenceException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import dev.decap.decoding.LanguageModel;
import dev.decap.spi.CloseGuard;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.OrtSessions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * DeCap's GPT-2 decoder ({@code decoder.onnx}: one graph, one position per call, key/value cache in and out) as a
 * {@link LanguageModel} on ONNX Runtime.
 *
 * <p><b>Key/value cache.</b> A {@link Session} runs the prefix once and then one token per step. The
 * {@code present.*} tensors a step returns are fed, as they are, as the next step's {@code past_key_values.*}: the
 * cache never leaves ONNX Runtime's memory and the prefix is never re-run. When rows are reordered (beam search) or
 * dropped (finished sequences), the cache rows are gathered by a tiny ONNX {@code Gather} graph
 * (the default), or, for comparison only, copied through Java buffers (see {@link #CACHE_REORDER_PROPERTY}). Each step's {@code OrtSession.Result} owns its tensors and is closed right after the next
 * step has run, or when the session closes, on every path.
 *
 * <p>Thread-safe: one {@code OrtSession} serves every caller; sessions are independent. {@link #close()} waits for
 * running steps and is idempotent; afterwards every call throws {@link ClosedException}.
 */
public final class OnnxLanguageModel implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(OnnxLanguageModel.class);

    /**
     * System property that selects the comparison-only cache reorder for benchmarks: {@code java-copy}. Anything
     * else (or nothing) keeps the default, the ONNX gather graph.
     */
    public static final String CACHE_REORDER_PROPERTY = "decap.decoder.cacheReorder";

    /**
     * How cache rows are reordered when the batch changes. Not API: {@link #JAVA_COPY} exists only to compare
     * against (parity tests, {@code decap-benchmarks} via {@link #CACHE_REORDER_PROPERTY}).
     */
    enum CacheReorder {
        /** A Gather graph run by ONNX Runtime: the cache stays in native memory. */
        ONNX_GATHER,
        /** Copy the cache into Java buffers, gather the rows, and wrap them as new tensors. */
        JAVA_COPY;

        static CacheReorder fromProperty() {
            return "java-copy".equals(System.getProperty(CACHE_REORDER_PROPERTY)) ? JAVA_COPY : ONNX_GATHER;
        }
    }

    private final OrtEnvironment env;
    private final OrtSession session;
    private final KvCacheReorder cache;
    private final String source;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final int prefixDim;
    private final int vocabularySize;
    private final String[] pastNames;
    private final String[] presentNames;
    private final CloseGuard guard;

    private OnnxLanguageModel(Builder b) {
        this.env = OrtSessions.environment();
        this.source = b.modelPath.toString();
        this.guard = new CloseGuard("the ONNX decoder " + source + " is closed; build a new one");
        OrtSession s = OrtSessions.open(b.modelPath, b.options, "decoder");
        KvCacheReorder g = null;
        try {
            DecoderSignature layout = DecoderSignature.of(ModelSignature.of(s, b.modelPath));
            this.layers = layout.layers();
            this.heads = layout.heads();
            this.headDim = layout.headDim();
            this.prefixDim = layout.prefixDim();
            this.vocabularySize = layout.vocab();
            this.pastNames = new String[2 * layers];
            this.presentNames = new String[2 * layers];
            for (int i = 0; i < layers; i++) {
                pastNames[2 * i] = "past_key_values." + i + ".key";
                pastNames[2 * i + 1] = "past_key_values." + i + ".value";
                presentNames[2 * i] = "present." + i + ".key";
                presentNames[2 * i + 1] = "present." + i + ".value";
            }
            g = new KvCacheReorder(b.reorder, b.options, layers, heads, headDim);
        } catch (RuntimeException e) {
            closeQuietly(s);
            closeQuietly(g);
            throw e;
        }
        this.session = s;
        this.cache = g;
        LOG.debug("loaded decoder {}: {} layers, {} heads of {}, prefix {}, vocabulary {}", source, layers, heads,
                headDim, prefixDim, vocabularySize);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Opens {@code decoder.onnx} with default options. */
    public static OnnxLanguageModel open(Path modelPath) {
        return builder().model(modelPath).build();
    }

    @Override
    public int prefixDimension() {
        return prefixDim;
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    /** Number of transformer layers (pairs of cache tensors). */
    public int layers() {
        return layers;
    }

    /** Number of attention heads. */
    public int heads() {
        return heads;
    }

    /** Width of one attention head. */
    public int headDimension() {
        return headDim;
    }

    /** How cache rows are reordered. */
    CacheReorder cacheReorder() {
        return cache.kind();
    }

    @Override
    public Session start(float[][] prefixes) {
        if (prefixes == null || prefixes.length == 0) {
            throw new InvalidInputException("no prefixes to decode; pass at least one prefix vector");
        }
        int b = prefixes.length;
        float[] flat = new float[b * prefixDim];
        for (int r = 0; r < b; r++) {
            float[] p = prefixes[r];
            if (p == null || p.length != prefixDim) {
                throw new InvalidInputException("prefix " + r + " has the wrong dimension: expected " + prefixDim
                        + ", found " + (p == null ? "null" : p.length));
            }
            System.arraycopy(p, 0, flat, r * prefixDim, prefixDim);
        }
        OnnxSession s = new OnnxSession(b);
        try {
            s.first(flat);
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Releases the ONNX Runtime sessions; waits for running steps. Idempotent. */
    @Override
    public void close() {
        guard.close(() -> {
            closeQuietly(session);
            closeQuietly(cache);
        });
    }

    /** Runs the decoder under a {@link CloseGuard} permit, so that {@link #close()} never frees a session in use. */
    private OrtSession.Result run(OrtSession s, Map<String, OnnxTensor> inputs, String what) {
        try (CloseGuard.Permit permit = guard.enter()) {
            return s.run(inputs);
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime failed to run " + what + " of decoder " + source + ": "
                    + e.getMessage(), e);
        }
    }

    private OnnxTensor floatTensor(float[] data, long[] shape) {
        try {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new InferenceException("cannot create an input tensor for decoder " + source + ": "
                    + e.getMessage(), e);
        }
    }

    private OnnxTensor longTensor(long[] data, long[] shape) {
        try {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape);
        } catch (OrtException e) {
            throw new InferenceException("cannot create an input tensor for decoder " + source + ": "
                    + e.getMessage(), e);
        }
    }

    private OnnxTensor boolTensor(boolean value) {
        try {
            ByteBuffer buf = ByteBuffer.allocateDirect(1).order(ByteOrder.nativeOrder());
            buf.put(0, (byte) (value ? 1 : 0));
            return OnnxTensor.createTensor(env, buf, new long[] {1}, OnnxJavaType.BOOL);
        } catch (OrtException e) {
            throw new InferenceException("cannot create an input tensor for decoder " + source + ": "
                    + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("failed to close {}: {}", c, e.toString());
            }
        }
    }

    /**
     * One batch of growing sequences. Ownership: {@code step} (the last decoder run) owns the logits and the
     * present tensors; {@code gathered} (the last gather run, or Java-built tensors) owns reordered cache tensors.
     * Both are closed as soon as the next decoder run has consumed them, and by {@link #close()}.
     */
    private final class OnnxSession implements Session {
        private int rows;
        private int pastLength;
        private OrtSession.Result step;
        private AutoCloseable gathered;
        private boolean sessionClosed;

        OnnxSession(int rows) {
            this.rows = rows;
        }

        void first(float[] prefixes) {
            OnnxTensor[] past = new OnnxTensor[2 * layers];
            try {
                for (int i = 0; i < past.length; i++) {
                    past[i] = floatTensor(new float[0], new long[] {rows, heads, 0, headDim});
                }
                runStep(prefixes, new long[rows], true, past);
            } finally {
                for (OnnxTensor t : past) {
                    closeQuietly(t);
                }
            }
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public float[][] logits() {
            ensureOpen();
            OnnxTensor logits = output(step, "logits");
            FloatBuffer buf = logits.getFloatBuffer();
            if (buf.remaining() != (long) rows * vocabularySize) {
                throw new InferenceException("decoder " + source + " returned " + buf.remaining()
                        + " logits, expected " + rows + " x " + vocabularySize);
            }
            float[][] out = new float[rows][vocabularySize];
            for (int r = 0; r < rows; r++) {
                buf.get(out[r]);
            }
            return out;
        }

        @Override
        public void advance(int[] nextTokens, int[] parentRows) {
            ensureOpen();
            if (nextTokens == null || parentRows == null || nextTokens.length != parentRows.length
                    || nextTokens.length == 0) {
                throw new InvalidInputException("advance needs one token and one parent row per new row, found "
                        + (nextTokens == null ? "null" : nextTokens.length) + " tokens and "
                        + (parentRows == null ? "null" : parentRows.length) + " parents");
            }
            int n = nextTokens.length;
            boolean identity = n == rows;
            long[] ids = new long[n];
            for (int r = 0; r < n; r++) {
                if (parentRows[r] < 0 || parentRows[r] >= rows) {
                    throw new InvalidInputException("parent row " + parentRows[r] + " is out of range: expected 0.."
                            + (rows - 1));
                }
                if (nextTokens[r] < 0 || nextTokens[r] >= vocabularySize) {
                    throw new InvalidInputException("token " + nextTokens[r] + " is out of range: expected 0.."
                            + (vocabularySize - 1));
                }
                identity &= parentRows[r] == r;
                ids[r] = nextTokens[r];
            }
            try {
                OnnxTensor[] past = new OnnxTensor[2 * layers];
                for (int i = 0; i < past.length; i++) {
                    past[i] = output(step, presentNames[i]);
                }
                if (!identity) {
                    past = gather(past, parentRows);
                }
                rows = n;
                runStep(new float[n * prefixDim], ids, false, past);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        /** Runs one decoder step on {@code past}, then releases the previous step's and gather's tensors. */
        private void runStep(float[] prefix, long[] ids, boolean usePrefix, OnnxTensor[] past) {
            Map<String, OnnxTensor> in = new HashMap<>();
            try (OnnxTensor prefixT = floatTensor(prefix, new long[] {rows, prefixDim});
                 OnnxTensor idsT = longTensor(ids, new long[] {rows, 1});
                 OnnxTensor useT = boolTensor(usePrefix)) {
                in.put("prefix", prefixT);
                in.put("input_ids", idsT);
                in.put("use_prefix", useT);
                for (int i = 0; i < past.length; i++) {
                    in.put(pastNames[i], past[i]);
                }
                OrtSession.Result next = run(session, in, usePrefix ? "the prefix step" : "a token step");
                OrtSession.Result previous = step;
                AutoCloseable previousGathered = gathered;
                step = next;
                gathered = null;
                closeQuietly(previous);
                closeQuietly(previousGathered);
                pastLength++;
            }
        }

        private OnnxTensor[] gather(OnnxTensor[] present, int[] parentRows) {
            closeQuietly(gathered);
            gathered = null;
            KvCacheReorder.Reordered r = cache.gather(present, parentRows, pastLength, OnnxLanguageModel.this::run);
            gathered = r;
            return r.tensors();
        }

        private OnnxTensor output(OrtSession.Result result, String name) {
            OnnxValue v = result.get(name).orElseThrow(() -> new InferenceException("decoder " + source
                    + " returned no output " + name));
            if (!(v instanceof OnnxTensor t)) {
                throw new InferenceException("decoder output " + name + " of " + source + " is not a tensor");
            }
            return t;
        }

        private void ensureOpen() {
            if (sessionClosed) {
                throw new ClosedException("this decoding session is closed (or failed); start a new one");
            }
            guard.ensureOpen();
        }

        @Override
        public void close() {
            if (!sessionClosed) {
                sessionClosed = true;
                closeQuietly(step);
                closeQuietly(gathered);
                step = null;
                gathered = null;
            }
        }
    }

    /** Builder. The model path is required. */
    public static final class Builder {
        private Path modelPath;
        private OnnxOptions options = OnnxOptions.DEFAULT;
        private CacheReorder reorder = CacheReorder.fromProperty();

        private Builder() {
        }

        /** Required: the path of {@code decoder.onnx}. */
        public Builder model(Path path) {
            this.modelPath = path;
            return this;
        }

        /**
         * Required: the path of {@code decoder.onnx}.
         *
         * @deprecated renamed {@link #model(Path)}, as on the encoders' builders; this alias goes in the next release
         */
        @Deprecated
        public Builder modelPath(Path path) {
            return model(path);
        }

        /** Optional. Default: {@link OnnxOptions#DEFAULT}. */
        public Builder onnxOptions(OnnxOptions options) {
            this.options = options;
            return this;
        }

        /** Comparison only (tests of this package). Default: the gather graph, or {@link #CACHE_REORDER_PROPERTY}. */
        Builder cacheReorder(CacheReorder reorder) {
            this.reorder = reorder;
            return this;
        }

        public OnnxLanguageModel build() {
            if (modelPath == null) {
                throw new ConfigurationException("the decoder model is not set; call model(path) with the path of "
                        + "decoder.onnx");
            }
            if (options == null || reorder == null) {
                throw new ConfigurationException("onnxOptions and cacheReorder must not be null");
            }
            return new OnnxLanguageModel(this);
        }
    }
}
