package dev.decap.onnx.bundle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.decoding.OnnxLanguageModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes decoder-only bundles around the tiny fixture decoder, so that tests can break them on purpose. */
final class TestBundles {
    static final ObjectMapper JSON = new ObjectMapper();

    private TestBundles() {
    }

    /** A valid decoder-only bundle in {@code dir}, with a vocabulary map when {@code withMap}; returns its manifest. */
    static ObjectNode write(Path dir, boolean withMap) throws IOException {
        Path decoder = Fixtures.require(Fixtures.tiny().resolve("decoder.onnx"));
        Files.copy(decoder, dir.resolve("decoder.onnx"), StandardCopyOption.REPLACE_EXISTING);
        int prefix;
        int vocab;
        int layers;
        int heads;
        int headDim;
        try (OnnxLanguageModel m = OnnxLanguageModel.open(decoder)) {
            prefix = m.prefixDimension();
            vocab = m.vocabularySize();
            layers = m.layers();
            heads = m.heads();
            headDim = m.headDimension();
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", "decap-bundle").put("format_version", 1).put("name", "test")
                .put("description", "decoder-only test bundle").put("created_by", "TestBundles");
        ObjectNode files = manifest.putObject("files");
        files.putObject("decoder").put("path", "decoder.onnx").put("sha256",
                ModelBundle.sha256(dir.resolve("decoder.onnx")));
        if (withMap) {
            StringBuilder sb = new StringBuilder("[");
            for (int j = 0; j < vocab; j++) {
                // decoder id j -> tokenizer id j, except a few unmapped ids; EOT stays mapped
                sb.append(j > 0 ? "," : "").append(j % 97 == 5 && j != 49407 ? -1 : j);
            }
            Files.writeString(dir.resolve("vocab_map.json"), sb.append("]").toString());
            files.putObject("vocab_map").put("path", "vocab_map.json").put("sha256",
                    ModelBundle.sha256(dir.resolve("vocab_map.json")));
        }
        manifest.put("embedding_dim", prefix);
        ObjectNode dec = manifest.putObject("decoder");
        dec.put("prefix_dim", prefix).put("width", heads * headDim).put("layers", layers).put("heads", heads)
                .put("vocab_size", vocab).put("max_positions", 40);
        if (withMap) {
            dec.put("vocab_map", "vocab_map");
        } else {
            dec.putNull("vocab_map");
        }
        manifest.putObject("tokenizer").put("type", "clip-bpe").put("vocabulary", "bpe_simple_vocab_16e6.txt.gz")
                .put("vocab_size", 49408).put("sot_id", 49406).put("eot_id", 49407).put("pad_id", 0);
        manifest.putObject("generation").put("max_tokens", 30).put("eot_id", 49407);
        save(dir, manifest);
        return manifest;
    }

    /** Writes the manifest and seals it, as an exporter does (sizes, checksums, {@code manifest_sha256}). */
    static void save(Path dir, ObjectNode manifest) throws IOException {
        saveUnsealed(dir, manifest);
        ManifestSeal.seal(dir, null);
    }

    /** Writes the manifest as given: no sizes, no seal, like a manifest written before sealing existed. */
    static void saveUnsealed(Path dir, ObjectNode manifest) throws IOException {
        manifest.remove(ManifestSeal.FIELD);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(ModelBundle.MANIFEST).toFile(), manifest);
    }
}
