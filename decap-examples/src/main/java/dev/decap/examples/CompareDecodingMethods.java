package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Contribution;
import dev.decap.projection.IdentityProjector;
import dev.decap.projection.NearestNeighbourProjector;
import dev.decap.projection.Projector;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.OnnxDeCap;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Captions images the four ways the DeCap paper compares: projection-based decoding (PD), nearest-neighbour
 * decoding (NND), visual decoding, and plain retrieval, and shows which memory captions shaped the PD caption.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.CompareDecodingMethods \
 *     BUNDLE_DIR VOCABULARY CAPTIONS.txt IMAGE...
 * </pre>
 *
 * The bundle is loaded once; the memory bank is encoded once, with the bundle's text encoder; the captioner of each
 * method is derived from the first with {@code withProjector(..)}, sharing the loaded models.
 */
public final class CompareDecodingMethods {

    private CompareDecodingMethods() {
    }

    /** One image's captions, by method name, in the order PD, NND, visual, retrieval. */
    public record Result(Path image, Map<String, Caption> captions) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4) {
            System.err.println("usage: CompareDecodingMethods BUNDLE_DIR VOCABULARY CAPTIONS.txt IMAGE...");
            System.exit(2);
        }
        List<Path> images = new ArrayList<>();
        for (int i = 3; i < args.length; i++) {
            images.add(Path.of(args[i]));
        }
        List<Result> results = run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), images);
        print(results, System.out);
    }

    /** Captions every image with every method. */
    public static List<Result> run(Path bundle, Path vocabulary, Path captionsFile, List<Path> images)
            throws IOException {
        List<String> corpus = Files.readAllLines(captionsFile).stream().filter(s -> !s.isBlank()).toList();
        List<Map<String, Caption>> perImage = new ArrayList<>();
        images.forEach(i -> perImage.add(new LinkedHashMap<>()));

        // The bundle is loaded once; every method is a captioner derived from the first, in microseconds.
        try (DecapModel model = OnnxDeCap.fromBundle(bundle).vocabulary(vocabulary).load()) {
            MemoryBank bank = model.encodeMemory(corpus, null);
            // Projection-based decoding is the default projector.
            try (DeCap pd = model.captioner().memoryBank(bank).build()) {
                for (int i = 0; i < images.size(); i++) {
                    perImage.get(i).put("PD", pd.caption(images.get(i)));
                }
                // Retrieval needs no decoding: the closest memory caption, verbatim.
                for (int i = 0; i < images.size(); i++) {
                    perImage.get(i).put("retrieval", pd.retrieve(images.get(i)));
                }
                Map<String, Projector> others = new LinkedHashMap<>();
                others.put("NND", new NearestNeighbourProjector());
                others.put("visual", new IdentityProjector());
                for (Map.Entry<String, Projector> method : others.entrySet()) {
                    try (DeCap decap = pd.withProjector(method.getValue())) {
                        for (int i = 0; i < images.size(); i++) {
                            perImage.get(i).put(method.getKey(), decap.caption(images.get(i)));
                        }
                    }
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            Map<String, Caption> ordered = new LinkedHashMap<>();
            for (String m : List.of("PD", "NND", "visual", "retrieval")) {
                ordered.put(m, perImage.get(i).get(m));
            }
            results.add(new Result(images.get(i), ordered));
        }
        return results;
    }

    /** Prints the captions and the three largest PD contributions per image. */
    public static void print(List<Result> results, PrintStream out) {
        for (Result r : results) {
            out.println(r.image());
            r.captions().forEach((method, c) -> out.printf("  %-9s %s%n", method, c.text()));
            out.println("  PD mixed:");
            for (Contribution c : r.captions().get("PD").contributions().stream().limit(3).toList()) {
                out.printf("    %.3f  (cos %.3f)  %s%n", c.weight(), c.similarity(), c.caption());
            }
        }
    }
}
