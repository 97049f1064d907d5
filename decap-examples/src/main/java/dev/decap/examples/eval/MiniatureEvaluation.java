package dev.decap.examples.eval;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.decoding.DecodingOptions;
import dev.decap.examples.Strategy;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.DecapModel;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Evaluates the shipped miniature model on held-out scenes rendered by {@link MiniatureWorld} (Java2D, from a
 * seed): accuracy of each fact a caption states (colour, shape, size, relation; all facts together; one-object and
 * two-object scenes separately, read by {@link CaptionFacts}) and, with a {@link CaptionScorer}, BLEU-4 and CIDEr-D
 * against the world's reference captions, for each strategy (PD, NND, visual decoding, retrieval) and decoding
 * (greedy, beam). Image embeddings are computed once and shared by every row; the memory is encoded once.
 *
 * <pre>
 * java -jar decap-examples/target/decap.jar evaluate-miniature --images 600 --out docs/miniature-results.md
 * </pre>
 */
public final class MiniatureEvaluation {
    /** First seed of the default evaluation scenes. */
    public static final long DEFAULT_SEED = 4_000_000L;
    /** Reference captions per scene. */
    public static final int REFERENCES = 5;

    private MiniatureEvaluation() {
    }

    /**
     * What to evaluate.
     *
     * @param images     number of scenes (seeds {@code seed .. seed + images - 1})
     * @param seed       first seed
     * @param strategies strategies, in table order
     * @param beams      decodings: 1 greedy, more a beam of that width (retrieval is evaluated once)
     */
    public record Settings(int images, long seed, List<Strategy> strategies, List<Integer> beams) {
        public Settings {
            if (images < 1) {
                throw new IllegalArgumentException("images must be at least 1, found " + images);
            }
            strategies = List.copyOf(strategies);
            beams = List.copyOf(beams);
            if (strategies.isEmpty() || beams.isEmpty() || beams.stream().anyMatch(b -> b < 1)) {
                throw new IllegalArgumentException("give at least one strategy and beam widths of at least 1");
            }
        }

        /** Every strategy, greedy and beam 3. */
        public static Settings full(int images, long seed) {
            return new Settings(images, seed, List.of(Strategy.values()), List.of(1, 3));
        }
    }

    /** Counts of right answers over one row's scenes. */
    public record Row(Strategy strategy, int beam, int singles, int pairs, int singleRight, int pairRight,
                      int allFacts, int colour, int shape, int relation, int sizesStated, int sizesRight,
                      int unparsed, Map<String, Double> metrics, List<String> captions) {
        /** "greedy", "beam 3", or "-" for retrieval. */
        public String decoding() {
            return strategy == Strategy.RETRIEVAL ? "-" : beam == 1 ? "greedy" : "beam " + beam;
        }

        /** One-object scenes: colour and shape right. */
        public double singleAccuracy() {
            return ratio(singleRight, singles);
        }

        /** Two-object scenes: both colour-shape pairs and the relation right. */
        public double pairAccuracy() {
            return ratio(pairRight, pairs);
        }

        /** Every stated fact right (count, colours, shapes, stated sizes, relation). */
        public double allFactsAccuracy() {
            return ratio(allFacts, singles + pairs);
        }

        /** Colours right (as a set), over all scenes. */
        public double colourAccuracy() {
            return ratio(colour, singles + pairs);
        }

        /** Shapes right (as a multiset), over all scenes. */
        public double shapeAccuracy() {
            return ratio(shape, singles + pairs);
        }

        /** Relation right, over two-object scenes. */
        public double relationAccuracy() {
            return ratio(relation, pairs);
        }

        /** Share of stated sizes that are right. */
        public double sizeAccuracy() {
            return ratio(sizesRight, sizesStated);
        }

        private static double ratio(int a, int b) {
            return b == 0 ? Double.NaN : (double) a / b;
        }
    }

    /** All rows, with the settings and the time taken. */
    public record Result(Settings settings, List<Row> rows, double seconds) {
        public Result {
            rows = List.copyOf(rows);
        }

        /** The row of a strategy and beam width (retrieval: any width). */
        public Row row(Strategy s, int beam) {
            return rows.stream().filter(r -> r.strategy() == s && (s == Strategy.RETRIEVAL || r.beam() == beam))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("no row " + s + " beam " + beam));
        }

        /** The table in Markdown. */
        public String markdown() {
            boolean metrics = rows.stream().anyMatch(r -> !r.metrics().isEmpty());
            StringBuilder b = new StringBuilder();
            b.append("| strategy | decoding | 1 object: colour+shape | 2 objects: both pairs+relation | all facts "
                    + "| colour | shape | size (stated) | relation |");
            b.append(metrics ? " BLEU-4 | CIDEr-D |\n" : "\n");
            b.append("|---|---|---|---|---|---|---|---|---|").append(metrics ? "---|---|\n" : "\n");
            for (Row r : rows) {
                b.append("| ").append(r.strategy().label()).append(" | ").append(r.decoding()).append(" | ")
                        .append(pct(r.singleAccuracy())).append(" | ").append(pct(r.pairAccuracy())).append(" | ")
                        .append(pct(r.allFactsAccuracy())).append(" | ").append(pct(r.colourAccuracy()))
                        .append(" | ").append(pct(r.shapeAccuracy())).append(" | ").append(pct(r.sizeAccuracy()))
                        .append(" | ").append(pct(r.relationAccuracy())).append(" |");
                if (metrics) {
                    b.append(' ').append(num(r.metrics().get("Bleu_4"))).append(" | ")
                            .append(num(r.metrics().get("CIDEr"))).append(" |");
                }
                b.append('\n');
            }
            return b.toString();
        }
    }

    /**
     * Runs the evaluation with the shipped model and its memory.
     *
     * @param scorer corpus metrics (e.g. BLEU-4 and CIDEr-D), or {@link CaptionScorer#NONE}
     */
    public static Result run(Settings settings, CaptionScorer scorer) {
        Objects.requireNonNull(scorer, "scorer");
        long t0 = System.nanoTime();
        List<Scene> scenes = new ArrayList<>(settings.images());
        List<BufferedImage> images = new ArrayList<>(settings.images());
        Map<String, List<String>> references = new LinkedHashMap<>();
        for (int i = 0; i < settings.images(); i++) {
            Scene s = MiniatureWorld.scene(settings.seed() + i);
            scenes.add(s);
            images.add(MiniatureWorld.render(s));
            references.put(Long.toString(s.seed()), MiniatureWorld.captions(s, REFERENCES));
        }
        List<Row> rows = new ArrayList<>();
        // One load (bundle hash, sessions) and one memory encoding; each strategy is a cheap projector swap.
        try (DecapModel model = Miniature.onnxBuilder().load();
             DeCap base = model.captioner().memoryBank(model.encodeMemory(Miniature.memoryCaptions(), null))
                     .build()) {
            int maxTokens = model.bundle().maxTokens();
            List<float[]> embeddings = model.imageEncoder().orElseThrow().encodeAll(images);
            for (Strategy strategy : settings.strategies()) {
                try (DeCap decap = base.withProjector(strategy.projector(0))) {
                    for (int beam : strategy == Strategy.RETRIEVAL ? List.of(1) : settings.beams()) {
                        DecodingOptions options = beam == 1 ? DecodingOptions.greedy(maxTokens)
                                : DecodingOptions.builder().beam(beam).maxTokens(maxTokens).build();
                        List<Caption> captions = strategy.caption(decap, embeddings, options);
                        rows.add(row(strategy, beam, scenes, captions.stream().map(Caption::text).toList(),
                                references, scorer));
                    }
                }
            }
        }
        return new Result(settings, rows, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * A precision variant of the shipped model beside its float32 default on the same scenes, PD with greedy
     * decoding (docs/performance.md, "Quantized bundles").
     *
     * @param precision       the variant's precision (its decoder and image tower where the bundle has them)
     * @param reference       the float32 row
     * @param variant         the variant's row
     * @param identicalTokens scenes whose greedy caption has exactly the float32 caption's tokens
     * @param seconds         time taken (both models)
     */
    public record PrecisionComparison(OnnxOptions.Precision precision, Row reference, Row variant,
                                      int identicalTokens, double seconds) {
        /** Scenes compared. */
        public int images() {
            return reference.singles() + reference.pairs();
        }

        /** Share of scenes with identical greedy tokens. */
        public double identicalTokenShare() {
            return (double) identicalTokens / images();
        }

        /** The largest difference between the two rows over every fact accuracy, in points (0..100). */
        public double largestFactDifference() {
            double[] a = facts(reference);
            double[] b = facts(variant);
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                if (!Double.isNaN(a[i]) || !Double.isNaN(b[i])) {
                    worst = Math.max(worst, 100 * Math.abs(a[i] - b[i]));
                }
            }
            return worst;
        }

        /**
         * Whether every fact's accuracy is within {@code points} of float32, or within one case of that fact's
         * denominator where one case is worth more (150 scenes cannot resolve 1 point on ~100 two-object scenes).
         */
        public boolean factsWithin(double points) {
            double[] a = facts(reference);
            double[] b = facts(variant);
            int all = reference.singles() + reference.pairs();
            int[] cases = {reference.singles(), reference.pairs(), all, all, all, reference.sizesStated(),
                reference.pairs()};
            for (int i = 0; i < a.length; i++) {
                if (Double.isNaN(a[i]) && Double.isNaN(b[i])) {
                    continue;
                }
                double allowed = Math.max(points, cases[i] == 0 ? 0 : 100.0 / cases[i]) + 1e-9;
                if (!(100 * Math.abs(a[i] - b[i]) <= allowed)) {
                    return false;
                }
            }
            return true;
        }

        private static double[] facts(Row r) {
            return new double[] {r.singleAccuracy(), r.pairAccuracy(), r.allFactsAccuracy(), r.colourAccuracy(),
                r.shapeAccuracy(), r.sizeAccuracy(), r.relationAccuracy()};
        }

        /** Two table rows (float32, the variant) and the token agreement, in Markdown. */
        public String markdown() {
            StringBuilder b = new StringBuilder("| precision | 1 object | 2 objects | all facts | colour | shape "
                    + "| size (stated) | relation | greedy tokens = fp32 |\n|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : List.of(reference, variant)) {
                b.append("| ").append(r == reference ? "fp32" : precision.id()).append(" | ")
                        .append(pct(r.singleAccuracy())).append(" | ").append(pct(r.pairAccuracy())).append(" | ")
                        .append(pct(r.allFactsAccuracy())).append(" | ").append(pct(r.colourAccuracy()))
                        .append(" | ").append(pct(r.shapeAccuracy())).append(" | ").append(pct(r.sizeAccuracy()))
                        .append(" | ").append(pct(r.relationAccuracy())).append(" | ")
                        .append(r == reference ? "-" : identicalTokens + " / " + images() + " ("
                                + pct(identicalTokenShare()) + ")").append(" |\n");
            }
            int shown = 0;
            for (int i = 0; i < reference.captions().size() && shown < 5; i++) {
                String a = reference.captions().get(i);
                String c = variant.captions().get(i);
                if (!Objects.equals(a, c)) {
                    b.append(shown == 0 ? "\nFirst captions that differ (fp32 / " + precision.id() + "):\n" : "")
                            .append("- ").append(a).append(" / ").append(c).append('\n');
                    shown++;
                }
            }
            return b.toString();
        }
    }

    /**
     * Compares a precision variant of the shipped model ({@code OnnxOptions.precision}) with its float32 default on
     * {@code images} held-out scenes: PD (tau 0.01) over the shipped memory, greedy decoding.
     *
     * @throws dev.decap.ConfigurationException if the shipped bundle has no model of that precision
     */
    public static PrecisionComparison comparePrecision(int images, long seed, OnnxOptions.Precision precision) {
        Objects.requireNonNull(precision, "precision");
        long t0 = System.nanoTime();
        List<Scene> scenes = new ArrayList<>(images);
        List<BufferedImage> rendered = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            Scene s = MiniatureWorld.scene(seed + i);
            scenes.add(s);
            rendered.add(MiniatureWorld.render(s));
        }
        List<List<Caption>> captions = new ArrayList<>();
        for (OnnxOptions.Precision p : new OnnxOptions.Precision[] {null, precision}) {
            OnnxOptions options = OnnxOptions.builder().precision(p).build();
            try (DecapModel model = Miniature.onnxBuilder().onnxOptions(options).load();
                 DeCap decap = model.captioner().memoryBank(model.encodeMemory(Miniature.memoryCaptions(), null))
                         .projector(Strategy.PD.projector(0)).build()) {
                List<float[]> embeddings = model.imageEncoder().orElseThrow().encodeAll(rendered);
                captions.add(Strategy.PD.caption(decap, embeddings,
                        DecodingOptions.greedy(model.bundle().maxTokens())));
            }
        }
        int identical = 0;
        for (int i = 0; i < images; i++) {
            identical += Arrays.equals(captions.get(0).get(i).tokenIds(), captions.get(1).get(i).tokenIds()) ? 1 : 0;
        }
        Row[] rows = new Row[2];
        for (int k = 0; k < 2; k++) {
            rows[k] = row(Strategy.PD, 1, scenes, captions.get(k).stream().map(Caption::text).toList(), Map.of(),
                    CaptionScorer.NONE);
        }
        return new PrecisionComparison(precision, rows[0], rows[1], identical, (System.nanoTime() - t0) / 1e9);
    }

    /** Judges one row's captions. */
    static Row row(Strategy strategy, int beam, List<Scene> scenes, List<String> captions,
                   Map<String, List<String>> references, CaptionScorer scorer) {
        int singles = 0, pairs = 0, singleRight = 0, pairRight = 0, all = 0, colour = 0, shape = 0, relation = 0;
        int stated = 0, sizesRight = 0, unparsed = 0;
        Map<String, String> candidates = new LinkedHashMap<>();
        for (int i = 0; i < scenes.size(); i++) {
            Scene s = scenes.get(i);
            String c = captions.get(i);
            candidates.put(Long.toString(s.seed()), c == null ? "" : c);
            CaptionFacts.Judgement j = CaptionFacts.judge(c, s);
            boolean pair = s.objects().size() == 2;
            if (pair) {
                pairs++;
                pairRight += j.headline() ? 1 : 0;
                relation += Boolean.TRUE.equals(j.relation()) ? 1 : 0;
            } else {
                singles++;
                singleRight += j.headline() ? 1 : 0;
            }
            all += j.allFacts() ? 1 : 0;
            colour += j.colour() ? 1 : 0;
            shape += j.shape() ? 1 : 0;
            stated += j.sizesStated();
            sizesRight += j.sizesRight();
            unparsed += j.parsed() ? 0 : 1;
        }
        Map<String, Double> metrics = Map.copyOf(scorer.score(references, candidates));
        return new Row(strategy, beam, singles, pairs, singleRight, pairRight, all, colour, shape, relation, stated,
                sizesRight, unparsed, metrics, List.copyOf(captions));
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    static String num(Double v) {
        return v == null || v.isNaN() ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }
}
