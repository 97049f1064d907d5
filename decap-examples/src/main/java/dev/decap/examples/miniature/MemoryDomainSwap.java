package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.examples.eval.CaptionFacts;
import dev.decap.miniature.Miniature;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Optional;

/**
 * DeCap's memory decides the language: the same images captioned with a memory of only two-object captions and
 * with a memory of only single-object captions (both subsets of the shipped memory; the decoder is the same). The
 * captioner speaks the memory's "domain" without retraining.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.miniature.MemoryDomainSwap docs/samples
 * </pre>
 */
public final class MemoryDomainSwap {
    private MemoryDomainSwap() {
    }

    /** Captions of one image under each memory. */
    public record Swap(Caption withPairMemory, Caption withSingleMemory) {
    }

    public static void main(String[] args) throws Exception {
        List<BufferedImage> images = BatchAndVideo.readImages(args);
        List<Swap> swaps = run(images);
        for (int i = 0; i < swaps.size(); i++) {
            System.out.println("image " + (i + 1));
            System.out.println("  two-object memory:    " + swaps.get(i).withPairMemory().text());
            System.out.println("  single-object memory: " + swaps.get(i).withSingleMemory().text());
        }
    }

    /** The shipped memory split by how many objects each caption mentions. */
    public static List<String> memoryOf(int objects) {
        return Miniature.memoryCaptions().stream().filter(c -> mentions(c) == objects).toList();
    }

    static int mentions(String caption) {
        Optional<CaptionFacts.Parsed> p = CaptionFacts.parse(caption);
        return p.map(x -> x.mentions().size()).orElse(0);
    }

    public static List<Swap> run(List<BufferedImage> images) {
        List<Caption> pairs;
        List<Caption> singles;
        try (DeCap decap = Miniature.builder().memoryCaptions(memoryOf(2)).build()) {
            pairs = decap.captionAll(images);
        }
        try (DeCap decap = Miniature.builder().memoryCaptions(memoryOf(1)).build()) {
            singles = decap.captionAll(images);
        }
        return java.util.stream.IntStream.range(0, images.size())
                .mapToObj(i -> new Swap(pairs.get(i), singles.get(i))).toList();
    }
}
