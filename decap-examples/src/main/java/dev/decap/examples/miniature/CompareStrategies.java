package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.examples.Strategy;
import dev.decap.memory.MemoryBank;
import dev.decap.miniature.Miniature;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's comparison on the shipped model: projection decoding (PD), nearest-neighbour decoding (NND), visual
 * decoding and retrieval, for the same images. The memory is encoded once and shared.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.miniature.CompareStrategies docs/samples
 * </pre>
 */
public final class CompareStrategies {
    private CompareStrategies() {
    }

    public static void main(String[] args) throws Exception {
        List<BufferedImage> images = BatchAndVideo.readImages(args);
        print(run(images), System.out);
    }

    /** Per image, its caption by each strategy (in {@link Strategy} order). */
    public static List<Map<Strategy, Caption>> run(List<BufferedImage> images) {
        List<Map<Strategy, Caption>> out = new ArrayList<>();
        images.forEach(i -> out.add(new EnumMap<>(Strategy.class)));
        MemoryBank bank = null;
        for (Strategy s : Strategy.values()) {
            Miniature.Builder b = Miniature.builder().projector(s.projector(0));
            if (bank != null) {
                b.memoryBank(bank);                                  // encoded by the first captioner
            }
            try (DeCap decap = b.build()) {
                bank = decap.memoryBank();
                List<Caption> captions = s == Strategy.RETRIEVAL
                        ? images.stream().map(decap::retrieve).toList()
                        : decap.captionAll(images, decap.decodingOptions());
                for (int i = 0; i < images.size(); i++) {
                    out.get(i).put(s, captions.get(i));
                }
            }
        }
        return out;
    }

    /** One block per image: the four captions. */
    public static void print(List<Map<Strategy, Caption>> results, PrintStream out) {
        for (int i = 0; i < results.size(); i++) {
            out.println("image " + (i + 1));
            results.get(i).forEach((s, c) -> out.printf("  %-9s %s%n", s.label(), c.text()));
        }
    }

}
