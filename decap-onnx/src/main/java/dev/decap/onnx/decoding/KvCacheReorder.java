package dev.decap.onnx.decoding;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.decap.InferenceException;
import dev.decap.ModelException;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.internal.GatherGraph;
import dev.decap.onnx.internal.OrtSessions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Reorders the rows of the decoder's key/value cache between steps (beam search duplicates and drops rows,
 * finished sequences leave the batch). The default runs a tiny ONNX {@code Gather} graph, so the cache never leaves
 * ONNX Runtime's memory; {@link OnnxLanguageModel.CacheReorder#JAVA_COPY}, for comparison only, copies the rows
 * through direct Java buffers. Owns the gather session; thread-safe (each call allocates its own result).
 */
final class KvCacheReorder implements AutoCloseable {

    /** Runs a session under the decoder's close guard and turns failures into decap's exceptions. */
    @FunctionalInterface
    interface Runner {
        OrtSession.Result run(OrtSession session, Map<String, OnnxTensor> inputs, String what);
    }

    /** Reordered cache tensors and what owns them (a gather result, or Java-built tensors). */
    record Reordered(OnnxTensor[] tensors, AutoCloseable owner) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            owner.close();
        }
    }

    private final OnnxLanguageModel.CacheReorder kind;
    private final OrtEnvironment env;
    private final OrtSession gatherSession;
    private final int heads;
    private final int headDim;

    KvCacheReorder(OnnxLanguageModel.CacheReorder kind, OnnxOptions options, int layers, int heads, int headDim) {
        this.kind = kind;
        this.env = OrtSessions.environment();
        this.heads = heads;
        this.headDim = headDim;
        if (kind == OnnxLanguageModel.CacheReorder.ONNX_GATHER) {
            try (OrtSession.SessionOptions gso = gatherOptions(options)) {
                this.gatherSession = OrtSessions.create(GatherGraph.model(2 * layers, 4), gso);
            } catch (OrtException e) {
                throw new ModelException("cannot create the key/value cache gather graph: " + e.getMessage(), e);
            }
        } else {
            this.gatherSession = null;
        }
    }

    /**
     * Options of the gather graph. A row copy gains nothing from intra-op threads; measured on the full-size
     * decoder (beam 5, 2 shared cores) a 2-thread gather grew from 9 to 17 ms per step between steps 10 and 20,
     * one thread stays flat. Without the arena each step's (larger) cache is a plain allocation that is freed when
     * its result closes, instead of a new arena chunk per step.
     */
    private static OrtSession.SessionOptions gatherOptions(OnnxOptions options) throws OrtException {
        OrtSession.SessionOptions so = options.toSessionOptions();
        try {
            so.setIntraOpNumThreads(1);
            so.setCPUArenaAllocator(false);
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    OnnxLanguageModel.CacheReorder kind() {
        return kind;
    }

    /**
     * The cache rows {@code parentRows} of {@code present} (tensors {@code [rows, heads, pastLength, headDim]}),
     * in that order. The caller closes the result once the next step has consumed it.
     */
    Reordered gather(OnnxTensor[] present, int[] parentRows, int pastLength, Runner runner) {
        if (kind == OnnxLanguageModel.CacheReorder.ONNX_GATHER) {
            long[] idx = new long[parentRows.length];
            for (int r = 0; r < idx.length; r++) {
                idx[r] = parentRows[r];
            }
            Map<String, OnnxTensor> in = new HashMap<>();
            try (OnnxTensor indices = OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(idx),
                    new long[] {idx.length})) {
                in.put("indices", indices);
                for (int i = 0; i < present.length; i++) {
                    in.put(GatherGraph.input(i), present[i]);
                }
                OrtSession.Result r = runner.run(gatherSession, in, "the cache gather");
                OnnxTensor[] out = new OnnxTensor[present.length];
                for (int i = 0; i < out.length; i++) {
                    OnnxValue v = r.get(GatherGraph.output(i)).orElse(null);
                    if (!(v instanceof OnnxTensor t)) {
                        r.close();
                        throw new InferenceException("the cache gather returned no tensor " + GatherGraph.output(i));
                    }
                    out[i] = t;
                }
                return new Reordered(out, r);
            } catch (OrtException e) {
                throw new InferenceException("cannot create the cache gather's indices: " + e.getMessage(), e);
            }
        }
        OnnxTensor[] tensors = new OnnxTensor[present.length];
        AutoCloseable owner = () -> {
            for (OnnxTensor t : tensors) {
                if (t != null) {
                    t.close();
                }
            }
        };
        int rowFloats = heads * pastLength * headDim;
        try {
            for (int i = 0; i < present.length; i++) {
                FloatBuffer src = present[i].getFloatBuffer();
                FloatBuffer dst = ByteBuffer.allocateDirect(parentRows.length * rowFloats * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                for (int r = 0; r < parentRows.length; r++) {
                    dst.put(src.slice(parentRows[r] * rowFloats, rowFloats));
                }
                dst.rewind();
                tensors[i] = OnnxTensor.createTensor(env, dst,
                        new long[] {parentRows.length, heads, pastLength, headDim});
            }
        } catch (OrtException e) {
            try {
                owner.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new InferenceException("cannot create a cache tensor: " + e.getMessage(), e);
        }
        return new Reordered(tensors, owner);
    }

    @Override
    public void close() {
        if (gatherSession != null) {
            try {
                gatherSession.close();
            } catch (OrtException e) {
                // Nothing to do: the session's native memory is released by ONNX Runtime either way.
            }
        }
    }
}
