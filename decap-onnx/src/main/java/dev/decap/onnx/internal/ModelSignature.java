package dev.decap.onnx.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.decap.ModelException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The declared inputs and outputs of one model file, in the model's order. Separate from the session so that
 * validation can be tested on signatures written by hand.
 *
 * @param file    the model file, named in every message
 * @param inputs  declared inputs
 * @param outputs declared outputs
 */
public record ModelSignature(Path file, List<TensorSpec> inputs, List<TensorSpec> outputs) {

    public ModelSignature {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /** Reads the signature of an open session. */
    public static ModelSignature of(OrtSession session, Path file) {
        try {
            return new ModelSignature(file, specs(session.getInputInfo().values()),
                    specs(session.getOutputInfo().values()));
        } catch (OrtException e) {
            throw new ModelException("cannot read the inputs and outputs of model " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<TensorSpec> specs(Iterable<NodeInfo> nodes) {
        List<TensorSpec> out = new ArrayList<>();
        for (NodeInfo node : nodes) {
            out.add(TensorSpec.of(node));
        }
        return out;
    }

    public List<String> inputNames() {
        return inputs.stream().map(TensorSpec::name).toList();
    }

    public List<String> outputNames() {
        return outputs.stream().map(TensorSpec::name).toList();
    }

    public Optional<TensorSpec> input(String name) {
        return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<TensorSpec> output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** Inputs and outputs with types and shapes, for messages. */
    public String describe() {
        return "inputs " + inputs.stream().map(TensorSpec::toString).collect(Collectors.joining(", ", "{", "}"))
                + ", outputs " + outputs.stream().map(TensorSpec::toString).collect(Collectors.joining(", ", "{", "}"));
    }
}
