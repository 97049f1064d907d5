/*
 * OrtRun: runs ONNX models in ONNX Runtime Java for the Python tools (there is no onnxruntime for Python here).
 *
 * Launch (single-file source program, Java 17):
 *   java -cp onnxruntime-1.24.1.jar tools/OrtRun.java REQUEST.json      one request, response JSON on stdout
 *   java -cp onnxruntime-1.24.1.jar tools/OrtRun.java --serve           one request per stdin line, one response
 *                                                                        per stdout line, until EOF
 *
 * Request (one JSON object):
 *   {"model": "/abs/model.onnx",
 *    "inputs": {"NAME": {"dtype": "float32|float64|int64|int32|bool|uint8", "shape": [2, 1], "file": "/abs/x.bin"}},
 *    "outputs": ["logits"],          optional; default: every output of the model
 *    "out_dir": "/abs/dir",          where output tensors are written as NAME.bin (name sanitised)
 *    "threads": 1,                   optional intra-op threads (default 1: the machine is shared)
 *    "opt_level": "all"}             optional: none | basic | extended | all (default all)
 *   Tensor files are raw little-endian C-order data (bool/uint8: one byte per element). Zero-size tensors are
 *   allowed (empty file).
 * Extra request kinds: {"describe": "/abs/model.onnx"} answers the model's input/output names, types and shapes.
 * Response: {"ok": true, "outputs": {"NAME": {"dtype": ..., "shape": [...], "file": ...}}, "run_ms": 1.23}
 *        or {"ok": false, "error": "what went wrong"}.
 * Sessions are cached per (model, threads, opt_level) for the life of the process, so --serve pays the load once.
 */

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class OrtRun {

    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private static final Map<String, OrtSession> SESSIONS = new HashMap<>();

    private OrtRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("--serve")) {
            serve();
            return;
        }
        if (args.length != 1) {
            System.err.println("usage: java -cp onnxruntime.jar OrtRun.java (REQUEST.json | --serve)");
            System.exit(2);
        }
        String response = handle(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        System.out.println(response);
        closeAll();
        System.exit(response.startsWith("{\"ok\": true") ? 0 : 1);
    }

    private static void serve() throws IOException {
        // Responses go to the real stdout; anything ORT prints is kept away from the protocol stream.
        PrintStream protocol = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        protocol.println("{\"ok\": true, \"ready\": true}");
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            protocol.println(handle(line));
        }
        closeAll();
    }

    private static void closeAll() {
        for (OrtSession s : SESSIONS.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                System.err.println("warning: closing a session failed: " + e.getMessage());
            }
        }
        SESSIONS.clear();
    }

    private static String handle(String requestText) {
        try {
            Map<String, Object> req = asObject(new Json(requestText).parse(), "request");
            if (req.containsKey("describe")) {
                return describe(session((String) req.get("describe"), 1, "all"));
            }
            return run(req);
        } catch (Exception e) {
            return "{\"ok\": false, \"error\": " + quote(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}";
        }
    }

    private static OrtSession session(String model, int threads, String optLevel) throws OrtException {
        String key = model + "|" + threads + "|" + optLevel;
        OrtSession s = SESSIONS.get(key);
        if (s == null) {
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(threads);
                opts.setInterOpNumThreads(1);
                opts.setOptimizationLevel(switch (optLevel) {
                    case "none" -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                    case "basic" -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                    case "extended" -> OrtSession.SessionOptions.OptLevel.EXTENDED_OPT;
                    case "all" -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
                    default -> throw new IllegalArgumentException(
                            "opt_level must be none, basic, extended or all, found " + optLevel);
                });
                s = ENV.createSession(model, opts);
            }
            SESSIONS.put(key, s);
        }
        return s;
    }

    private static String describe(OrtSession s) throws OrtException {
        StringBuilder sb = new StringBuilder("{\"ok\": true, \"inputs\": ");
        appendInfos(sb, s.getInputInfo());
        sb.append(", \"outputs\": ");
        appendInfos(sb, s.getOutputInfo());
        return sb.append('}').toString();
    }

    private static void appendInfos(StringBuilder sb, Map<String, NodeInfo> infos) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<String, NodeInfo> e : infos.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(quote(e.getKey())).append(": ");
            if (e.getValue().getInfo() instanceof TensorInfo ti) {
                sb.append("{\"dtype\": ").append(quote(dtypeName(ti.type))).append(", \"shape\": ");
                appendShape(sb, ti.getShape());
                sb.append('}');
            } else {
                sb.append(quote(e.getValue().getInfo().toString()));
            }
        }
        sb.append('}');
    }

    @SuppressWarnings("unchecked")
    private static String run(Map<String, Object> req) throws Exception {
        String model = (String) req.get("model");
        if (model == null) {
            throw new IllegalArgumentException("request has no \"model\"");
        }
        int threads = req.containsKey("threads") ? ((Number) req.get("threads")).intValue() : 1;
        String optLevel = req.containsKey("opt_level") ? (String) req.get("opt_level") : "all";
        OrtSession s = session(model, threads, optLevel);
        Path outDir = Path.of((String) req.get("out_dir"));
        Files.createDirectories(outDir);
        Map<String, Object> inputs = asObject(req.get("inputs"), "inputs");
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Object> e : inputs.entrySet()) {
                feeds.put(e.getKey(), readTensor(e.getKey(), asObject(e.getValue(), e.getKey())));
            }
            java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
            if (req.get("outputs") instanceof List<?> names) {
                for (Object n : names) {
                    wanted.add((String) n);
                }
            } else {
                wanted.addAll(s.getOutputNames());
            }
            long t0 = System.nanoTime();
            try (OrtSession.Result result = s.run(feeds, wanted)) {
                double ms = (System.nanoTime() - t0) / 1e6;
                StringBuilder sb = new StringBuilder("{\"ok\": true, \"outputs\": {");
                boolean first = true;
                for (Map.Entry<String, OnnxValue> e : result) {
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        throw new IllegalStateException("output " + e.getKey() + " is not a tensor");
                    }
                    Path file = outDir.resolve(e.getKey().replaceAll("[^A-Za-z0-9_.-]", "_") + ".bin");
                    writeTensor(t, file);
                    if (!first) {
                        sb.append(", ");
                    }
                    first = false;
                    sb.append(quote(e.getKey())).append(": {\"dtype\": ")
                            .append(quote(dtypeName(t.getInfo().type))).append(", \"shape\": ");
                    appendShape(sb, t.getInfo().getShape());
                    sb.append(", \"file\": ").append(quote(file.toAbsolutePath().toString())).append('}');
                }
                return sb.append("}, \"run_ms\": ").append(ms).append('}').toString();
            }
        } finally {
            for (OnnxTensor t : feeds.values()) {
                t.close();
            }
        }
    }

    private static OnnxTensor readTensor(String name, Map<String, Object> spec) throws IOException, OrtException {
        String dtype = (String) spec.get("dtype");
        List<Object> shapeList = asArray(spec.get("shape"), name + ".shape");
        long[] shape = new long[shapeList.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = ((Number) shapeList.get(i)).longValue();
            count *= shape[i];
        }
        byte[] bytes = Files.readAllBytes(Path.of((String) spec.get("file")));
        int width = byteWidth(dtype);
        if (bytes.length != count * width) {
            throw new IllegalArgumentException("input " + name + ": expected " + (count * width) + " bytes for "
                    + dtype + " shape " + shapeList + ", found " + bytes.length);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(bytes.length, 0)).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(bytes).flip();
        return switch (dtype) {
            case "float32" -> OnnxTensor.createTensor(ENV, buf.asFloatBuffer(), shape);
            case "float64" -> OnnxTensor.createTensor(ENV, buf.asDoubleBuffer(), shape);
            case "int64" -> OnnxTensor.createTensor(ENV, buf.asLongBuffer(), shape);
            case "int32" -> OnnxTensor.createTensor(ENV, buf.asIntBuffer(), shape);
            case "bool" -> OnnxTensor.createTensor(ENV, buf, shape, OnnxJavaType.BOOL);
            case "uint8" -> OnnxTensor.createTensor(ENV, buf, shape, OnnxJavaType.UINT8);
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype + " for input " + name);
        };
    }

    private static void writeTensor(OnnxTensor t, Path file) throws IOException {
        OnnxJavaType type = t.getInfo().type;
        ByteBuffer out;
        switch (type) {
            case FLOAT -> {
                var src = t.getFloatBuffer();
                out = ByteBuffer.allocate(src.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
                out.asFloatBuffer().put(src);
            }
            case DOUBLE -> {
                var src = t.getDoubleBuffer();
                out = ByteBuffer.allocate(src.remaining() * 8).order(ByteOrder.LITTLE_ENDIAN);
                out.asDoubleBuffer().put(src);
            }
            case INT64 -> {
                var src = t.getLongBuffer();
                out = ByteBuffer.allocate(src.remaining() * 8).order(ByteOrder.LITTLE_ENDIAN);
                out.asLongBuffer().put(src);
            }
            case INT32 -> {
                var src = t.getIntBuffer();
                out = ByteBuffer.allocate(src.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
                out.asIntBuffer().put(src);
            }
            case BOOL, UINT8, INT8 -> {
                var src = t.getByteBuffer();
                out = ByteBuffer.allocate(src.remaining());
                out.put(src);
            }
            default -> throw new IllegalStateException("unsupported output type " + type);
        }
        Files.write(file, out.array());
    }

    private static int byteWidth(String dtype) {
        return switch (dtype) {
            case "float32", "int32" -> 4;
            case "float64", "int64" -> 8;
            case "bool", "uint8" -> 1;
            default -> throw new IllegalArgumentException("unsupported dtype " + dtype);
        };
    }

    private static String dtypeName(OnnxJavaType type) {
        return switch (type) {
            case FLOAT -> "float32";
            case DOUBLE -> "float64";
            case INT64 -> "int64";
            case INT32 -> "int32";
            case BOOL -> "bool";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            default -> type.name().toLowerCase();
        };
    }

    private static void appendShape(StringBuilder sb, long[] shape) {
        sb.append('[');
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        sb.append(']');
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : String.valueOf(s).toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object o, String what) {
        if (!(o instanceof Map)) {
            throw new IllegalArgumentException(what + " must be a JSON object");
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asArray(Object o, String what) {
        if (!(o instanceof List)) {
            throw new IllegalArgumentException(what + " must be a JSON array");
        }
        return (List<Object>) o;
    }

    /** Minimal JSON reader for the request format (objects, arrays, strings, numbers, true/false/null). */
    private static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("trailing characters");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (peek('}')) {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (peek(',')) {
                        i++;
                    } else {
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[') {
                i++;
                List<Object> a = new ArrayList<>();
                ws();
                if (peek(']')) {
                    i++;
                    return a;
                }
                while (true) {
                    a.add(value());
                    ws();
                    if (peek(',')) {
                        i++;
                    } else {
                        expect(']');
                        return a;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            if (s.startsWith("true", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("false", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (s.startsWith("null", i)) {
                i += 4;
                return null;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
            if (start == i) {
                throw error("unexpected character '" + c + "'");
            }
            String num = s.substring(start, i);
            if (num.contains(".") || num.contains("e") || num.contains("E")) {
                return Double.parseDouble(num);
            }
            return Long.parseLong(num);
        }

        private String string() {
            expect('"');
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("unterminated string");
                }
                char c = s.charAt(i++);
                if (c == '"') {
                    return sb.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> sb.append('\n');
                        case 't' -> sb.append('\t');
                        case 'r' -> sb.append('\r');
                        case 'b' -> sb.append('\b');
                        case 'f' -> sb.append('\f');
                        case 'u' -> {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> sb.append(e);
                    }
                } else {
                    sb.append(c);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private boolean peek(char c) {
            return i < s.length() && s.charAt(i) == c;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("bad request JSON at offset " + i + ": " + what);
        }
    }
}
