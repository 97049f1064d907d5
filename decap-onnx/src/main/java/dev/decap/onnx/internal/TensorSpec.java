package dev.decap.onnx.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;

import java.util.Arrays;

/**
 * What a model declares about one input or output: name, element type and shape ({@code -1} for a dynamic axis).
 * A value that is not a tensor (a sequence or map) has type {@code null} and an empty shape.
 */
public record TensorSpec(String name, OnnxJavaType type, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
    }

    /** Reads the declaration ONNX Runtime reports for a node. */
    public static TensorSpec of(NodeInfo node) {
        if (node.getInfo() instanceof TensorInfo info) {
            return new TensorSpec(node.getName(), info.type, info.getShape());
        }
        return new TensorSpec(node.getName(), null, new long[0]);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of axis {@code i}, or -1 where it is dynamic (named or unknown). */
    public long dim(int i) {
        return shape[i] < 0 ? -1 : shape[i];
    }

    public boolean isTensor() {
        return type != null;
    }

    /** ONNX's spelling of the element type: {@code tensor(float)}, {@code tensor(int64)}. */
    public String typeName() {
        if (type == null) {
            return "a non-tensor value";
        }
        return "tensor(" + switch (type) {
            case FLOAT -> "float";
            case DOUBLE -> "double";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            case INT8 -> "int8";
            case UINT8 -> "uint8";
            case INT16 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case BOOL -> "bool";
            case STRING -> "string";
            default -> type.name().toLowerCase(java.util.Locale.ROOT);
        } + ")";
    }

    /** The shape as a model card writes it: {@code [batch, 3, 224, 224]} with {@code ?} for dynamic axes. */
    public String shapeText() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && type == t.type && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + (type == null ? 0 : type.hashCode())) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + typeName() + " " + shapeText();
    }
}
