package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.DecapException;
import dev.decap.InvalidInputException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.examples.Strategy;
import dev.decap.image.ImageLoader;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.projection.Contribution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code decap caption IMAGE_OR_DIR...}: captions images, by default with the shipped miniature model and its
 * memory (nothing else needed), or with {@code --bundle DIR --memory CAPTIONS_FILE}, or with a memory bank file
 * built by {@code decap memory build} ({@code --bank BANK}, verified before use, refused when another text encoder
 * built it). Directories are expanded to
 * their image files, sorted by name. Human output is {@code IMAGE: caption}; {@code --json} prints one object per
 * image per line: {@code {"image", "text", "tokens", "logprobs", "score", "neighbours": [{"caption", "weight",
 * "similarity"}]}}. A bad image stops the run with exit code 1, or with {@code --continue-on-error} is reported
 * (on standard error, and as {@code {"image", "error"}} with {@code --json}) and the run goes on, still ending with
 * exit code 1.
 */
@Command(name = "caption", mixinStandardHelpOptions = true, versionProvider = DecapCli.VersionProvider.class,
        description = {"Caption images. Without --bundle, uses the shipped miniature model and its memory.",
            "Example: decap caption docs/samples"})
public final class CaptionCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** File name endings (lower case) taken from a directory. */
    static final Set<String> IMAGE_SUFFIXES = Set.of(".png", ".jpg", ".jpeg", ".gif", ".bmp");

    @Spec
    CommandSpec spec;

    @Option(names = "--bundle", paramLabel = "DIR",
            description = "Model bundle directory (default: the shipped miniature model).")
    Path bundle;

    @Option(names = "--memory", paramLabel = "CAPTIONS_FILE", description = "Text file of memory captions, one per "
            + "line, blank lines skipped (default: the shipped model's memory; required with --bundle).")
    Path memory;

    @Option(names = "--bank", paramLabel = "BANK", description = "Memory bank file from `decap memory build`, or a "
            + "shard manifest, or a bank directory from `decap-spark memory build` (instead of --memory); verified "
            + "unless --no-verify, refused if built by another text encoder.")
    Path bankFile;

    @Option(names = "--strategy", paramLabel = "pd|nnd|visual|retrieval", defaultValue = "pd",
            converter = StrategyConverter.class,
            description = "pd: projection decoding (default); nnd: nearest-neighbour decoding; visual: decode the "
                    + "image embedding itself; retrieval: the closest memory caption.")
    Strategy strategy;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search of width N (default: greedy).")
    Integer beam;

    @Option(names = "--top-k", paramLabel = "K", description = "With --strategy pd: mix only the K most similar "
            + "memory captions (default: all of them).")
    Integer topK;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Most tokens per caption, end-of-text "
            + "included (default: the model's; at most its decoder.max_positions - 1).")
    Integer maxTokens;

    @Option(names = "--json", description = "One JSON object per image per line.")
    boolean json;

    @Option(names = "--continue-on-error", description = "Report a bad image and go on with the others.")
    boolean continueOnError;

    @Option(names = "--vocab", paramLabel = "PATH", description = "With --bundle of a CLIP BPE model: the CLIP BPE "
            + "vocabulary file, or a directory holding it (default: the bundle directory).")
    Path vocabulary;

    @Option(names = "--no-mask", description = "Do not mask decoder ids the tokenizer cannot decode.")
    boolean noMask;

    @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files.")
    boolean noVerify;

    @Option(names = "--strict-images", description = "Refuse damaged images that Pillow would decode anyway "
            + "(corrupt JPEG data, PNG data that ends early, wrong PNG CRCs); by default they are captioned and a "
            + "warning is logged.")
    boolean strictImages;

    @Option(names = "--max-pixels", paramLabel = "PIXELS", description = "Largest image (width x height) to decode; "
            + "larger ones are refused from their header (default: ${DEFAULT-VALUE}).")
    long maxPixels = ImageLoader.DEFAULT_MAX_PIXELS;

    @Option(names = "--no-verify-vocab", description = "Accept a tokenizer vocabulary other than the one the "
            + "bundle's manifest records (tokenizer.vocabulary_sha256); only for a vocabulary changed on purpose.")
    boolean noVerifyVocab;

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR", description = "Image files, or directories of them.")
    List<Path> inputs;

    @Override
    public Integer call() throws IOException {
        checkOptions();
        List<Path> images = expand(inputs);
        OnnxDeCap.Builder builder = bundle == null ? Miniature.onnxBuilder()
                : OnnxDeCap.fromBundle(bundle).vocabulary(vocabulary);
        builder.masking(!noMask).verifyChecksums(!noVerify).verifyVocabulary(!noVerifyVocab)
                .imageLoader(ImageLoader.builder().strict(strictImages).maxPixels(maxPixels).build());
        ModelBundle model = builder.bundle();
        int tokens = checkedMaxTokens(maxTokens, model);
        DecodingOptions.Builder ob = DecodingOptions.builder().maxTokens(tokens);
        if (beam != null) {
            ob.beam(beam);
        }
        DecodingOptions options = ob.build();
        MemoryBankFile bank = null;
        ShardedMemoryBank shardedBank = null;
        if (bankFile != null) {
            if (MemoryCommand.isManifestOrDirectory(bankFile)) {
                shardedBank = ShardedMemoryBank.open(bankFile, !noVerify);
                builder.memoryBank(shardedBank);
            } else {
                bank = noVerify ? MemoryBankFile.open(bankFile) : MemoryBankFile.openVerified(bankFile);
                builder.memoryBank(bank);
            }
        } else {
            List<String> captions = memory != null ? readCaptions(memory) : Miniature.memoryCaptions();
            builder.memoryCaptions(captions).memoryProgress(ProgressBar.onTerminal("encoding memory"));
        }
        builder.projector(strategy.projector(topK != null ? topK : 0)).decodingOptions(options);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int failed = 0;
        // a captioner never closes a bank it was given: the bank is ours, closed after the captioner
        try (MemoryBankFile ownedBank = bank; ShardedMemoryBank ownedShards = shardedBank;
             DeCap decap = builder.build()) {
            ProgressBar progress = images.size() >= 20 ? ProgressBar.onTerminal("captioning") : null;
            for (int i = 0; i < images.size(); i++) {
                Path image = images.get(i);
                try {
                    Caption c = strategy == Strategy.RETRIEVAL ? decap.retrieve(image) : decap.caption(image);
                    out.println(json ? JSON.writeValueAsString(toJson(image, c)) : image + ": " + c.text());
                } catch (DecapException | UncheckedIOException e) {
                    failed++;
                    String reason = DecapCli.inCliTerms(e.getMessage());
                    String message = reason.contains(image.toString()) ? reason : "image " + image + ": " + reason;
                    if (!continueOnError) {
                        out.flush();
                        throw new InvalidInputException(message + " (--continue-on-error goes on with the others)",
                                e);
                    }
                    err.println("error: " + message);
                    if (json) {
                        ObjectNode o = JSON.createObjectNode();
                        o.put("image", image.toString());
                        o.put("error", message);
                        out.println(JSON.writeValueAsString(o));
                    }
                }
                out.flush();
                if (progress != null) {
                    progress.progress(i + 1, images.size());
                }
            }
        }
        if (failed > 0) {
            err.println("error: " + failed + " of " + images.size() + " images could not be captioned");
            return 1;
        }
        return 0;
    }

    private void checkOptions() {
        if (memory != null && bankFile != null) {
            throw new ParameterException(spec.commandLine(), "give either --memory CAPTIONS_FILE or --bank BANK, "
                    + "not both");
        }
        if (beam != null && (beam < 1 || beam > DecodingOptions.MAX_BEAM_WIDTH)) {
            throw new InvalidInputException("--beam must be between 1 and " + DecodingOptions.MAX_BEAM_WIDTH
                    + ", found " + beam);
        }
        if (topK != null && topK < 1) {
            throw new InvalidInputException("--top-k must be at least 1, found " + topK);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new InvalidInputException("--max-tokens must be at least 1, found " + maxTokens);
        }
        if (topK != null && strategy != Strategy.PD) {
            throw new InvalidInputException("--top-k applies to --strategy pd only, found --strategy "
                    + strategy.id());
        }
        if (strategy == Strategy.RETRIEVAL && beam != null) {
            throw new InvalidInputException("--beam does not apply to --strategy retrieval (nothing is decoded)");
        }
        if (bundle == null && vocabulary != null) {
            throw new InvalidInputException("--vocab is for a --bundle with a CLIP BPE tokenizer; the shipped model "
                    + "carries its own vocabulary");
        }
        if (bundle != null && memory == null && bankFile == null) {
            throw new InvalidInputException("--bundle needs --memory CAPTIONS_FILE or --bank BANK (the shipped "
                    + "memory belongs to the shipped model)");
        }
    }

    /**
     * The token limit: {@code requested}, or the bundle's default, checked against the decoder's positions.
     *
     * @throws InvalidInputException naming {@code --max-tokens} when the decoder cannot produce that many tokens
     */
    static int checkedMaxTokens(Integer requested, ModelBundle model) {
        Integer positions = model.manifest().decoder() == null ? null : model.manifest().decoder().maxPositions();
        int tokens = requested != null ? requested : model.maxTokens();
        if (positions != null && tokens > positions - 1) {
            throw new InvalidInputException((requested != null ? "--max-tokens " + tokens
                    : "the bundle's generation.max_tokens " + tokens) + " is more than this model can produce: "
                    + "expected at most " + (positions - 1) + " (its decoder.max_positions " + positions
                    + " minus the prefix), found " + tokens);
        }
        return tokens;
    }

    /** Files as given; directories replaced by their image files (by name). */
    static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                List<Path> found;
                try (Stream<Path> s = Files.list(p)) {
                    found = s.filter(Files::isRegularFile).filter(CaptionCommand::isImageName).sorted().toList();
                }
                if (found.isEmpty()) {
                    throw new InvalidInputException("directory " + p + " has no image files ("
                            + String.join(", ", IMAGE_SUFFIXES.stream().sorted().toList()) + ")");
                }
                out.addAll(found);
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_SUFFIXES.stream().anyMatch(name::endsWith);
    }

    /** The captions of a memory file: one per line, stripped, blank lines skipped. */
    static List<String> readCaptions(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            throw new InvalidInputException("--memory file " + file + " is a directory; pass a text file of "
                    + "captions, one per line");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new InvalidInputException("--memory file " + file + " is not a regular file (a FIFO, device or "
                    + "socket); pass a text file of captions, one per line");
        }
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("--memory file " + file + " does not exist");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new InvalidInputException("--memory file " + file + " is not valid UTF-8 text; convert it to "
                    + "UTF-8 (one caption per line)", e);
        }
        List<String> captions = lines.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (captions.isEmpty()) {
            throw new InvalidInputException("--memory file " + file + " has no captions; write one per line");
        }
        return captions;
    }

    /** The JSON object of one caption. */
    static ObjectNode toJson(Path image, Caption c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("image", image.toString());
        o.put("text", c.text());
        ArrayNode tokens = o.putArray("tokens");
        for (int t : c.tokenIds()) {
            tokens.add(t);
        }
        ArrayNode lps = o.putArray("logprobs");
        for (float lp : c.tokenLogProbs()) {
            lps.add(lp);
        }
        o.put("score", c.score());
        ArrayNode neighbours = o.putArray("neighbours");
        for (Contribution n : c.contributions()) {
            ObjectNode e = neighbours.addObject();
            e.put("caption", n.caption());
            e.put("weight", n.weight());
            e.put("similarity", n.similarity());
        }
        return o;
    }

    /** Case-insensitive {@code pd|nnd|visual|retrieval}. */
    static final class StrategyConverter implements picocli.CommandLine.ITypeConverter<Strategy> {
        @Override
        public Strategy convert(String value) {
            for (Strategy s : Strategy.values()) {
                if (s.id().equalsIgnoreCase(value)) {
                    return s;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected pd, nnd, visual or retrieval, found \""
                    + value + "\"");
        }
    }
}
