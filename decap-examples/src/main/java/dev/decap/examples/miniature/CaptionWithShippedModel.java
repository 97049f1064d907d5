package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.miniature.Miniature;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shortest program: caption images with the shipped miniature model, no path to any model.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.miniature.CaptionWithShippedModel \
 *     docs/samples/sample_1.png docs/samples/sample_4.png
 * </pre>
 */
public final class CaptionWithShippedModel {
    private CaptionWithShippedModel() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: CaptionWithShippedModel IMAGE...");
            System.exit(2);
        }
        List<Path> images = new ArrayList<>();
        for (String a : args) {
            images.add(Path.of(a));
        }
        run(images).forEach((line) -> System.out.println(line));
    }

    /** "IMAGE: caption" for each image. */
    public static List<String> run(List<Path> images) {
        List<String> out = new ArrayList<>();
        try (DeCap decap = Miniature.captioner()) {                 // the shipped model and memory
            for (Path image : images) {
                Caption caption = decap.caption(image);
                out.add(image + ": " + caption.text());
            }
        }
        return out;
    }
}
