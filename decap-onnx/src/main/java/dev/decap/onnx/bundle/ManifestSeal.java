package dev.decap.onnx.bundle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.decap.ModelException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * The seal of a bundle manifest (docs/model-bundle.md, "Sealing"): every file's {@code sha256} and {@code size}, the
 * tokenizer vocabulary's {@code tokenizer.vocabulary_sha256}, and {@code manifest_sha256}, the SHA-256 of the
 * manifest's <em>canonical content</em>:
 * <ol>
 *   <li>the manifest JSON with the top-level {@code manifest_sha256} member removed;</li>
 *   <li>object members sorted by key, comparing keys code point by code point; a key twice in one object is
 *       refused;</li>
 *   <li>no whitespace between tokens;</li>
 *   <li>numbers exactly as written in the manifest (their literal text); {@code true}, {@code false}, {@code null};</li>
 *   <li>strings with only {@code "} and {@code \} escaped (as {@code \"} and {@code \\}) and U+0000..U+001F as
 *       {@code \}{@code u00xx} (lower-case hex); every other character as itself;</li>
 *   <li>encoded as UTF-8.</li>
 * </ol>
 * The Python tools compute the same bytes ({@code tools/decap_tools/bundle.py canonical_bytes}); a test checks both
 * against the sealed fixture bundles. Stateless.
 */
public final class ManifestSeal {
    /** The top-level manifest member holding the SHA-256 of the canonical content. */
    public static final String FIELD = "manifest_sha256";
    /** The largest manifest read, in bytes (a manifest is a few kilobytes). */
    public static final int MAX_MANIFEST_BYTES = 1 << 20;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper JSON = new ObjectMapper(FACTORY).enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestSeal() {
    }

    /**
     * The canonical content of a manifest (see the class comment).
     *
     * @param manifestJson the manifest's bytes (UTF-8 JSON)
     * @throws ModelException if the bytes are not one JSON object, or an object has a key twice
     */
    public static byte[] canonicalBytes(byte[] manifestJson) {
        if (manifestJson == null) {
            throw new dev.decap.InvalidInputException("manifestJson is null; pass the bytes of a manifest");
        }
        try (JsonParser p = FACTORY.createParser(manifestJson)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ModelException("a bundle manifest is a JSON object");
            }
            Object root = read(p);
            if (p.nextToken() != null) {
                throw new ModelException("a bundle manifest is one JSON object; found more after it");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> object = (Map<String, Object>) root;
            object.remove(FIELD);
            StringBuilder out = new StringBuilder(manifestJson.length);
            write(object, out);
            return out.toString().getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new ModelException("the manifest is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelException("cannot read the manifest: " + e.getMessage(), e);
        }
    }

    /** The lower-case hex SHA-256 of {@link #canonicalBytes(byte[])}: the {@code manifest_sha256} it must carry. */
    public static String canonicalSha256(byte[] manifestJson) {
        return HexFormat.of().formatHex(digest().digest(canonicalBytes(manifestJson)));
    }

    /**
     * The SHA-256 of a tokenizer vocabulary's text, as {@code tokenizer.vocabulary_sha256} records it: of the
     * decompressed bytes when the file is gzip (starts with {@code 1f 8b}, as OpenAI's
     * {@code bpe_simple_vocab_16e6.txt.gz}), else of the file's bytes. Recompressing the file does not change it;
     * editing one line does.
     *
     * @throws ModelException naming the file if it cannot be read or is corrupt gzip
     */
    public static String vocabularySha256(Path file) {
        if (file == null) {
            throw new dev.decap.InvalidInputException("file is null; pass the vocabulary file");
        }
        MessageDigest md = digest();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
            raw.reset();
            try (InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) {
                    md.update(buf, 0, n);
                }
            }
        } catch (IOException e) {
            throw new ModelException("cannot read tokenizer vocabulary " + file + " to check its sha256: "
                    + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * (Re)seals the manifest of the bundle in {@code directory} in place, as {@code tools/seal_manifest.py} does:
     * sets {@code sha256} and {@code size} of every object under {@code files} that has a {@code path} (at any
     * depth), {@code tokenizer.vocabulary_sha256} (from {@code vocabulary} when given; from the bundle's own file for
     * a word tokenizer; else kept), and {@code manifest_sha256}. Member order is kept; the file is replaced
     * atomically. Run it after editing a manifest or replacing a bundle file on purpose.
     *
     * @param directory  the bundle directory
     * @param vocabulary the CLIP BPE vocabulary whose sha256 to record, or null to keep the recorded one
     * @return the manifest's new {@code manifest_sha256}
     * @throws ModelException naming the bundle if the manifest is unreadable or a listed file is missing
     */
    public static String seal(Path directory, Path vocabulary) {
        if (directory == null) {
            throw new dev.decap.InvalidInputException("directory is null; pass a bundle directory");
        }
        Path dir = directory.toAbsolutePath().normalize();
        Path manifestFile = dir.resolve(ModelBundle.MANIFEST);
        String where = "bundle manifest " + manifestFile;
        JsonNode root;
        try {
            root = JSON.readTree(ModelBundle.readManifestBytes(manifestFile, where));
        } catch (IOException e) {
            throw new ModelException(where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode manifest)) {
            throw new ModelException(where + " is not a JSON object");
        }
        List<ObjectNode> entries = new ArrayList<>();
        collectEntries(manifest.get("files"), entries);
        for (ObjectNode entry : entries) {
            Path file;
            try {
                file = dir.resolve(entry.get("path").asText()).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new ModelException(where + ": file path " + entry.get("path") + " is not a valid file path ("
                        + e.getReason() + ")", e);
            }
            if (!file.startsWith(dir) || !Files.isRegularFile(file)) {
                throw new ModelException(where + ": file " + entry.get("path").asText() + " is missing or outside "
                        + "the bundle directory; a sealed manifest lists only files inside it");
            }
            entry.put("sha256", ModelBundle.sha256(file));
            try {
                entry.put("size", Files.size(file));
            } catch (IOException e) {
                throw new ModelException(where + ": cannot read the size of " + file + ": " + e.getMessage(), e);
            }
        }
        if (manifest.get("tokenizer") instanceof ObjectNode tok) {
            if (vocabulary != null) {
                tok.put("vocabulary_sha256", vocabularySha256(vocabulary));
            } else if ("word".equals(tok.path("type").asText()) && tok.hasNonNull("vocabulary")) {
                Path vocab = dir.resolve(tok.get("vocabulary").asText()).normalize();
                if (!vocab.startsWith(dir) || !Files.isRegularFile(vocab)) {
                    throw new ModelException(where + ": tokenizer.vocabulary " + tok.get("vocabulary")
                            + " is not a file inside the bundle directory");
                }
                tok.put("vocabulary_sha256", vocabularySha256(vocab));
            }
        }
        manifest.remove(FIELD);
        try {
            DefaultPrettyPrinter pretty = new DefaultPrettyPrinter()
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n"));
            String sha = canonicalSha256(JSON.writeValueAsBytes(manifest));
            manifest.put(FIELD, sha);
            byte[] text = (JSON.writer(pretty).writeValueAsString(manifest) + "\n").getBytes(StandardCharsets.UTF_8);
            if (!canonicalSha256(text).equals(sha)) {
                throw new IllegalStateException("the manifest written differs from the one sealed");
            }
            Path tmp = Files.createTempFile(dir, ModelBundle.MANIFEST + ".", ".tmp");
            try {
                Files.write(tmp, text);
                try {
                    // the temporary file is private (0600): give the manifest back its own permissions
                    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(manifestFile));
                } catch (UnsupportedOperationException notPosix) {
                    // nothing to keep on this file system
                }
                try {
                    Files.move(tmp, manifestFile, StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, manifestFile, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return sha;
        } catch (IOException e) {
            throw new ModelException("cannot write " + where + ": " + e.getMessage(), e);
        }
    }

    private static void collectEntries(JsonNode node, List<ObjectNode> out) {
        if (node instanceof ObjectNode o) {
            if (o.path("path").isTextual()) {
                out.add(o);
            }
            for (JsonNode child : (Iterable<JsonNode>) o::elements) {
                collectEntries(child, out);
            }
        } else if (node != null && node.isArray()) {
            for (JsonNode child : node) {
                collectEntries(child, out);
            }
        }
    }

    /** Reads the value at the current token: a TreeMap (code point order), a List, a Literal or a String. */
    private static Object read(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> object = new TreeMap<>(ManifestSeal::compareCodePoints);
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    object.put(key, read(p));
                }
                return object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    array.add(read(p));
                }
                return array;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> {
                return new Literal(p.getText());
            }
            default -> throw new ModelException("unexpected JSON token " + t + " in the manifest");
        }
    }

    private record Literal(String text) {
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Literal l) {
            out.append(l.text());
        } else if (value instanceof String s) {
            writeString(s, out);
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(list.get(i), out);
            }
            out.append(']');
        } else {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                writeString((String) e.getKey(), out);
                out.append(':');
                write(e.getValue(), out);
            }
            out.append('}');
        }
    }

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1)))
                    && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(s.charAt(i - 1)))) {
                throw new ModelException("the manifest holds an unpaired surrogate (\\u"
                        + Integer.toHexString(c) + "), which is not text");
            }
            if (c == '"') {
                out.append("\\\"");
            } else if (c == '\\') {
                out.append("\\\\");
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
