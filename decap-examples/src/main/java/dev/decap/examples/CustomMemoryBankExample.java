package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.encoding.TextEncoder;
import dev.decap.memory.MemoryBank;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.tokenization.ClipTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Adapts a captioner to a new domain by swapping its memory bank for one of your own, with no retraining.
 *
 * <p>A custom bank implements four methods ({@code size}, {@code dimension}, {@code caption}, {@code embedding});
 * search and blockwise bulk access come as defaults. Here the bank holds a product catalogue's descriptions,
 * encoded once with the bundle's CLIP text encoder.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.CustomMemoryBankExample BUNDLE_DIR VOCABULARY IMAGE
 * </pre>
 */
public final class CustomMemoryBankExample {

    private CustomMemoryBankExample() {
    }

    /** A catalogue entry: the text that will be mixed into captions. */
    public record Product(String sku, String description) {
    }

    /** A read-only bank over a product catalogue. Thread-safe: nothing changes after construction. */
    public static final class CatalogueBank implements MemoryBank {
        private final List<Product> products;
        private final float[][] unitEmbeddings;
        private final int dimension;

        /** Encodes every description with {@code encoder}; embeddings are normalised here, as banks must. */
        public CatalogueBank(List<Product> products, TextEncoder encoder) {
            if (products.isEmpty()) {
                throw new InvalidInputException("the catalogue is empty; a memory bank needs at least one entry");
            }
            this.products = List.copyOf(products);
            this.dimension = encoder.dimension();
            List<float[]> raw = encoder.encodeAll(products.stream().map(Product::description).toList());
            this.unitEmbeddings = new float[raw.size()][];
            for (int i = 0; i < raw.size(); i++) {
                unitEmbeddings[i] = Vectors.normalized(raw.get(i), "embedding of " + products.get(i).sku());
            }
        }

        @Override
        public int size() {
            return products.size();
        }

        @Override
        public int dimension() {
            return dimension;
        }

        @Override
        public String caption(int index) {
            return products.get(index).description();
        }

        @Override
        public float[] embedding(int index) {
            return unitEmbeddings[index].clone();
        }

        /** The product behind memory entry {@code index}. */
        public Product product(int index) {
            return products.get(index);
        }
    }

    /** A small catalogue for the demo. */
    public static List<Product> demoCatalogue() {
        List<Product> products = new ArrayList<>();
        products.add(new Product("TENT-2P", "a green two person tent pitched in a forest"));
        products.add(new Product("KAYAK-S", "a red sea kayak on a calm lake"));
        products.add(new Product("BIKE-MTB", "a mountain bike leaning against a wooden fence"));
        products.add(new Product("STOVE-G", "a small gas stove boiling water outdoors"));
        products.add(new Product("PACK-40", "a blue hiking backpack on a rocky trail"));
        return products;
    }

    /**
     * Loads the bundle once, builds the catalogue bank with its text encoder and captions {@code image} against
     * it. The same loaded model could caption against any number of banks: {@code withMemoryBank(..)} swaps them
     * in microseconds.
     */
    public static Caption caption(Path bundleDir, Path vocabulary, Path image) {
        ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(vocabulary);
        try (DecapModel model = OnnxDeCap.fromBundle(bundleDir).tokenizer(tokenizer).load()) {
            OnnxTextEncoder encoder = model.textEncoder().orElseThrow(() -> new InvalidInputException("bundle "
                    + bundleDir + " has no text encoder, which this example needs to encode the catalogue"));
            CatalogueBank bank = new CatalogueBank(demoCatalogue(), encoder);
            try (DeCap decap = model.captioner().memoryBank(bank).build()) {
                return decap.caption(image);
            }
        }
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: CustomMemoryBankExample BUNDLE_DIR VOCABULARY IMAGE");
            System.exit(2);
        }
        Caption caption = caption(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
        System.out.println(caption.text());
        caption.contributions().forEach(c -> System.out.printf("  %.3f  %s%n", c.weight(), c.caption()));
    }
}
