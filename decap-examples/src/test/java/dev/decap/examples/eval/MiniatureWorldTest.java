package dev.decap.examples.eval;

import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java world follows the contract of docs/miniature-world.md. */
class MiniatureWorldTest {

    @Test
    void scenes_are_a_pure_function_of_their_seed() {
        assertEquals(MiniatureWorld.scene(42), MiniatureWorld.scene(42));
        assertNotEquals(MiniatureWorld.scene(42), MiniatureWorld.scene(43));
    }

    @Test
    void every_scene_follows_the_contract() {
        int singles = 0;
        for (long seed = 0; seed < 2000; seed++) {
            Scene s = MiniatureWorld.scene(seed);
            for (int c : new int[]{s.background().getRed(), s.background().getGreen(), s.background().getBlue()}) {
                assertTrue(c >= 200 && c <= 255, "background channel " + c);
            }
            for (Shape o : s.objects()) {
                assertTrue(o.cx() - o.r() >= 0 && o.cx() + o.r() <= 63 && o.cy() - o.r() >= 0
                        && o.cy() + o.r() <= 63, "inside the canvas: " + o);
                assertTrue(o.r() == 7 || o.r() == 12);
            }
            if (s.objects().size() == 1) {
                singles++;
                assertNull(s.relation());
                continue;
            }
            assertEquals(2, s.objects().size());
            Shape a = s.objects().get(0);
            Shape b = s.objects().get(1);
            assertNotEquals(a.colour(), b.colour());
            int dx = b.cx() - a.cx();
            int dy = b.cy() - a.cy();
            switch (s.relation()) {
                case "left" -> assertTrue(dx >= 20 && dx <= 38 && Math.abs(dy) <= 3, s.toString());
                case "right" -> assertTrue(-dx >= 20 && -dx <= 38 && Math.abs(dy) <= 3, s.toString());
                case "above" -> assertTrue(dy >= 20 && dy <= 38 && Math.abs(dx) <= 3, s.toString());
                case "below" -> assertTrue(-dy >= 20 && -dy <= 38 && Math.abs(dx) <= 3, s.toString());
                default -> throw new AssertionError(s.relation());
            }
        }
        assertTrue(singles > 500 && singles < 900, "about 35 % single-object scenes: " + singles);
    }

    @Test
    void rendering_is_64_by_64_with_only_the_background_and_contract_colours() {
        for (long seed = 0; seed < 50; seed++) {
            Scene s = MiniatureWorld.scene(seed);
            BufferedImage img = MiniatureWorld.render(s);
            assertEquals(64, img.getWidth());
            assertEquals(64, img.getHeight());
            Set<Integer> allowed = new HashSet<>();
            allowed.add(s.background().getRGB() & 0xFFFFFF);
            s.objects().forEach(o -> allowed.add(MiniatureWorld.RGB.get(o.colour()).getRGB() & 0xFFFFFF));
            Set<Integer> seen = new HashSet<>();
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    seen.add(img.getRGB(x, y) & 0xFFFFFF);
                }
            }
            assertEquals(allowed, seen, "no antialiasing, every object visible: " + s);
            for (Shape o : s.objects()) {
                Color centre = new Color(img.getRGB(o.cx(), o.cy()));
                if (s.objects().size() == 1 || o == s.objects().get(1)) {
                    assertEquals(MiniatureWorld.RGB.get(o.colour()), centre, "the centre is filled: " + o);
                }
            }
        }
    }

    @Test
    void shapes_fill_their_boxes_as_pillow_draws_the_contract() {
        // Pixel counts of Pillow's ImageDraw.ellipse/polygon/rectangle on the contract's boxes (r = 7 and 12).
        assertEquals(177, filled(new Shape("circle", "red", "small", 30, 31)));
        assertEquals(489, filled(new Shape("circle", "red", "large", 30, 31)));
        assertEquals(113, filled(new Shape("triangle", "red", "small", 30, 31)));
        assertEquals(313, filled(new Shape("triangle", "red", "large", 30, 31)));
        assertEquals(15 * 15, filled(new Shape("square", "red", "small", 30, 31)));
        BufferedImage t = MiniatureWorld.render(new Scene(0, Color.WHITE,
                java.util.List.of(new Shape("triangle", "blue", "large", 32, 32)), null));
        assertEquals(MiniatureWorld.RGB.get("blue").getRGB(), t.getRGB(32, 20), "the apex (cx, cy - r)");
        assertEquals(MiniatureWorld.RGB.get("blue").getRGB(), t.getRGB(20, 44), "the corner (cx - r, cy + r)");
        assertEquals(Color.WHITE.getRGB(), t.getRGB(21, 21), "outside the sloped side");
    }

    private static int filled(Shape shape) {
        BufferedImage img = MiniatureWorld.render(new Scene(0, Color.WHITE, java.util.List.of(shape), null));
        int n = 0;
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                n += img.getRGB(x, y) == Color.WHITE.getRGB() ? 0 : 1;
            }
        }
        return n;
    }

    @Test
    void reference_captions_state_only_true_facts_about_their_scene() {
        for (long seed = 0; seed < 300; seed++) {
            Scene s = MiniatureWorld.scene(seed);
            for (String caption : MiniatureWorld.captions(s, 5)) {
                CaptionFacts.Judgement j = CaptionFacts.judge(caption, s);
                assertTrue(j.allFacts() && j.headline(), caption + " for " + s);
            }
        }
    }
}
