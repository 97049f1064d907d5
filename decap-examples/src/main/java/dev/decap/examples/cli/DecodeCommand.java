package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.InvalidInputException;
import dev.decap.decoding.DecodedSequence;
import dev.decap.decoding.DecodingOptions;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.decoding.OnnxCaptionDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code decap decode}: decodes raw prefix vectors with a bundle's decoder, one JSON line per vector:
 * {@code {"tokens": [...], "logprobs": [...], "text": ..., "decoder_ids": [...], "score": ...}}. Tokens are
 * tokenizer ids including the final end-of-text id; -1 marks a token without a decodable tokenizer id (only with
 * {@code --no-mask}); text is null without a tokenizer vocabulary.
 */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = "Decode prefix vectors (float32 little-endian rows of the bundle's prefix dimension) "
                + "into captions; prints one JSON line per row.")
public final class DecodeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--bundle", paramLabel = "DIR",
            description = "Model bundle directory (default: the shipped miniature model).")
    Path bundle;

    @Option(names = "--prefix", required = true, paramLabel = "FILE",
            description = "Prefix vectors: float32 little-endian, one row of the bundle's prefix dimension each.")
    Path prefixFile;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search of width N (default: greedy).")
    Integer beam;

    @Option(names = "--length-penalty", paramLabel = "A", defaultValue = "1.0",
            description = "Beam length penalty, -10..10: score = sum / length^A (default: ${DEFAULT-VALUE}).")
    double lengthPenalty;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Most tokens, end-of-text included "
            + "(default: the bundle's, 30; at most its decoder.max_positions - 1).")
    Integer maxTokens;

    @Option(names = "--min-tokens", paramLabel = "N", defaultValue = "0", description = "Fewest tokens before "
            + "end-of-text (default: ${DEFAULT-VALUE}).")
    int minTokens;

    @Option(names = "--no-mask", description = "Do not mask decoder ids the tokenizer cannot decode "
            + "(the reference notebook's search).")
    boolean noMask;

    @Option(names = "--vocab", paramLabel = "PATH", description = "CLIP BPE vocabulary file, or a directory "
            + "holding it (default: the bundle directory).")
    Path vocabulary;

    @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files.")
    boolean noVerify;


    @Option(names = "--no-verify-vocab", description = "Accept a tokenizer vocabulary other than the one the "

            + "bundle's manifest records (tokenizer.vocabulary_sha256); only for a vocabulary changed on purpose.")

    boolean noVerifyVocab;

    @Override
    public Integer call() throws IOException {
        OnnxDeCap.Builder builder = (bundle == null ? Miniature.onnxBuilder() : OnnxDeCap.fromBundle(bundle))
                .vocabulary(vocabulary).masking(!noMask)
                .verifyChecksums(!noVerify).verifyVocabulary(!noVerifyVocab);
        PrintWriter out = spec.commandLine().getOut();
        try (OnnxCaptionDecoder decoder = builder.buildDecoder()) {
            List<float[]> prefixes = readPrefixes(prefixFile, decoder.prefixDimension());
            DecodingOptions.Builder ob = DecodingOptions.builder().minTokens(minTokens)
                    .maxTokens(CaptionCommand.checkedMaxTokens(maxTokens, builder.bundle()));
            if (beam != null) {
                if (!(Math.abs(lengthPenalty) <= DecodingOptions.MAX_LENGTH_PENALTY)) {
                    throw new InvalidInputException("--length-penalty must be between -"
                            + (int) DecodingOptions.MAX_LENGTH_PENALTY + " and "
                            + (int) DecodingOptions.MAX_LENGTH_PENALTY + ", found " + lengthPenalty);
                }
                ob.beam(beam).lengthPenalty(lengthPenalty);
            }
            DecodingOptions options = ob.build();
            for (DecodedSequence s : decoder.decodeSequences(prefixes, options)) {
                out.println(JSON.writeValueAsString(toJson(s)));
            }
            out.flush();
        }
        return 0;
    }

    static ObjectNode toJson(DecodedSequence s) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode tokens = o.putArray("tokens");
        for (int t : s.tokenIds()) {
            tokens.add(t);
        }
        ArrayNode lps = o.putArray("logprobs");
        for (float lp : s.logProbs()) {
            lps.add(lp);
        }
        o.put("text", s.text());
        ArrayNode ids = o.putArray("decoder_ids");
        for (int t : s.modelIds()) {
            ids.add(t);
        }
        o.put("score", s.score());
        o.put("ended_with_eot", s.endedWithEndOfText());
        return o;
    }

    /** Reads float32 little-endian rows of {@code dim} values. */
    static List<float[]> readPrefixes(Path file, int dim) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("prefix file " + file + " does not exist");
        }
        byte[] bytes = Files.readAllBytes(file);
        int rowBytes = dim * Float.BYTES;
        if (bytes.length == 0 || bytes.length % rowBytes != 0) {
            throw new InvalidInputException("prefix file " + file + " has " + bytes.length + " bytes; expected a "
                    + "positive multiple of " + rowBytes + " (rows of " + dim + " float32 values, the bundle's "
                    + "prefix dimension)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<float[]> rows = new ArrayList<>(bytes.length / rowBytes);
        for (int r = 0; r < bytes.length / rowBytes; r++) {
            float[] row = new float[dim];
            buf.asFloatBuffer().position(r * dim).get(row);
            rows.add(row);
        }
        return rows;
    }
}
