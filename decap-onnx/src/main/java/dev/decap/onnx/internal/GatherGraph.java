package dev.decap.onnx.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a tiny ONNX model that gathers rows (axis 0) of several float tensors with one index vector: inputs
 * {@code indices} int64 {@code [n]} and {@code x0..x(k-1)} float32 of rank {@code rank} with symbolic dimensions;
 * outputs {@code y0..y(k-1)}. Used to reorder a decoder's key/value cache inside ONNX Runtime, so that the cache is
 * never copied through Java memory.
 *
 * <p>The protobuf is written by hand (a few fields of {@code onnx.ModelProto}) to avoid a protobuf dependency.
 */
public final class GatherGraph {
    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private GatherGraph() {
    }

    /** Name of input {@code i}. */
    public static String input(int i) {
        return "x" + i;
    }

    /** Name of output {@code i}. */
    public static String output(int i) {
        return "y" + i;
    }

    /** Serialized ModelProto gathering {@code tensors} tensors of rank {@code rank}. */
    public static byte[] model(int tensors, int rank) {
        Proto graph = new Proto();
        for (int i = 0; i < tensors; i++) {
            Proto node = new Proto()
                    .string(1, input(i))
                    .string(1, "indices")
                    .string(2, output(i))
                    .string(3, "gather" + i)
                    .string(4, "Gather");
            graph.message(1, node);
        }
        graph.string(2, "decap_kv_gather");
        graph.message(11, valueInfo("indices", INT64, new String[] {"n"}));
        for (int i = 0; i < tensors; i++) {
            String[] dims = new String[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = "d" + i + "_" + d;
            }
            graph.message(11, valueInfo(input(i), FLOAT, dims));
        }
        for (int i = 0; i < tensors; i++) {
            String[] dims = new String[rank];
            dims[0] = "n";
            for (int d = 1; d < rank; d++) {
                dims[d] = "d" + i + "_" + d;
            }
            graph.message(12, valueInfo(output(i), FLOAT, dims));
        }
        return new Proto()
                .varint(1, 8) // ir_version
                .string(2, "decap")
                .message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 13)) // opset_import: ai.onnx 13
                .bytes();
    }

    private static Proto valueInfo(String name, int elemType, String[] dims) {
        Proto shape = new Proto();
        for (String d : dims) {
            shape.message(1, new Proto().string(2, d));
        }
        Proto tensor = new Proto().varint(1, elemType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }

    /** Minimal protobuf writer: varint and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto string(int field, String value) {
            return raw(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return raw(field, message.bytes());
        }

        private Proto raw(int field, byte[] data) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(data.length);
            out.writeBytes(data);
            return this;
        }

        private void writeVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
