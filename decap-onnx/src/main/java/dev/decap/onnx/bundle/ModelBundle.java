package dev.decap.onnx.bundle;

import dev.decap.spi.Arguments;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ConfigurationException;
import dev.decap.ModelException;
import dev.decap.image.ClipPreprocessor;
import dev.decap.onnx.OnnxOptions.Precision;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A model bundle on disk: a directory with {@code decap-bundle.json}, the ONNX models it lists and an optional
 * vocabulary map. {@link #open(Path)} reads and checks the manifest: format and version, every listed file present
 * inside the directory, dimensions that agree, and a well-formed vocabulary map.
 *
 * <p><b>What is verified</b> (docs/model-bundle.md, "Sealing"):
 * <ul>
 *   <li>always, even with verification off (cheap: no file is read through): each file's size against the
 *       manifest's {@code size} (when recorded), and the protobuf structure of every ONNX file's top level, so a
 *       truncated or zeroed model is refused before ONNX Runtime sees it;</li>
 *   <li>with verification on (the default): every file's SHA-256, and the manifest's own
 *       {@code manifest_sha256} (when recorded), so an edited manifest is refused;</li>
 *   <li>when a tokenizer is loaded ({@link BundleTokenizers}): the vocabulary's SHA-256 against
 *       {@code tokenizer.vocabulary_sha256} (when recorded), unless the caller opts out.</li>
 * </ul>
 * Manifests written before these fields existed still open; what they do not record is not checked.
 * Every {@link ModelException} from here names the bundle's manifest or directory.
 *
 * <p>The decoder and the image tower may come in several {@link Precision precisions} ({@code files.<key>.variants});
 * {@link #file(String, Precision)} picks one, every listed variant is checked like the default file.
 *
 * <p>Immutable and thread-safe; it holds no native resources.
 */
public final class ModelBundle {
    /** The manifest's file name. */
    public static final String MANIFEST = "decap-bundle.json";
    /** Component keys of {@code files}. */
    public static final String DECODER = "decoder";
    public static final String IMAGE_ENCODER = "image_encoder";
    public static final String TEXT_ENCODER = "text_encoder";
    public static final String VOCAB_MAP = "vocab_map";
    /** Component key of a word tokenizer's vocabulary file ({@code "tokenizer": {"type": "word"}}). */
    public static final String TOKENIZER_VOCABULARY = "tokenizer_vocabulary";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            // Strict types: 1.5 where an integer is expected is refused, not read as 1.
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);

    private final Path directory;
    private final BundleManifest manifest;
    private final Map<String, Path> files;
    private final Map<String, Precision> precisions;
    private final Map<String, Map<Precision, Path>> variants;
    private final int[] vocabularyMap;

    private ModelBundle(Path directory, BundleManifest manifest, Map<String, Path> files,
                        Map<String, Precision> precisions, Map<String, Map<Precision, Path>> variants,
                        int[] vocabularyMap) {
        this.directory = directory;
        this.manifest = manifest;
        this.files = files;
        this.precisions = precisions;
        this.variants = variants;
        this.vocabularyMap = vocabularyMap;
    }

    /** Opens and checks a bundle, verifying every file's SHA-256. */
    public static ModelBundle open(Path directory) {
        Arguments.requireNonNull(directory, "directory");
        return open(directory, true);
    }

    /**
     * Opens and checks a bundle.
     *
     * @param verifyChecksums whether to hash every listed file and compare with the manifest (reads every byte; turn
     *                        off only for bundles you trust, e.g. ones you just wrote)
     * @throws ModelException if the manifest or a file is missing, corrupt, fails its checksum, or dimensions
     *                        disagree; the message names the file
     */
    public static ModelBundle open(Path directory, boolean verifyChecksums) {
        if (directory == null) {
            throw new dev.decap.InvalidInputException("directory is null; pass the bundle directory holding "
                    + MANIFEST);
        }
        Path dir = directory.toAbsolutePath().normalize();
        if (Files.isRegularFile(dir) && dir.getFileName().toString().equals(MANIFEST)) {
            dir = dir.getParent();
        }
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isDirectory(dir)) {
            throw new ModelException("bundle directory " + dir + " does not exist; pass the directory holding "
                    + MANIFEST);
        }
        if (!Files.isRegularFile(manifestFile)) {
            throw new ModelException("no " + MANIFEST + " in " + dir + "; this is not a decap model bundle "
                    + "(write one with tools/convert_checkpoint.py or tools/make_fixtures.py)");
        }
        String where = "bundle manifest " + manifestFile;
        byte[] manifestBytes = readManifestBytes(manifestFile, where);
        BundleManifest m;
        try {
            m = JSON.readValue(manifestBytes, BundleManifest.class);
        } catch (JsonProcessingException e) {
            throw new ModelException("bundle manifest " + manifestFile + " is not valid JSON of the expected shape"
                    + fieldOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ModelException("cannot read bundle manifest " + manifestFile + ": " + e.getMessage(), e);
        }
        if (m == null) {
            throw new ModelException("bundle manifest " + manifestFile + " is empty");
        }
        if (!"decap-bundle".equals(m.format())) {
            throw new ModelException(where + ": format must be \"decap-bundle\", found " + quoted(m.format()));
        }
        if (m.formatVersion() == null || m.formatVersion() != 1) {
            throw new ModelException(where + ": format_version: expected 1, found " + m.formatVersion()
                    + "; this library reads version 1 bundles");
        }
        if (m.embeddingDim() == null || m.embeddingDim() <= 0) {
            throw new ModelException(where + ": embedding_dim must be a positive integer, found " + m.embeddingDim());
        }
        if (m.manifestSha256() != null && !m.manifestSha256().matches("[0-9a-f]{64}")) {
            throw new ModelException(where + ": " + ManifestSeal.FIELD + " must be 64 lower-case hex digits, found "
                    + quoted(m.manifestSha256()));
        }
        if (verifyChecksums && m.manifestSha256() != null) {
            String actual;
            try {
                actual = ManifestSeal.canonicalSha256(manifestBytes);
            } catch (ModelException e) {
                throw new ModelException(where + ": " + e.getMessage(), e);
            }
            if (!actual.equals(m.manifestSha256())) {
                throw new ModelException(where + " fails its seal: " + ManifestSeal.FIELD + " expected "
                        + m.manifestSha256() + ", found " + actual + "; the manifest was edited after it was "
                        + "sealed: copy the bundle again, or, if you changed it on purpose, reseal it (decap bundle "
                        + "seal DIR, or tools/seal_manifest.py DIR) or skip verification with verifyChecksums(false)");
            }
        }
        BundleManifest.TokenizerSpec spec = m.tokenizer();
        if (spec != null && spec.vocabularySha256() != null && !spec.vocabularySha256().matches("[0-9a-f]{64}")) {
            throw new ModelException(where + ": tokenizer.vocabulary_sha256 must be 64 lower-case hex digits, found "
                    + quoted(spec.vocabularySha256()));
        }
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, Precision> precisions = new LinkedHashMap<>();
        Map<String, Map<Precision, Path>> variants = new LinkedHashMap<>();
        if (m.files() != null) {
            for (Map.Entry<String, BundleManifest.FileEntry> e : m.files().entrySet()) {
                files.put(e.getKey(), checkFile(dir, e.getKey(), e.getValue(), verifyChecksums, where));
                precisions.put(e.getKey(), precisionOf(e.getKey(), e.getValue().precision(), where));
                Map<Precision, Path> v = checkVariants(dir, e.getKey(), e.getValue(), precisions.get(e.getKey()),
                        verifyChecksums, where);
                if (!v.isEmpty()) {
                    variants.put(e.getKey(), Collections.unmodifiableMap(v));
                }
            }
        }
        BundleManifest.Decoder dec = m.decoder();
        if (files.containsKey(DECODER) && dec == null) {
            throw new ModelException(where + " lists a decoder file but has no \"decoder\" section with its "
                    + "dimensions");
        }
        int[] map = null;
        if (dec != null) {
            requirePositive(dec.prefixDim(), "decoder.prefix_dim", where);
            requirePositive(dec.vocabSize(), "decoder.vocab_size", where);
            if (dec.maxPositions() != null) {
                requirePositive(dec.maxPositions(), "decoder.max_positions", where);
            }
            if (!dec.prefixDim().equals(m.embeddingDim())) {
                throw new ModelException(where + ": decoder.prefix_dim must equal embedding_dim: expected "
                        + m.embeddingDim() + ", found " + dec.prefixDim());
            }
            if (dec.vocabMap() != null) {
                Path mapFile = files.get(dec.vocabMap());
                if (mapFile == null) {
                    throw new ModelException(where + ": decoder.vocab_map names \"" + dec.vocabMap()
                            + "\", which is not a key of files " + files.keySet());
                }
                map = readVocabularyMap(mapFile, dec.vocabSize());
            }
        }
        BundleManifest.TokenizerSpec tok = m.tokenizer();
        if (tok != null && tok.vocabSize() != null && tok.eotId() != null
                && (tok.eotId() < 0 || tok.eotId() >= tok.vocabSize())) {
            throw new ModelException(where + ": tokenizer.eot_id " + tok.eotId() + " is outside the vocabulary of "
                    + tok.vocabSize());
        }
        if (tok != null && tok.vocabulary() != null) {
            try {
                Path.of(tok.vocabulary());
            } catch (java.nio.file.InvalidPathException e) {
                throw new ModelException(where + ": tokenizer.vocabulary " + quoted(tok.vocabulary())
                        + " is not a valid file name (" + e.getReason() + ")", e);
            }
        }
        BundleManifest.Clip clip = m.clip();
        if (clip != null && clip.layout() != null) {
            try {
                dev.decap.onnx.encoding.ClipLayout.fromId(clip.layout());
            } catch (ConfigurationException e) {
                throw new ModelException(where + ": clip.layout: " + e.getMessage(), e);
            }
        }
        if (clip != null && clip.contextLength() != null
                && (clip.contextLength() < 2 || clip.contextLength() > dev.decap.tokenization.Tokenizer.MAX_CONTEXT_LENGTH)) {
            throw new ModelException(where + ": clip.context_length must be between 2 and "
                    + dev.decap.tokenization.Tokenizer.MAX_CONTEXT_LENGTH + ", found " + clip.contextLength());
        }
        BundleManifest.Generation gen = m.generation();
        if (gen != null && gen.maxTokens() != null) {
            requirePositive(gen.maxTokens(), "generation.max_tokens", where);
            if (dec != null && dec.maxPositions() != null && gen.maxTokens() >= dec.maxPositions()) {
                throw new ModelException(where + ": generation.max_tokens must be below decoder.max_positions "
                        + "(position 0 is the prefix): expected at most " + (dec.maxPositions() - 1) + ", found "
                        + gen.maxTokens());
            }
        }
        if (gen != null && gen.eotId() != null) {
            int vocabulary = tok != null && tok.vocabSize() != null ? tok.vocabSize() : 49408;
            if (gen.eotId() < 0 || gen.eotId() >= vocabulary) {
                throw new ModelException(where + ": generation.eot_id " + gen.eotId() + " is outside the "
                        + "tokenizer's vocabulary of " + vocabulary + " ids (0.." + (vocabulary - 1) + ")");
            }
        }
        return new ModelBundle(dir, m, Map.copyOf(files), Map.copyOf(precisions), Map.copyOf(variants), map);
    }

    /** The precision a file entry declares; absent (manifests before precisions were recorded) means fp32. */
    private static Precision precisionOf(String key, String declared, String where) {
        if (declared == null) {
            return Precision.FP32;
        }
        return Precision.fromId(declared).orElseThrow(() -> new ModelException(where + ": files." + key
                + ".precision " + quoted(declared) + " is unknown; this library reads " + precisionNames()
                + " (a newer decap may read it)"));
    }

    /** Checks {@code files.<key>.variants} like the default file; only the decoder and the image tower have any. */
    private static Map<Precision, Path> checkVariants(Path dir, String key, BundleManifest.FileEntry entry,
                                                      Precision defaultPrecision, boolean verify, String where) {
        Map<Precision, Path> out = new EnumMap<>(Precision.class);
        if (entry.variants() == null || entry.variants().isEmpty()) {
            return out;
        }
        if (!key.equals(DECODER) && !key.equals(IMAGE_ENCODER)) {
            // the text tower defines the memory's embedding space (memory bank files record its checksum), so it
            // has one precision; the other files are not models
            throw new ModelException(where + ": files." + key + " has variants; only files." + DECODER + " and files."
                    + IMAGE_ENCODER + " may list other precisions");
        }
        for (Map.Entry<String, BundleManifest.FileEntry> v : entry.variants().entrySet()) {
            String name = key + ".variants." + v.getKey();
            Precision p = Precision.fromId(v.getKey()).orElseThrow(() -> new ModelException(where + ": files."
                    + name + ": " + quoted(v.getKey()) + " is not a precision; variants are keyed by "
                    + precisionNames()));
            BundleManifest.FileEntry ve = v.getValue();
            if (ve == null) {
                throw new ModelException(where + ": files." + name + " is empty; give its path and sha256");
            }
            if (ve.precision() != null && !ve.precision().equals(v.getKey())) {
                throw new ModelException(where + ": files." + name + ".precision: expected \"" + v.getKey()
                        + "\" (its key), found " + quoted(ve.precision()));
            }
            if (ve.variants() != null && !ve.variants().isEmpty()) {
                throw new ModelException(where + ": files." + name + " has variants of its own; list every precision "
                        + "under files." + key + ".variants");
            }
            if (p == defaultPrecision) {
                throw new ModelException(where + ": files." + name + " has the precision of files." + key
                        + " itself (" + p.id() + "); a variant must have another precision");
            }
            out.put(p, checkFile(dir, name, ve, verify, where));
        }
        return out;
    }

    private static String precisionNames() {
        return java.util.Arrays.stream(Precision.values()).map(Precision::id).collect(Collectors.joining(", "));
    }

    private static Path checkFile(Path dir, String key, BundleManifest.FileEntry entry, boolean verify,
                                  String where) {
        if (entry == null || entry.path() == null || entry.path().isBlank()) {
            throw new ModelException(where + ": files." + key + " has no path");
        }
        Path p;
        try {
            p = dir.resolve(entry.path()).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ModelException(where + ": files." + key + " path " + quoted(entry.path())
                    + " is not a valid file path (" + e.getReason() + "); name a file inside the bundle directory", e);
        }
        if (!p.startsWith(dir)) {
            throw new ModelException(where + ": files." + key + " path " + entry.path()
                    + " points outside the bundle directory; bundle files must be inside it");
        }
        if (Files.exists(p) && !Files.isRegularFile(p)) {
            throw new ModelException("bundle file " + key + " (" + p + ") of " + where + " is not a regular file "
                    + "(a directory, FIFO or device); bundle files must be regular files: copy the bundle again");
        }
        if (!Files.isRegularFile(p)) {
            throw new ModelException("bundle file " + key + " (" + p + ") of " + where + " is missing; the bundle "
                    + "is incomplete: copy it again");
        }
        checkStructure(p, key, entry, where);
        if (verify) {
            if (entry.sha256() == null || !entry.sha256().matches("[0-9a-fA-F]{64}")) {
                throw new ModelException(where + ": files." + key + " has no valid sha256 (64 hex digits), found "
                        + quoted(entry.sha256()));
            }
            String actual = sha256(p);
            if (!actual.equalsIgnoreCase(entry.sha256())) {
                throw new ModelException("bundle file " + key + " (" + p + ") of " + where + " fails its checksum: "
                        + "sha256 expected "
                        + entry.sha256().toLowerCase() + ", found " + actual + "; the file is corrupt or was "
                        + "replaced: copy the bundle again (or skip verification only if you changed it on purpose)");
            }
        }
        return p;
    }

    /**
     * The checks done on every open, verification or not: the recorded size, and for an ONNX model (the decoder,
     * the encoders, any file named {@code *.onnx}) the top-level protobuf structure ({@link OnnxStructure}).
     */
    private static void checkStructure(Path p, String key, BundleManifest.FileEntry entry, String where) {
        long size;
        try {
            size = Files.size(p);
        } catch (IOException e) {
            throw new ModelException("cannot read bundle file " + key + " (" + p + ") of " + where + ": "
                    + e.getMessage(), e);
        }
        if (entry.size() != null) {
            if (entry.size() < 0) {
                throw new ModelException(where + ": files." + key + ".size must be 0 or more bytes, found "
                        + entry.size());
            }
            if (entry.size() != size) {
                throw new ModelException("bundle file " + key + " (" + p + ") of " + where + " has the wrong size: "
                        + "expected " + entry.size() + " bytes, found " + size + "; the file is truncated or was "
                        + "replaced: copy the bundle again");
            }
        }
        boolean onnx = key.equals(DECODER) || key.equals(IMAGE_ENCODER) || key.equals(TEXT_ENCODER)
                || entry.path().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
        if (onnx) {
            String problem;
            try {
                problem = OnnxStructure.problem(p);
            } catch (IOException e) {
                throw new ModelException("cannot read bundle file " + key + " (" + p + ") of " + where + ": "
                        + e.getMessage(), e);
            }
            if (problem != null) {
                throw new ModelException("bundle file " + key + " (" + p + ") of " + where + " is not a valid "
                        + "ONNX model: it " + problem + "; copy the bundle again");
            }
        }
    }

    /** The manifest's bytes, at most {@link ManifestSeal#MAX_MANIFEST_BYTES}. */
    static byte[] readManifestBytes(Path manifestFile, String where) {
        try {
            if (!Files.isRegularFile(manifestFile)) {
                throw new ModelException(where + " is missing or not a regular file");
            }
            long size = Files.size(manifestFile);
            if (size > ManifestSeal.MAX_MANIFEST_BYTES) {
                throw new ModelException(where + " is " + size + " bytes; a manifest is at most "
                        + ManifestSeal.MAX_MANIFEST_BYTES + " bytes: this is not a decap bundle manifest");
            }
            try (InputStream in = Files.newInputStream(manifestFile)) {
                byte[] bytes = in.readNBytes(ManifestSeal.MAX_MANIFEST_BYTES + 1);
                if (bytes.length > ManifestSeal.MAX_MANIFEST_BYTES) {
                    throw new ModelException(where + " grew beyond " + ManifestSeal.MAX_MANIFEST_BYTES
                            + " bytes while it was read");
                }
                return bytes;
            }
        } catch (IOException e) {
            throw new ModelException("cannot read " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code e} with the bundle named in its message (same exception type, {@code e} as the cause), or {@code e}
     * itself when its message names the bundle already. Used where a component built from the bundle (a layout, an
     * encoder, a decoder) reports a problem in its own words.
     */
    RuntimeException naming(RuntimeException e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        if (m.contains(directory.toString())) {
            return e;
        }
        String named = "bundle " + directory + ": " + m;
        if (e instanceof ConfigurationException) {
            return new ConfigurationException(named, e);
        } else if (e instanceof dev.decap.InvalidInputException) {
            return new dev.decap.InvalidInputException(named, e);
        } else if (e instanceof dev.decap.InferenceException) {
            return new dev.decap.InferenceException(named, e);
        } else if (e instanceof dev.decap.ClosedException) {
            return new dev.decap.ClosedException(named, e);
        } else if (e instanceof dev.decap.DecapException) {
            return new ModelException(named, e);
        }
        return new ModelException(named + " (" + e.getClass().getName() + ")", e);
    }

    /** Lower-case hex SHA-256 of a file. */
    public static String sha256(Path file) {
        Arguments.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + " to check its sha256: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * Reads a vocabulary map: a JSON array of {@code decoderVocabSize} integers, each a tokenizer id or -1.
     *
     * @throws ModelException naming the file if it is not such an array
     */
    public static int[] readVocabularyMap(Path file, int decoderVocabSize) {
        Arguments.requireNonNull(file, "file");
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ModelException("vocabulary map " + file + " is not readable JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isArray()) {
            throw new ModelException("vocabulary map " + file + " must be a JSON array of tokenizer ids");
        }
        if (node.size() != decoderVocabSize) {
            throw new ModelException("vocabulary map " + file + " must have one entry per decoder id: expected "
                    + decoderVocabSize + ", found " + node.size());
        }
        int[] map = new int[node.size()];
        for (int i = 0; i < map.length; i++) {
            JsonNode v = node.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.intValue() < -1) {
                throw new ModelException("vocabulary map " + file + ": entry " + i + " is " + v
                        + "; entries are tokenizer ids (>= 0) or -1");
            }
            map[i] = v.intValue();
        }
        return map;
    }

    /** " at field a.b" for a JSON mapping error with a path, else "". */
    private static String fieldOf(JsonProcessingException e) {
        if (!(e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) || mapping.getPath().isEmpty()) {
            return "";
        }
        StringBuilder field = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference r : mapping.getPath()) {
            if (r.getFieldName() != null) {
                field.append(field.length() > 0 ? "." : "").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                field.append('[').append(r.getIndex()).append(']');
            }
        }
        return " at field " + field;
    }

    private static void requirePositive(Integer v, String field, String where) {
        if (v == null || v <= 0) {
            throw new ModelException(where + ": " + field + " must be a positive integer, found " + v);
        }
    }

    private static String quoted(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }

    /** The bundle directory (absolute). */
    public Path directory() {
        return directory;
    }

    /** The parsed manifest. */
    public BundleManifest manifest() {
        return manifest;
    }

    /** The bundle's name. */
    public String name() {
        return manifest.name();
    }

    /** CLIP embedding length (encoders, memory and decoder prefix). */
    public int embeddingDimension() {
        return manifest.embeddingDim();
    }

    /** The file of a component key, if the bundle has it. */
    public Optional<Path> file(String key) {
        Arguments.requireNonNull(key, "key");
        return Optional.ofNullable(files.get(key));
    }

    /**
     * The file of a component key in a precision: the variant of that precision when the bundle lists one
     * ({@code files.<key>.variants.<precision>}), else the default file ({@code files.<key>}); null asks for the
     * default. Empty when the bundle has no such component.
     */
    public Optional<Path> file(String key, Precision precision) {
        Arguments.requireNonNull(key, "key");
        if (precision != null) {
            Path variant = variants.getOrDefault(key, Map.of()).get(precision);
            if (variant != null) {
                return Optional.of(variant);
            }
        }
        return file(key);
    }

    /**
     * The precision of a component's file in the given precision request, as {@link #file(String, Precision)}
     * resolves it (null asks for the default): the requested one when the bundle has it, else the default's.
     * Empty when the bundle has no such component.
     */
    public Optional<Precision> precision(String key, Precision requested) {
        Arguments.requireNonNull(key, "key");
        if (!files.containsKey(key)) {
            return Optional.empty();
        }
        if (requested != null && (requested == precisions.get(key)
                || variants.getOrDefault(key, Map.of()).containsKey(requested))) {
            return Optional.of(requested);
        }
        return Optional.of(precisions.get(key));
    }

    /**
     * Every precision a component comes in: its default's and its variants' (empty when the bundle has no such
     * component). Manifests that do not record a precision are {@link Precision#FP32}.
     */
    public Set<Precision> precisions(String key) {
        Arguments.requireNonNull(key, "key");
        if (!files.containsKey(key)) {
            return Set.of();
        }
        EnumSet<Precision> out = EnumSet.of(precisions.get(key));
        out.addAll(variants.getOrDefault(key, Map.of()).keySet());
        return Collections.unmodifiableSet(out);
    }

    /**
     * Checks that a requested precision exists for at least one model of the bundle (null: nothing to check).
     *
     * @throws ConfigurationException naming the precisions each model comes in when none has the requested one
     */
    public void requirePrecision(Precision requested) {
        if (requested == null) {
            return;
        }
        StringBuilder have = new StringBuilder();
        for (String key : List.of(DECODER, IMAGE_ENCODER, TEXT_ENCODER)) {
            Set<Precision> p = precisions(key);
            if (p.contains(requested)) {
                return;
            }
            if (!p.isEmpty()) {
                have.append(have.length() > 0 ? "; " : "").append(key).append(' ')
                        .append(p.stream().map(Precision::id).collect(Collectors.joining(", ")));
            }
        }
        throw new ConfigurationException("bundle " + directory + " has no " + requested.id() + " model (it has "
                + (have.length() > 0 ? have : "no models") + "); write one with tools/quantize_bundle.py "
                + "--as-variants, or leave OnnxOptions precision unset for the bundle's default");
    }

    /** The decoder model, if the bundle has one. */
    public Optional<Path> decoderFile() {
        return file(DECODER);
    }

    /** The image tower, if the bundle has one. */
    public Optional<Path> imageEncoderFile() {
        return file(IMAGE_ENCODER);
    }

    /** The text tower, if the bundle has one. */
    public Optional<Path> textEncoderFile() {
        return file(TEXT_ENCODER);
    }

    /**
     * The identity of the text tower for memory bank files: the bundle name and the text model's SHA-256 (from the
     * manifest, else computed from the file). Empty when the bundle has no text tower.
     */
    public Optional<dev.decap.memory.file.EncoderIdentity> textEncoderIdentity() {
        BundleManifest.FileEntry entry = manifest.files() == null ? null : manifest.files().get(TEXT_ENCODER);
        return textEncoderFile().map(f -> new dev.decap.memory.file.EncoderIdentity(name(),
                entry != null && entry.sha256() != null ? entry.sha256().toLowerCase(java.util.Locale.ROOT)
                        : sha256(f)));
    }

    /** The decoder's vocabulary map (decoder id to tokenizer id, -1 for none), or null for the identity. */
    public int[] vocabularyMap() {
        return vocabularyMap == null ? null : vocabularyMap.clone();
    }

    /** The tokenizer's vocabulary size (49408 for CLIP when the manifest does not say). */
    public int tokenizerVocabularySize() {
        BundleManifest.TokenizerSpec t = manifest.tokenizer();
        return t != null && t.vocabSize() != null ? t.vocabSize() : 49408;
    }

    /** The end-of-text tokenizer id (generation section, then tokenizer section, then CLIP's 49407). */
    public int endOfText() {
        if (manifest.generation() != null && manifest.generation().eotId() != null) {
            return manifest.generation().eotId();
        }
        BundleManifest.TokenizerSpec t = manifest.tokenizer();
        return t != null && t.eotId() != null ? t.eotId() : 49407;
    }

    /** The default token limit (30 when the manifest does not say). */
    public int maxTokens() {
        return manifest.generation() != null && manifest.generation().maxTokens() != null
                ? manifest.generation().maxTokens() : 30;
    }

    /** The interpolation this library implements for {@code clip.interpolation} (Pillow's, as CLIP uses). */
    public static final String SUPPORTED_INTERPOLATION = "bicubic";

    /**
     * The image preprocessing the manifest's {@code clip} section declares: {@code image_size} (default 224),
     * {@code mean} and {@code std} (default OpenAI CLIP's) and {@code interpolation} (default and only supported
     * value {@value #SUPPORTED_INTERPOLATION}: Pillow's bicubic resize of the shorter side, as CLIP does).
     *
     * @throws ModelException naming the manifest field when a value is out of range or the interpolation is one
     *                        this library does not implement
     */
    public ClipPreprocessor imagePreprocessor() {
        BundleManifest.Clip clip = manifest.clip();
        String where = "bundle manifest " + directory.resolve(MANIFEST);
        ClipPreprocessor.Builder b = ClipPreprocessor.builder();
        if (clip == null) {
            return b.build();
        }
        String interpolation = clip.interpolation();
        if (interpolation != null && !interpolation.trim().equalsIgnoreCase(SUPPORTED_INTERPOLATION)) {
            throw new ModelException(where + ": clip.interpolation \"" + interpolation + "\" is not supported; "
                    + "this library resizes with \"" + SUPPORTED_INTERPOLATION + "\" (Pillow's BICUBIC, as CLIP): "
                    + "re-export the bundle with that interpolation, or preprocess images yourself and call "
                    + "OnnxImageEncoder.encodePixels(..)");
        }
        if (clip.imageSize() != null) {
            if (clip.imageSize() <= 0 || clip.imageSize() > 8192) {
                throw new ModelException(where + ": clip.image_size must be between 1 and 8192, found "
                        + clip.imageSize());
            }
            b.size(clip.imageSize());
        }
        if (clip.mean() != null) {
            b.mean(channels(clip.mean(), "clip.mean", where, false));
        }
        if (clip.std() != null) {
            b.std(channels(clip.std(), "clip.std", where, true));
        }
        return b.build();
    }

    private static float[] channels(List<Float> values, String field, String where, boolean positive) {
        if (values.size() != 3) {
            throw new ModelException(where + ": " + field + " must have one value per channel (R, G, B): expected 3,"
                    + " found " + values.size());
        }
        float[] out = new float[3];
        for (int i = 0; i < 3; i++) {
            Float v = values.get(i);
            if (v == null || !Float.isFinite(v) || (positive && v <= 0)) {
                throw new ModelException(where + ": " + field + " values must be finite" + (positive
                        ? " and positive" : "") + ", found " + values);
            }
            out[i] = v;
        }
        return out;
    }

    /** Whether the manifest carries a seal ({@code manifest_sha256}); unsealed manifests predate it. */
    public boolean sealed() {
        return manifest.manifestSha256() != null;
    }

    /**
     * The SHA-256 of the tokenizer vocabulary the bundle expects ({@code tokenizer.vocabulary_sha256}), if the
     * manifest records it.
     */
    public Optional<String> expectedVocabularySha256() {
        BundleManifest.TokenizerSpec t = manifest.tokenizer();
        return Optional.ofNullable(t == null ? null : t.vocabularySha256());
    }

    /**
     * Checks a tokenizer vocabulary file against {@code tokenizer.vocabulary_sha256}; does nothing when the manifest
     * does not record it.
     *
     * @throws ModelException naming the file and the manifest when the vocabulary is not the one the bundle
     *                        expects (e.g. an edited or other merges file, which would give different captions)
     */
    public void verifyVocabulary(Path vocabularyFile) {
        if (vocabularyFile == null) {
            throw new dev.decap.InvalidInputException("vocabularyFile is null; pass the tokenizer vocabulary file");
        }
        Optional<String> expected = expectedVocabularySha256();
        if (expected.isEmpty()) {
            return;
        }
        String actual = ManifestSeal.vocabularySha256(vocabularyFile);
        if (!actual.equals(expected.get())) {
            throw new ModelException("tokenizer vocabulary " + vocabularyFile + " is not the one bundle manifest "
                    + directory.resolve(MANIFEST) + " expects: tokenizer.vocabulary_sha256 expected " + expected.get()
                    + ", found " + actual + "; pass the vocabulary the bundle was exported with (CLIP's "
                    + "bpe_simple_vocab_16e6.txt.gz), or opt out with verifyVocabulary(false) if you changed it "
                    + "on purpose");
        }
    }

    /** The name of the tokenizer vocabulary file, or null. */
    public String vocabularyFileName() {
        return manifest.tokenizer() == null ? null : manifest.tokenizer().vocabulary();
    }

    /**
     * Finds the tokenizer vocabulary: {@code userPath} itself when it is a file, the manifest's file name inside
     * {@code userPath} when it is a directory, then inside the bundle directory.
     *
     * @param userPath a file or directory the user gave, or null
     * @return the vocabulary file, or empty when none of those places has it
     */
    public Optional<Path> findVocabulary(Path userPath) {
        String name = vocabularyFileName();
        List<Path> candidates = new ArrayList<>();
        if (userPath != null) {
            if (Files.isRegularFile(userPath)) {
                return Optional.of(userPath);
            }
            if (name != null) {
                candidates.add(userPath.resolve(name));
            }
        }
        if (name != null) {
            candidates.add(directory.resolve(name));
        }
        for (Path c : candidates) {
            if (Files.isRegularFile(c)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "ModelBundle[" + manifest.name() + " at " + directory + ", files " + files.keySet()
                + (variants.isEmpty() ? "" : ", variants " + variants.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue().keySet().stream().map(Precision::id).toList())
                .collect(Collectors.joining(", "))) + "]";
    }
}
