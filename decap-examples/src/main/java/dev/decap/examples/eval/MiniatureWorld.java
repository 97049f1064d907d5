package dev.decap.examples.eval;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The miniature world of {@code docs/miniature-world.md}, written from its contract in Java, independently of the
 * Python generator: seeded scenes of one or two coloured shapes, a Java2D renderer and reference captions from the
 * caption grammar. Evaluation images come from here, so the Java evaluation needs no Python and no files.
 *
 * <p>Stateless; every scene is a pure function of its seed.
 */
public final class MiniatureWorld {
    /** Image side in pixels. */
    public static final int SIZE = 64;
    /** Shapes. */
    public static final List<String> SHAPES = List.of("circle", "square", "triangle");
    /** Colour names, in a fixed order. */
    public static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "purple", "orange");
    /** Colour name to RGB, as the contract fixes them. */
    public static final Map<String, Color> RGB = Map.of(
            "red", new Color(220, 40, 40), "green", new Color(40, 180, 60), "blue", new Color(50, 80, 220),
            "yellow", new Color(230, 210, 40), "purple", new Color(140, 60, 180), "orange", new Color(240, 140, 30));
    /** Size name to radius. */
    public static final Map<String, Integer> RADIUS = Map.of("small", 7, "large", 12);
    /** Relations of the first object relative to the second. */
    public static final List<String> RELATIONS = List.of("left", "right", "above", "below");
    /** The words of each size in captions. */
    public static final Map<String, List<String>> SIZE_WORDS = Map.of(
            "small", List.of("small", "little", "tiny"), "large", List.of("large", "big"));
    /** Relation to its phrase in captions. */
    public static final Map<String, String> RELATION_PHRASE = Map.of(
            "left", "to the left of", "right", "to the right of", "above", "above", "below", "below");

    private static final List<String> SINGLE_FRAMES = List.of("{a}", "there is {a}", "a picture of {a}",
            "an image of {a}", "a drawing of {a}", "{a} on a plain background", "{a} in the picture");
    private static final List<String> PAIR_FRAMES = List.of("{a} {rel} {b}", "there is {a} {rel} {b}",
            "{a} is {rel} {b}", "a picture of {a} {rel} {b}", "an image of {a} {rel} {b}",
            "a drawing of {a} {rel} {b}", "{a} sits {rel} {b}");

    private MiniatureWorld() {
    }

    /** One filled object: shape, colour, size and centre. */
    public record Shape(String shape, String colour, String size, int cx, int cy) {
        /** Radius: 7 small, 12 large. */
        public int r() {
            return RADIUS.get(size);
        }
    }

    /**
     * A scene: background, one or two objects and, for two, the relation of {@code objects.get(0)} relative to
     * {@code objects.get(1)} (null for one).
     */
    public record Scene(long seed, Color background, List<Shape> objects, String relation) {
        public Scene {
            objects = List.copyOf(objects);
        }
    }

    /** The scene of {@code seed}: one object with probability 0.35, else two with a relation. */
    public static Scene scene(long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x5DEECE66DL);
        Color bg = new Color(200 + rng.nextInt(56), 200 + rng.nextInt(56), 200 + rng.nextInt(56));
        if (rng.nextDouble() < 0.35) {
            String size = pick(rng, List.of("small", "large"));
            int r = RADIUS.get(size);
            return new Scene(seed, bg, List.of(new Shape(pick(rng, SHAPES), pick(rng, COLOURS), size,
                    r + rng.nextInt(SIZE - 2 * r), r + rng.nextInt(SIZE - 2 * r))), null);
        }
        String c0 = pick(rng, COLOURS);
        String c1;
        do {
            c1 = pick(rng, COLOURS);
        } while (c1.equals(c0));
        String z0 = pick(rng, List.of("small", "large"));
        String z1 = pick(rng, List.of("small", "large"));
        int r0 = RADIUS.get(z0);
        int r1 = RADIUS.get(z1);
        String relation = pick(rng, RELATIONS);
        // Along the relation's axis the "low" object (left / top) comes first; gap 20..38, off-axis -3..3.
        boolean zeroIsLow = relation.equals("left") || relation.equals("above");
        int rLow = zeroIsLow ? r0 : r1;
        int rHigh = zeroIsLow ? r1 : r0;
        int gap;
        int low;
        do {
            gap = 20 + rng.nextInt(19);
        } while (rLow + gap + rHigh > SIZE - 1);
        low = rLow + rng.nextInt(SIZE - rHigh - gap - rLow);
        int off = rng.nextInt(7) - 3;
        int acrossMin = Math.max(rLow, rHigh - off);
        int acrossMax = Math.min(SIZE - 1 - rLow, SIZE - 1 - rHigh - off);
        int across = acrossMin + rng.nextInt(acrossMax - acrossMin + 1);
        int[] pLow = {low, across};
        int[] pHigh = {low + gap, across + off};
        if (relation.equals("above") || relation.equals("below")) {
            pLow = new int[]{pLow[1], pLow[0]};
            pHigh = new int[]{pHigh[1], pHigh[0]};
        }
        int[] p0 = zeroIsLow ? pLow : pHigh;
        int[] p1 = zeroIsLow ? pHigh : pLow;
        return new Scene(seed, bg, List.of(new Shape(pick(rng, SHAPES), c0, z0, p0[0], p0[1]),
                new Shape(pick(rng, SHAPES), c1, z1, p1[0], p1[1])), relation);
    }

    /** Renders a scene as the contract says: uniform background, filled shapes, no antialiasing. */
    public static BufferedImage render(Scene scene) {
        BufferedImage img = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            // Exact geometry, pixels filled where their centre is inside: with the boxes below this gives the
            // same pixels as Pillow's ImageDraw for the contract's integer boxes (checked for both sizes).
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(scene.background());
            g.fillRect(0, 0, SIZE, SIZE);
            for (Shape s : scene.objects()) {
                int r = s.r();
                g.setColor(RGB.get(s.colour()));
                // The box [cx-r, cy-r, cx+r, cy+r] includes both edges: 2r+1 pixels across.
                switch (s.shape()) {
                    case "circle" -> g.fillOval(s.cx() - r, s.cy() - r, 2 * r + 1, 2 * r + 1);
                    case "square" -> g.fillRect(s.cx() - r, s.cy() - r, 2 * r + 1, 2 * r + 1);
                    case "triangle" -> {
                        Path2D.Double t = new Path2D.Double();
                        t.moveTo(s.cx() + 0.5, s.cy() - r);
                        t.lineTo(s.cx() - r, s.cy() + r + 1);
                        t.lineTo(s.cx() + r + 1, s.cy() + r + 1);
                        t.closePath();
                        g.fill(t);
                    }
                    default -> throw new IllegalArgumentException("unknown shape " + s.shape());
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** {@code count} reference captions of a scene, sampled from the caption grammar (seeded by the scene). */
    public static List<String> captions(Scene scene, int count) {
        SplittableRandom rng = new SplittableRandom(scene.seed() * 31 + 7);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(caption(scene, rng));
        }
        return out;
    }

    private static String caption(Scene scene, SplittableRandom rng) {
        List<Shape> objs = scene.objects();
        String text;
        if (objs.size() == 1) {
            text = pick(rng, SINGLE_FRAMES).replace("{a}", nounPhrase(objs.get(0), rng));
        } else {
            boolean swap = rng.nextBoolean();
            Shape a = objs.get(swap ? 1 : 0);
            Shape b = objs.get(swap ? 0 : 1);
            String rel = swap ? opposite(scene.relation()) : scene.relation();
            text = pick(rng, PAIR_FRAMES).replace("{a}", nounPhrase(a, rng)).replace("{b}", nounPhrase(b, rng))
                    .replace("{rel}", RELATION_PHRASE.get(rel));
        }
        return rng.nextInt(4) == 0 ? text + " ." : text;
    }

    private static String nounPhrase(Shape s, SplittableRandom rng) {
        String rest = (rng.nextBoolean() ? pick(rng, SIZE_WORDS.get(s.size())) + " " : "") + s.colour() + " "
                + s.shape();
        String article = rng.nextInt(3) == 0 ? "the" : (rest.startsWith("orange") ? "an" : "a");
        return article + " " + rest;
    }

    /** left/right and above/below swapped. */
    public static String opposite(String relation) {
        return switch (relation) {
            case "left" -> "right";
            case "right" -> "left";
            case "above" -> "below";
            case "below" -> "above";
            default -> throw new IllegalArgumentException("unknown relation " + relation);
        };
    }

    private static <T> T pick(SplittableRandom rng, List<T> options) {
        return options.get(rng.nextInt(options.size()));
    }

    /** A one-line description, e.g. {@code "small red circle left of large blue square"}. */
    public static String describe(Scene scene) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < scene.objects().size(); i++) {
            Shape s = scene.objects().get(i);
            if (i > 0) {
                b.append(' ').append(scene.relation()).append(i == 1 && !scene.relation().startsWith("a")
                        && !scene.relation().startsWith("b") ? " of " : " ");
            }
            b.append(String.format(Locale.ROOT, "%s %s %s", s.size(), s.colour(), s.shape()));
        }
        return b.toString();
    }
}
