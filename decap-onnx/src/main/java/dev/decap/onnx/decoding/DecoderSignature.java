package dev.decap.onnx.decoding;

import ai.onnxruntime.OnnxJavaType;
import dev.decap.ModelException;
import dev.decap.onnx.internal.ModelSignature;
import dev.decap.onnx.internal.TensorSpec;

import java.util.Arrays;

/**
 * The decoder's I/O contract (docs/model-bundle.md), checked on a {@link ModelSignature} with the same
 * {@link TensorSpec} checks and message forms as the CLIP encoders: inputs {@code prefix [batch, prefix_dim]} float,
 * {@code input_ids [batch, 1]} int64, {@code use_prefix [1]} bool, {@code past_key_values.{i}.key/value
 * [batch, heads, past, head_dim]} float; outputs {@code logits [batch, vocab]} float and {@code present.{i}.key/value}
 * of the cache's shape. Separate from the session so that it can be tested on signatures written by hand.
 *
 * @param layers    transformer layers (pairs of cache tensors)
 * @param heads     attention heads
 * @param headDim   width of one head
 * @param prefixDim length of the prefix vector
 * @param vocab     decoder vocabulary size (logits per row)
 */
record DecoderSignature(int layers, int heads, int headDim, int prefixDim, int vocab) {

    /**
     * Checks {@code signature} against the decoder's I/O contract.
     *
     * @throws ModelException naming the model file, the tensor, and what was expected and found
     */
    static DecoderSignature of(ModelSignature signature) {
        String source = "decoder " + signature.file();
        long[] prefix = require(signature, true, "prefix", 2, OnnxJavaType.FLOAT, source);
        require(signature, true, "input_ids", 2, OnnxJavaType.INT64, source);
        require(signature, true, "use_prefix", 1, OnnxJavaType.BOOL, source);
        long[] logits = require(signature, false, "logits", 2, OnnxJavaType.FLOAT, source);
        int layers = 0;
        while (signature.input("past_key_values." + layers + ".key").isPresent()) {
            layers++;
        }
        if (layers == 0) {
            throw new ModelException(source + " has no input past_key_values.0.key; expected the KV-cache decoder "
                    + "(inputs prefix, input_ids, use_prefix, past_key_values.{i}.key/value), found inputs "
                    + signature.inputNames());
        }
        int expectedInputs = 3 + 2 * layers;
        int expectedOutputs = 1 + 2 * layers;
        if (signature.inputs().size() != expectedInputs || signature.outputs().size() != expectedOutputs) {
            throw new ModelException(source + " has the wrong number of inputs/outputs for " + layers + " layers: "
                    + "expected " + expectedInputs + " inputs and " + expectedOutputs + " outputs, found "
                    + signature.inputs().size() + " and " + signature.outputs().size() + " ("
                    + signature.describe() + ")");
        }
        long[] first = require(signature, true, "past_key_values.0.key", 4, OnnxJavaType.FLOAT, source);
        for (int i = 0; i < layers; i++) {
            for (String kind : new String[] {"key", "value"}) {
                long[] p = require(signature, true, "past_key_values." + i + "." + kind, 4, OnnxJavaType.FLOAT,
                        source);
                long[] q = require(signature, false, "present." + i + "." + kind, 4, OnnxJavaType.FLOAT, source);
                if (p[1] != first[1] || p[3] != first[3] || q[1] != first[1] || q[3] != first[3]) {
                    throw new ModelException(source + ": the cache tensors of layer " + i + " (" + kind
                            + ") disagree with layer 0 on heads/head size: expected " + first[1] + " x " + first[3]
                            + ", found " + p[1] + " x " + p[3] + " in, " + q[1] + " x " + q[3] + " out");
                }
            }
        }
        if (first[1] <= 0 || first[3] <= 0 || prefix[1] <= 0 || logits[1] <= 0) {
            throw new ModelException(source + " must have fixed heads, head size, prefix and vocabulary dimensions, "
                    + "found past " + Arrays.toString(first) + ", prefix " + Arrays.toString(prefix) + ", logits "
                    + Arrays.toString(logits));
        }
        return new DecoderSignature(layers, (int) first[1], (int) first[3], (int) prefix[1], (int) logits[1]);
    }

    private static long[] require(ModelSignature signature, boolean input, String name, int rank,
                                  OnnxJavaType type, String source) {
        String kind = input ? "input" : "output";
        TensorSpec spec = (input ? signature.input(name) : signature.output(name)).orElseThrow(() ->
                new ModelException(source + " has no " + kind + " named " + name + "; found "
                        + (input ? signature.inputNames() : signature.outputNames())
                        + " (see docs/model-bundle.md for the decoder's I/O contract)"));
        if (!spec.isTensor()) {
            throw new ModelException(source + ": " + kind + " " + name + " is " + spec.typeName()
                    + "; expected a tensor");
        }
        if (spec.type() != type) {
            String expected = new TensorSpec(name, type, new long[0]).typeName();
            throw new ModelException(source + ": " + kind + " " + name + " has the wrong type: expected " + expected
                    + ", found " + spec.typeName());
        }
        if (spec.rank() != rank) {
            throw new ModelException(source + ": " + kind + " " + name + " has the wrong rank: expected " + rank
                    + ", found " + spec.rank() + " (" + spec.shapeText() + ")");
        }
        return spec.shape();
    }
}
