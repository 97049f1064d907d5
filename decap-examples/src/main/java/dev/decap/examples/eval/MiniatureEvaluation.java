package dev.decap.examples.eval;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.decoding.DecodingOptions;
import dev.decap.examples.Strategy;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.bundle.DecapModel;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
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
