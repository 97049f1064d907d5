package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.InvalidInputException;
import dev.decap.examples.Strategy;
import dev.decap.examples.eval.MiniatureEvaluation;
import dev.decap.examples.eval.MiniatureEvaluation.Result;
import dev.decap.examples.eval.MiniatureEvaluation.Row;
import dev.decap.examples.eval.Scorers;
import dev.decap.onnx.OnnxOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code decap evaluate-miniature}: the shipped model on held-out scenes rendered in Java from a seed; prints the
 * table (Markdown), or one JSON line with {@code --json}; {@code --out FILE} also writes the results page.
 */
@Command(name = "evaluate-miniature", mixinStandardHelpOptions = true,
        versionProvider = DecapCli.VersionProvider.class,
        description = {"Evaluate the shipped miniature model on scenes rendered from seeds: fact accuracy and "
                + "BLEU-4/CIDEr-D per strategy and decoding.",
            "Example: decap evaluate-miniature --images 600 --out docs/miniature-results.md"})
public final class EvaluateMiniatureCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--images", paramLabel = "N", defaultValue = "600",
            description = "Number of scenes (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "4000000",
            description = "First scene seed (default: ${DEFAULT-VALUE}); scenes S .. S+N-1.")
    long seed;

    @Option(names = "--strategies", paramLabel = "LIST", split = ",", defaultValue = "pd,nnd,visual,retrieval",
            converter = CaptionCommand.StrategyConverter.class,
            description = "Strategies, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Strategy> strategies;

    @Option(names = "--beams", paramLabel = "LIST", split = ",", defaultValue = "1,3",
            description = "Decodings: 1 is greedy, N a beam of width N (default: ${DEFAULT-VALUE}).")
    List<Integer> beams;

    @Option(names = "--json", description = "One JSON line instead of the table.")
    boolean json;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the results page (Markdown) here.")
    Path out;

    @Option(names = "--precision", paramLabel = "P",
            description = "Instead of the full table, compare the shipped model's P variant (int8, int4) with "
                    + "float32: facts and greedy-token agreement, PD with greedy decoding.")
    String precision;

    @Override
    public Integer call() throws IOException {
        if (images < 1) {
            throw new InvalidInputException("--images must be at least 1, found " + images);
        }
        if (beams.stream().anyMatch(b -> b < 1)) {
            throw new InvalidInputException("--beams are widths of at least 1 (1 = greedy), found " + beams);
        }
        if (precision != null) {
            OnnxOptions.Precision p = OnnxOptions.Precision.fromId(precision.trim().toLowerCase(Locale.ROOT))
                    .orElseThrow(() -> new InvalidInputException("--precision must be one of fp32, fp16, int8, "
                            + "int4, found \"" + precision + "\""));
            MiniatureEvaluation.PrecisionComparison c = MiniatureEvaluation.comparePrecision(images, seed, p);
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println(json ? JSON.writeValueAsString(JSON.createObjectNode().put("precision", p.id())
                    .put("images", c.images()).put("identical_tokens", c.identicalTokens())
                    .put("largest_fact_difference_points", c.largestFactDifference()).put("seconds", c.seconds()))
                    : c.markdown());
            stdout.flush();
            return 0;
        }
        Result result = MiniatureEvaluation.run(new MiniatureEvaluation.Settings(images, seed, strategies, beams),
                Scorers.cocoMetrics());
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(json ? JSON.writeValueAsString(toJson(result)) : result.markdown());
        stdout.flush();
        if (out != null) {
            writeAtomically(out, page(result, commandLine()));
        }
        return 0;
    }

    private String commandLine() {
        StringBuilder b = new StringBuilder("java -jar decap-examples/target/decap.jar evaluate-miniature");
        b.append(" --images ").append(images);
        if (seed != MiniatureEvaluation.DEFAULT_SEED) {
            b.append(" --seed ").append(seed);
        }
        if (out != null) {
            b.append(" --out ").append(out);
        }
        return b.toString();
    }

    static ObjectNode toJson(Result result) {
        ObjectNode o = JSON.createObjectNode();
        o.put("images", result.settings().images());
        o.put("seed", result.settings().seed());
        o.put("seconds", result.seconds());
        ArrayNode rows = o.putArray("rows");
        for (Row r : result.rows()) {
            ObjectNode n = rows.addObject();
            n.put("strategy", r.strategy().id());
            n.put("decoding", r.decoding());
            n.put("singles", r.singles());
            n.put("pairs", r.pairs());
            n.put("single_colour_shape", r.singleAccuracy());
            n.put("pair_full", r.pairAccuracy());
            n.put("all_facts", r.allFactsAccuracy());
            n.put("colour", r.colourAccuracy());
            n.put("shape", r.shapeAccuracy());
            n.put("size", r.sizeAccuracy());
            n.put("relation", r.relationAccuracy());
            n.put("unparsed", r.unparsed());
            ObjectNode m = n.putObject("metrics");
            r.metrics().forEach(m::put);
        }
        return o;
    }

    static String page(Result r, String command) {
        Row pd = r.rows().stream().filter(x -> x.strategy() == Strategy.PD && x.beam() == 1).findFirst()
                .orElse(null);
        StringBuilder b = new StringBuilder();
        b.append("# Miniature model: evaluation\n\n");
        b.append("The shipped model (`decap-miniature`, see `docs/miniature-world.md`) on ").append(r.settings().images())
                .append(" held-out scenes rendered in Java (`MiniatureWorld`, Java2D, seeds ")
                .append(r.settings().seed()).append("..").append(r.settings().seed() + r.settings().images() - 1)
                .append("; an independent renderer of the world contract, not the Python generator that made the "
                        + "training data). Facts are read from each caption by `CaptionFacts` (the rules of "
                        + "docs/miniature-world.md); BLEU-4 and CIDEr-D are against ")
                .append(MiniatureEvaluation.REFERENCES).append(" reference captions per scene from the caption "
                        + "grammar (decap-eval's `CaptionMetrics`, pycocoevalcap-compatible).\n\n");
        b.append("Reproduce (about ").append(Math.round(r.seconds())).append(" s on this machine):\n\n```\n")
                .append("./mvnw -B -q package -DskipTests\n").append(command).append("\n```\n\n");
        b.append(r.markdown()).append('\n');
        b.append("Columns: *1 object* = one-object scenes whose caption has the right colour and shape; *2 objects* "
                + "= two-object scenes with both colour-shape pairs and the relation right (sizes not required); "
                + "*all facts* = object count, colours, shapes, every stated size and the relation right; *colour*, "
                + "*shape* = the caption's colours / shapes equal the scene's; *size* = share of stated sizes that "
                + "are right; *relation* = over two-object scenes. Retrieval returns a memory caption verbatim, so "
                + "it has no decoding.\n\n"
                + "Reading it: the decoder was trained on text only, yet PD and NND caption the images; decoding the "
                + "image embedding directly (visual) fails on most facts, the modality gap that projecting onto the "
                + "memory closes, as in the DeCap paper. Retrieval is strong here because the shipped memory "
                + "holds a caption for every colour, shape, size and relation combination of this small world; "
                + "in an open domain no memory covers every image, which is where decoding pays.\n");
        if (pd != null) {
            b.append("\nScenes: ").append(pd.singles()).append(" with one object, ").append(pd.pairs())
                    .append(" with two.\n");
        }
        return b.toString();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".results", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

}
