package dev.decap.examples.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.InvalidInputException;
import dev.decap.eval.CaptionEvaluation;
import dev.decap.eval.CaptionMetrics;
import dev.decap.eval.CaptionScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code decap eval}: BLEU-1..4, ROUGE-L and CIDEr-D of a COCO results file against COCO caption annotations,
 * as pycocoevalcap computes them (see {@link CaptionMetrics}). Only the images that have a prediction are scored.
 * Without {@code --json} a table for people; with it, one JSON line with pycocoevalcap's keys and
 * {@code per_image}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Scores predicted captions against references: BLEU-1..4, ROUGE-L, CIDEr-D (pycocoevalcap).",
            "Example: decap eval --references captions_val2017.json --predictions results.json --json"})
public final class EvalCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--references", required = true, paramLabel = "COCO_CAPTIONS.json",
            description = "Reference captions in COCO annotation format: {\"annotations\": [{\"image_id\", "
                    + "\"caption\"}, ...]}.")
    Path references;

    @Option(names = "--predictions", required = true, paramLabel = "RESULTS.json",
            description = "Predicted captions in COCO results format: [{\"image_id\", \"caption\"}, ...], one per "
                    + "image.")
    Path predictions;

    @Option(names = "--json", description = "Print one JSON object: Bleu_1..Bleu_4, ROUGE_L, CIDEr and per_image.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Map<String, List<String>> refs = readReferences(references);
        Map<String, String> candidates = readPredictions(predictions);
        for (String id : candidates.keySet()) {
            if (!refs.containsKey(id)) {
                throw new InvalidInputException("--predictions has image_id " + id + ", which has no caption in "
                        + "--references " + references + "; predict only images of the reference set");
            }
        }
        CaptionEvaluation result = CaptionMetrics.evaluate(refs, candidates);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            result.corpus().asMap().forEach(root::put);
            ObjectNode perImage = root.putObject("per_image");
            result.perImage().forEach((id, scores) -> {
                ObjectNode image = perImage.putObject(id);
                scores.asMap().forEach(image::put);
            });
            out.println(JSON.writeValueAsString(root));
        } else {
            out.printf(Locale.ROOT, "%-8s %d%n", "images", result.size());
            Map<String, Double> corpus = result.corpus().asMap();
            for (String name : CaptionScores.NAMES) {
                out.printf(Locale.ROOT, "%-8s %.4f%n", name, corpus.get(name));
            }
        }
        out.flush();
        return 0;
    }

    private static JsonNode read(Path file, String flag) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException(flag + " file not found: " + file);
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new InvalidInputException(flag + " " + file + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** COCO annotations: image id (number or string, as text) to its captions, in file order. */
    static Map<String, List<String>> readReferences(Path file) throws IOException {
        JsonNode root = read(file, "--references");
        JsonNode annotations = root == null ? null : root.get("annotations");
        if (annotations == null || !annotations.isArray()) {
            throw new InvalidInputException("--references " + file + " is not in COCO annotation format: expected "
                    + "an object with an \"annotations\" array of {\"image_id\", \"caption\"}");
        }
        Map<String, List<String>> refs = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode a : annotations) {
            String id = imageId(a, "--references " + file + " annotation " + index);
            refs.computeIfAbsent(id, k -> new ArrayList<>()).add(caption(a, "--references " + file
                    + " annotation " + index));
            index++;
        }
        if (refs.isEmpty()) {
            throw new InvalidInputException("--references " + file + " has no annotations");
        }
        return refs;
    }

    /** COCO results: image id to its one predicted caption, in file order. */
    static Map<String, String> readPredictions(Path file) throws IOException {
        JsonNode root = read(file, "--predictions");
        if (root == null || !root.isArray()) {
            throw new InvalidInputException("--predictions " + file + " is not in COCO results format: expected "
                    + "an array of {\"image_id\", \"caption\"}");
        }
        Map<String, String> candidates = new LinkedHashMap<>();
        int index = 0;
        for (JsonNode p : root) {
            String where = "--predictions " + file + " entry " + index;
            String id = imageId(p, where);
            if (candidates.put(id, caption(p, where)) != null) {
                throw new InvalidInputException("--predictions " + file + " has image_id " + id + " more than "
                        + "once; give one caption per image");
            }
            index++;
        }
        if (candidates.isEmpty()) {
            throw new InvalidInputException("--predictions " + file + " is empty; give at least one prediction");
        }
        return candidates;
    }

    private static String imageId(JsonNode node, String where) {
        JsonNode id = node == null ? null : node.get("image_id");
        if (id == null || !(id.isIntegralNumber() || id.isTextual())) {
            throw new InvalidInputException(where + " has no \"image_id\" (a number or a string)");
        }
        return id.asText();
    }

    private static String caption(JsonNode node, String where) {
        JsonNode caption = node.get("caption");
        if (caption == null || !caption.isTextual()) {
            throw new InvalidInputException(where + " has no string \"caption\"");
        }
        return caption.asText();
    }
}
