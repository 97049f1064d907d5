package dev.decap.examples.eval;

import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the facts a caption states about a miniature scene, by the rules of {@code docs/miniature-world.md}
 * ("Reading facts from a caption"), and judges them against the scene.
 *
 * <ol>
 *   <li>Lower-case, drop {@code .}, split on spaces.</li>
 *   <li>A mention is a colour word directly followed by a shape word; its size is the size word directly before
 *       the colour word, if any.</li>
 *   <li>One mention: a single-object caption. Two: a pair caption, whose relation is the one relation word
 *       between the mentions; none or several there, or another number of mentions, make it unparseable.</li>
 * </ol>
 * Stateless.
 */
public final class CaptionFacts {
    private static final Map<String, String> SIZE_OF_WORD = new HashMap<>();

    static {
        MiniatureWorld.SIZE_WORDS.forEach((size, words) -> words.forEach(w -> SIZE_OF_WORD.put(w, size)));
    }

    private CaptionFacts() {
    }

    /** An object a caption mentions; {@code size} is null when the caption does not state it. */
    public record Mention(String colour, String shape, String size) {
    }

    /** What a caption says: one or two mentions and, for two, the relation of the first to the second. */
    public record Parsed(List<Mention> mentions, String relation) {
        public Parsed {
            mentions = List.copyOf(mentions);
        }
    }

    /** The facts of one caption judged against its scene. */
    public record Judgement(boolean parsed, boolean count, boolean colour, boolean shape, boolean pairs,
                            Boolean relation, int sizesStated, int sizesRight, boolean allFacts) {
        /** Single-object scene: colour and shape right; two objects: both colour-shape pairs and the relation. */
        public boolean headline() {
            return pairs && (relation == null || relation);
        }
    }

    /** Parses a caption; empty when it is unparseable. */
    public static Optional<Parsed> parse(String caption) {
        if (caption == null) {
            return Optional.empty();
        }
        String[] toks = Arrays.stream(caption.toLowerCase(Locale.ROOT).replace(".", " ").split(" "))
                .filter(t -> !t.isEmpty()).toArray(String[]::new);
        List<Mention> mentions = new ArrayList<>();
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i + 1 < toks.length; i++) {
            if (MiniatureWorld.COLOURS.contains(toks[i]) && MiniatureWorld.SHAPES.contains(toks[i + 1])) {
                String size = i > 0 ? SIZE_OF_WORD.get(toks[i - 1]) : null;
                mentions.add(new Mention(toks[i], toks[i + 1], size));
                spans.add(new int[]{i, i + 2});
            }
        }
        if (mentions.size() == 1) {
            return Optional.of(new Parsed(mentions, null));
        }
        if (mentions.size() != 2) {
            return Optional.empty();
        }
        List<String> between = new ArrayList<>();
        for (int i = spans.get(0)[1]; i < spans.get(1)[0]; i++) {
            if (MiniatureWorld.RELATIONS.contains(toks[i])) {
                between.add(toks[i]);
            }
        }
        return between.size() == 1 ? Optional.of(new Parsed(mentions, between.get(0))) : Optional.empty();
    }

    /** Judges a caption against the scene it should describe. */
    public static Judgement judge(String caption, Scene scene) {
        Optional<Parsed> p = parse(caption);
        boolean pair = scene.objects().size() == 2;
        if (p.isEmpty()) {
            return new Judgement(false, false, false, false, false, pair ? false : null, 0, 0, false);
        }
        List<Mention> m = p.get().mentions();
        List<Shape> o = scene.objects();
        if (m.size() != o.size()) {
            return new Judgement(true, false, false, false, false, pair ? false : null, 0, 0, false);
        }
        boolean colour = sorted(m.stream().map(Mention::colour).toList())
                .equals(sorted(o.stream().map(Shape::colour).toList()));
        boolean shape = sorted(m.stream().map(Mention::shape).toList())
                .equals(sorted(o.stream().map(Shape::shape).toList()));
        // Which object each mention names: by colour and shape, else by colour (colours of a pair differ).
        int[] assign = assign(m, o, true);
        boolean pairs = assign != null;
        if (assign == null) {
            assign = assign(m, o, false);
        }
        int stated = 0;
        int right = 0;
        if (assign != null) {
            for (int i = 0; i < m.size(); i++) {
                if (m.get(i).size() != null) {
                    stated++;
                    right += m.get(i).size().equals(o.get(assign[i]).size()) ? 1 : 0;
                }
            }
        }
        Boolean relation = null;
        if (pair) {
            if (assign == null) {
                relation = false;
            } else {
                String sceneRel = assign[0] == 0 ? scene.relation() : MiniatureWorld.opposite(scene.relation());
                relation = sceneRel.equals(p.get().relation());
            }
        }
        boolean all = pairs && (relation == null || relation) && stated == right;
        return new Judgement(true, true, colour, shape, pairs, relation, stated, right, all);
    }

    /** mention i -> object index, all distinct, matching colour (and shape when asked); null if none. */
    private static int[] assign(List<Mention> m, List<Shape> o, boolean withShape) {
        if (m.size() == 1) {
            return matches(m.get(0), o.get(0), withShape) ? new int[]{0} : null;
        }
        if (matches(m.get(0), o.get(0), withShape) && matches(m.get(1), o.get(1), withShape)) {
            return new int[]{0, 1};
        }
        if (matches(m.get(0), o.get(1), withShape) && matches(m.get(1), o.get(0), withShape)) {
            return new int[]{1, 0};
        }
        return null;
    }

    private static boolean matches(Mention m, Shape s, boolean withShape) {
        return m.colour().equals(s.colour()) && (!withShape || m.shape().equals(s.shape()));
    }

    private static List<String> sorted(List<String> l) {
        return l.stream().sorted().toList();
    }
}
