package dev.decap.onnx.bundle;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A cheap structural check of an ONNX file, done on every bundle open (even without checksum verification): the
 * file must parse as the top level of a protobuf {@code ModelProto}: a sequence of fields with valid tags and wire
 * types whose lengths end exactly at the end of the file, including an {@code ir_version} (field 1, varint) and a
 * {@code graph} (field 7, length-delimited). Only the tags and lengths of the top-level fields are read (the graph is
 * skipped over by its length), so a truncated file, a file of zeros or another format is caught in microseconds;
 * corrupted bytes inside the graph are what the SHA-256 check is for. Stateless.
 */
final class OnnxStructure {
    /** More top-level fields than any real model has (opset imports, metadata, functions). */
    private static final int MAX_FIELDS = 100_000;
    private static final int IR_VERSION = 1;
    private static final int GRAPH = 7;

    private OnnxStructure() {
    }

    /**
     * Checks the file.
     *
     * @return null when it is structurally an ONNX model, else what is wrong with it
     */
    static String problem(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                return "is empty";
            }
            long pos = 0;
            boolean irVersion = false;
            boolean graph = false;
            ByteBuffer buf = ByteBuffer.allocate(20);
            for (int fields = 0; pos < size; fields++) {
                if (fields >= MAX_FIELDS) {
                    return "has more than " + MAX_FIELDS + " top-level fields; it is not an ONNX model";
                }
                long[] tag = varint(ch, pos, size, buf);
                if (tag == null) {
                    return "ends inside a field tag at byte " + pos + " (truncated?)";
                }
                long fieldNumber = tag[0] >>> 3;
                int wireType = (int) (tag[0] & 7);
                if (fieldNumber == 0 || fieldNumber > 536_870_911L) {
                    return "does not start like an ONNX model: invalid protobuf field number " + fieldNumber
                            + " at byte " + pos;
                }
                long start = pos;
                pos = tag[1];
                switch (wireType) {
                    case 0 -> {
                        long[] v = varint(ch, pos, size, buf);
                        if (v == null) {
                            return "ends inside field " + fieldNumber + " at byte " + start + " (truncated?)";
                        }
                        pos = v[1];
                        irVersion |= fieldNumber == IR_VERSION;
                    }
                    case 1 -> pos += 8;
                    case 5 -> pos += 4;
                    case 2 -> {
                        long[] len = varint(ch, pos, size, buf);
                        if (len == null || len[0] < 0) {
                            return "ends inside the length of field " + fieldNumber + " at byte " + start
                                    + " (truncated?)";
                        }
                        pos = len[1] + len[0];
                        graph |= fieldNumber == GRAPH;
                        if (pos < 0) {
                            return "declares an impossible length for field " + fieldNumber;
                        }
                    }
                    default -> {
                        return "does not look like an ONNX model: protobuf wire type " + wireType + " at byte "
                                + start;
                    }
                }
                if (pos > size) {
                    return "is truncated: field " + fieldNumber + " at byte " + start + " needs " + pos
                            + " bytes, the file has " + size;
                }
            }
            if (!graph) {
                return "has no graph (ONNX ModelProto field 7); it is not an ONNX model";
            }
            if (!irVersion) {
                return "has no ir_version (ONNX ModelProto field 1); it is not an ONNX model";
            }
            return null;
        }
    }

    /** A varint at {@code pos}: {value, position after it}, or null when the file ends inside it or it is too long. */
    private static long[] varint(FileChannel ch, long pos, long size, ByteBuffer buf) throws IOException {
        buf.clear();
        buf.limit((int) Math.min(10, size - pos));
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                break;
            }
        }
        buf.flip();
        long value = 0;
        for (int i = 0; i < buf.limit(); i++) {
            int b = buf.get(i) & 0xff;
            value |= (long) (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                return new long[] {value, pos + i + 1};
            }
        }
        return null;
    }
}
