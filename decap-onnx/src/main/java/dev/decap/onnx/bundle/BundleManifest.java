package dev.decap.onnx.bundle;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * The manifest of a model bundle, {@code decap-bundle.json} (format in {@code docs/model-bundle.md}). Parsed as is;
 * {@link ModelBundle} checks it. Unknown fields are ignored so that later minor additions stay readable.
 *
 * @param format        must be {@code "decap-bundle"}
 * @param formatVersion must be 1
 * @param name          short name of the bundle
 * @param description   free text
 * @param createdBy     the command that wrote the bundle
 * @param files         component key ({@code decoder}, {@code image_encoder}, {@code text_encoder},
 *                      {@code vocab_map}, {@code tokenizer_vocabulary}) to file entry
 * @param embeddingDim  CLIP embedding length shared by the encoders, the memory and the decoder's prefix
 * @param clip          CLIP settings, or null for a decoder-only bundle
 * @param decoder       decoder dimensions, or null when the bundle has no decoder
 * @param tokenizer     the tokenizer the decoder and text encoder use
 * @param generation    generation defaults
 * @param manifestSha256 SHA-256 of the manifest's canonical content ({@link ManifestSeal}), or null for a manifest
 *                       that was not sealed
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BundleManifest(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") Integer formatVersion,
        @JsonProperty("name") String name,
        @JsonProperty("description") String description,
        @JsonProperty("created_by") String createdBy,
        @JsonProperty("files") Map<String, FileEntry> files,
        @JsonProperty("embedding_dim") Integer embeddingDim,
        @JsonProperty("clip") Clip clip,
        @JsonProperty("decoder") Decoder decoder,
        @JsonProperty("tokenizer") TokenizerSpec tokenizer,
        @JsonProperty("generation") Generation generation,
        @JsonProperty("manifest_sha256") String manifestSha256) {

    /**
     * A file of the bundle: its path relative to the bundle directory, its SHA-256 (lower-case hex), its size in
     * bytes (null in manifests written before sizes were recorded), the precision of its weights ({@code fp32},
     * {@code fp16}, {@code int8}, {@code int4}; null in manifests written before precisions were recorded, meaning
     * {@code fp32}) and, for the decoder and the image tower, other precisions of the same model keyed by precision
     * (null or empty when there are none). The entry's own path is the default.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(@JsonProperty("path") String path, @JsonProperty("sha256") String sha256,
                            @JsonProperty("size") Long size,
                            @JsonProperty("precision") String precision,
                            @JsonProperty("variants") Map<String, FileEntry> variants) {

        /** An entry with a path and a checksum only (float32 weights, no variants, size not recorded). */
        public FileEntry(String path, String sha256) {
            this(path, sha256, null, null, null);
        }
    }

    /** CLIP settings: ONNX layout and preprocessing. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Clip(@JsonProperty("layout") String layout,
                       @JsonProperty("image_size") Integer imageSize,
                       @JsonProperty("mean") List<Float> mean,
                       @JsonProperty("std") List<Float> std,
                       @JsonProperty("interpolation") String interpolation,
                       @JsonProperty("context_length") Integer contextLength) {
    }

    /** Decoder dimensions; {@code vocabMap} is a key of {@code files} or null. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Decoder(@JsonProperty("prefix_dim") Integer prefixDim,
                          @JsonProperty("width") Integer width,
                          @JsonProperty("layers") Integer layers,
                          @JsonProperty("heads") Integer heads,
                          @JsonProperty("vocab_size") Integer vocabSize,
                          @JsonProperty("max_positions") Integer maxPositions,
                          @JsonProperty("vocab_map") String vocabMap) {
    }

    /**
     * The tokenizer: type ({@code clip-bpe} or {@code word}), vocabulary file name (CLIP: looked up beside the bundle
     * or where the user says; word: {@code files.tokenizer_vocabulary}), ids ({@code unkId} only for word), and
     * {@code vocabularySha256}: the SHA-256 of the vocabulary's text the bundle expects
     * ({@link ManifestSeal#vocabularySha256(java.nio.file.Path)}), null in manifests that do not record it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record TokenizerSpec(@JsonProperty("type") String type,
                                @JsonProperty("vocabulary") String vocabulary,
                                @JsonProperty("vocab_size") Integer vocabSize,
                                @JsonProperty("sot_id") Integer sotId,
                                @JsonProperty("eot_id") Integer eotId,
                                @JsonProperty("pad_id") Integer padId,
                                @JsonProperty("unk_id") Integer unkId,
                                @JsonProperty("vocabulary_sha256") String vocabularySha256) {
    }

    /** Generation defaults; {@code eotId} is a tokenizer id. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Generation(@JsonProperty("max_tokens") Integer maxTokens, @JsonProperty("eot_id") Integer eotId) {
    }
}
