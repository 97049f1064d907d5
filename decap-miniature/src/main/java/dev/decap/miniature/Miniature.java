package dev.decap.miniature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.ModelException;
import dev.decap.Version;
import dev.decap.decoding.DecodingOptions;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.ProgressListener;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.projection.Projector;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The shipped miniature DeCap model: a tiny CLIP and a decoder trained on text only, for the miniature world of
 * {@code docs/miniature-world.md} (64x64 images of one or two coloured shapes), with its memory corpus. Everything
 * is on the classpath; nothing needs a path or a download:
 *
 * <pre>{@code
 * try (DeCap decap = Miniature.captioner()) {
 *     System.out.println(decap.caption(Path.of("docs/samples/sample_1.png")).text());
 *     // "an orange triangle in the picture"
 * }
 * }</pre>
 *
 * <p>ONNX Runtime opens models from files, so {@link #bundleDirectory()} copies the bundle out of the classpath
 * once per version into a cache directory (system property {@value #CACHE_PROPERTY}, else environment variable
 * {@value #CACHE_ENV}, else {@code ~/.cache/decap}), verifying every file's SHA-256 against the manifest; the copy
 * is written beside its final place and renamed into it, so concurrent first uses and crashes never leave a partial
 * bundle. Stateless and thread-safe; captioners it builds are the caller's to close.
 */
public final class Miniature {
    /** System property naming the cache directory. */
    public static final String CACHE_PROPERTY = "decap.cache.dir";
    /** Environment variable naming the cache directory (when the property is not set). */
    public static final String CACHE_ENV = "DECAP_CACHE_DIR";
    /** Where the model lives on the classpath. */
    public static final String RESOURCE_ROOT = "dev/decap/miniature/";

    private static final String BUNDLE = RESOURCE_ROOT + "bundle/";
    private static final String MEMORY = RESOURCE_ROOT + "memory.txt";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Object LOCK = new Object();
    private static volatile Path extracted;

    private Miniature() {
    }

    /**
     * A ready captioner: the shipped model, projection decoding over the shipped memory, greedy decoding.
     * The caller closes it.
     *
     * @throws ModelException if the model is not on the classpath or fails its checksums
     */
    public static DeCap captioner() {
        return builder().build();
    }

    /** A builder for a captioner over the shipped model with other settings (projector, beam, memory...). */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether the model's files are on the classpath (they are whenever the decap-miniature jar is). */
    public static boolean isAvailable() {
        return Miniature.class.getClassLoader().getResource(BUNDLE + ModelBundle.MANIFEST) != null;
    }

    /**
     * An OnnxDeCap builder over the shipped bundle, for every setting OnnxDeCap has; give it a memory
     * ({@link #memoryCaptions()} for the shipped one).
     */
    public static OnnxDeCap.Builder onnxBuilder() {
        return OnnxDeCap.fromBundle(bundleDirectory());
    }

    /** The shipped memory corpus: one caption per line of {@code memory.txt}, blank lines skipped. */
    public static List<String> memoryCaptions() {
        try (InputStream in = resource(MEMORY)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(s -> !s.isEmpty()).toList();
        } catch (IOException e) {
            throw new ModelException("cannot read the miniature memory corpus " + MEMORY + ": " + e.getMessage(), e);
        }
    }

    /**
     * The bundle as a directory on disk (extracted from the classpath on first use, then reused), checked file by
     * file against the manifest's SHA-256.
     *
     * @throws ModelException if the model is not on the classpath, a file fails its checksum, or the cache
     *                        directory cannot be written (set {@value #CACHE_PROPERTY} to a writable directory)
     */
    public static Path bundleDirectory() {
        Path p = extracted;
        if (p != null && Files.isRegularFile(p.resolve(ModelBundle.MANIFEST))) {
            return p;
        }
        synchronized (LOCK) {
            if (extracted == null || !Files.isRegularFile(extracted.resolve(ModelBundle.MANIFEST))) {
                extracted = extract(cacheRoot());
            }
            return extracted;
        }
    }

    /** The cache root: {@value #CACHE_PROPERTY}, else {@value #CACHE_ENV}, else {@code ~/.cache/decap}. */
    static Path cacheRoot() {
        String prop = System.getProperty(CACHE_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv(CACHE_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "decap");
    }

    /** Extracts (or reuses) the bundle under {@code root}; visible for tests. */
    static Path extract(Path root) {
        byte[] manifestBytes;
        try (InputStream in = resource(BUNDLE + ModelBundle.MANIFEST)) {
            manifestBytes = in.readAllBytes();
        } catch (IOException e) {
            throw new ModelException("cannot read the miniature bundle manifest: " + e.getMessage(), e);
        }
        Map<String, String> files = files(manifestBytes);
        String id = "miniature-" + Version.current() + "-" + sha256(manifestBytes).substring(0, 16);
        Path target = root.resolve(id);
        if (Files.isDirectory(target) && intact(target, files)) {
            return target;
        }
        // One extraction at a time: threads of this JVM by the monitor, other processes by the file lock.
        synchronized (LOCK) {
            try {
                Files.createDirectories(root);
                try (FileChannel channel = FileChannel.open(root.resolve(id + ".lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
                     FileLock ignored = channel.lock()) {
                    if (Files.isDirectory(target) && intact(target, files)) {
                        return target;   // another process finished while we waited
                    }
                    return extractLocked(root, id, target, manifestBytes, files);
                }
            } catch (IOException e) {
                throw new ModelException("cannot extract the miniature bundle into " + root + ": " + e.getMessage()
                        + "; set -D" + CACHE_PROPERTY + "=DIR (or " + CACHE_ENV + ") to a writable directory", e);
            }
        }
    }

    private static Path extractLocked(Path root, String id, Path target, byte[] manifestBytes,
                                      Map<String, String> files) throws IOException {
        Path tmp = root.resolve(id + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            Files.write(tmp.resolve(ModelBundle.MANIFEST), manifestBytes);
            for (Map.Entry<String, String> f : files.entrySet()) {
                copyVerified(f.getKey(), f.getValue(), tmp.resolve(f.getKey()));
            }
            if (Files.exists(target)) {
                // A damaged earlier copy: moved out of the way by a rename, so no reader sees a mix of files.
                Path stale = root.resolve(id + ".stale-" + UUID.randomUUID());
                Files.move(target, stale, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(stale);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new ModelException("cannot rename " + tmp + " to " + target + " atomically; set "
                        + CACHE_PROPERTY + " to a directory on a local file system", e);
            }
            return target;
        } finally {
            if (Files.exists(tmp)) {
                deleteTree(tmp);
            }
        }
    }

    private static Map<String, String> files(byte[] manifestBytes) {
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestBytes);
        } catch (IOException e) {
            throw new ModelException("the miniature bundle manifest is not valid JSON: " + e.getMessage(), e);
        }
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode entries = manifest == null ? null : manifest.get("files");
        if (entries == null || !entries.isObject() || entries.isEmpty()) {
            throw new ModelException("the miniature bundle manifest lists no files");
        }
        entries.fields().forEachRemaining(e -> {
            addFile(out, "files." + e.getKey(), e.getValue());
            // the quantized variants (files.<key>.variants.<precision>) are extracted beside the defaults
            e.getValue().path("variants").fields().forEachRemaining(v ->
                    addFile(out, "files." + e.getKey() + ".variants." + v.getKey(), v.getValue()));
        });
        return out;
    }

    private static void addFile(Map<String, String> out, String field, JsonNode entry) {
        String path = entry.path("path").asText("");
        String sha = entry.path("sha256").asText("");
        if (path.isEmpty() || path.contains("/") || path.contains("\\") || path.startsWith(".")
                || !sha.matches("[0-9a-f]{64}")) {
            throw new ModelException("the miniature bundle manifest's " + field
                    + " needs a plain file name and a lower-case sha256, found " + entry);
        }
        out.put(path, sha);
    }

    private static boolean intact(Path dir, Map<String, String> files) {
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            if (!Files.isRegularFile(p) || !ModelBundle.sha256(p).equals(f.getValue())) {
                return false;
            }
        }
        return Files.isRegularFile(dir.resolve(ModelBundle.MANIFEST));
    }

    private static void copyVerified(String name, String sha256, Path dest) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = resource(BUNDLE + name);
             OutputStream out = new DigestOutputStream(Files.newOutputStream(dest), md)) {
            in.transferTo(out);
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (!actual.equals(sha256)) {
            throw new ModelException("miniature bundle file " + name + " on the classpath fails its checksum: "
                    + "sha256 expected " + sha256 + ", found " + actual + "; the decap-miniature jar is damaged");
        }
    }

    private static InputStream resource(String name) {
        InputStream in = Miniature.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new ModelException("the miniature model is not on the classpath (" + name + " missing); add the "
                    + "decap-miniature jar, or build it with tools/miniature/build_all.py");
        }
        return in;
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a leftover temporary directory is harmless and named as such
        }
    }

    /**
     * Builder of a captioner over the shipped model. Everything is optional; defaults: projection decoding
     * (tau 0.01) over the shipped memory, greedy decoding with the bundle's token limit.
     */
    public static final class Builder {
        private Projector projector;
        private DecodingOptions decodingOptions;
        private Integer beam;
        private List<String> memoryCaptions;
        private MemoryBank memoryBank;
        private ProgressListener memoryProgress;
        private OnnxOptions onnxOptions;

        private Builder() {
        }

        /** Optional. Default: DeCap's projection decoding (tau 0.01). */
        public Builder projector(Projector projector) {
            this.projector = projector;
            return this;
        }

        /** Optional. Default: greedy, the bundle's {@code generation.max_tokens}. */
        public Builder decodingOptions(DecodingOptions options) {
            this.decodingOptions = options;
            return this;
        }

        /** Optional: beam search of this width (instead of {@link #decodingOptions}). Default: greedy. */
        public Builder beam(int width) {
            this.beam = width;
            return this;
        }

        /** Optional: another memory corpus, encoded with the shipped text tower. Default: the shipped one. */
        public Builder memoryCaptions(List<String> captions) {
            this.memoryCaptions = captions == null ? null : List.copyOf(captions);
            return this;
        }

        /** Optional: a memory bank encoded with this model's text tower (instead of captions). */
        public Builder memoryBank(MemoryBank bank) {
            this.memoryBank = bank;
            return this;
        }

        /** Optional: told how far encoding the memory captions has got. */
        public Builder memoryProgress(ProgressListener progress) {
            this.memoryProgress = progress;
            return this;
        }

        /** Optional. Default: {@link OnnxOptions#DEFAULT}. */
        public Builder onnxOptions(OnnxOptions options) {
            this.onnxOptions = options;
            return this;
        }

        /**
         * Extracts the model if needed and builds the captioner.
         *
         * @throws ConfigurationException if both a memory bank and captions, or both a beam and decoding options,
         *                                were given, or the beam width is outside 1..{@value DecodingOptions#MAX_BEAM_WIDTH}
         * @throws ModelException         if the model is not on the classpath or fails its checksums
         */
        public DeCap build() {
            if (beam != null && decodingOptions != null) {
                throw new ConfigurationException("give either beam(..) or decodingOptions(..), not both");
            }
            OnnxDeCap.Builder b = onnxBuilder().projector(projector).memoryProgress(memoryProgress);
            if (onnxOptions != null) {
                b.onnxOptions(onnxOptions);
            }
            ModelBundle bundle = b.bundle();
            if (beam != null) {
                b.decodingOptions(DecodingOptions.builder().beam(beam).maxTokens(bundle.maxTokens()).build());
            } else {
                b.decodingOptions(decodingOptions);
            }
            // OnnxDeCap refuses a bank and captions together; DecodingOptions checks the beam width's range
            b.memoryBank(memoryBank);
            b.memoryCaptions(memoryCaptions != null || memoryBank != null ? memoryCaptions : Miniature.memoryCaptions());
            return b.build();
        }
    }
}
