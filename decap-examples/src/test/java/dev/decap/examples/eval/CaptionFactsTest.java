package dev.decap.examples.eval;

import dev.decap.examples.eval.CaptionFacts.Mention;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading facts from captions, by the rules of docs/miniature-world.md. */
class CaptionFactsTest {
    static final Scene PAIR = new Scene(1, Color.WHITE, List.of(new Shape("square", "red", "small", 18, 30),
            new Shape("circle", "blue", "large", 47, 32)), "left");
    static final Scene SINGLE = new Scene(2, Color.WHITE, List.of(new Shape("triangle", "orange", "large", 30, 30)),
            null);

    @Test
    void a_mention_is_a_colour_directly_before_a_shape_with_an_optional_size_before_it() {
        CaptionFacts.Parsed p = CaptionFacts.parse("There is a little red square to the left of the blue circle.")
                .orElseThrow();
        assertEquals(List.of(new Mention("red", "square", "small"), new Mention("blue", "circle", null)),
                p.mentions());
        assertEquals("left", p.relation());
        assertNull(CaptionFacts.parse("an orange triangle on a plain background").orElseThrow().relation());
    }

    @Test
    void captions_without_exactly_one_relation_between_two_mentions_are_unparseable() {
        assertTrue(CaptionFacts.parse("a red square and a blue circle").isEmpty());
        assertTrue(CaptionFacts.parse("a red square left above a blue circle").isEmpty());
        assertTrue(CaptionFacts.parse("a red square left of a blue circle right of a green circle").isEmpty());
        assertTrue(CaptionFacts.parse("a square that is red").isEmpty());
        assertTrue(CaptionFacts.parse("").isEmpty());
        assertTrue(CaptionFacts.parse(null).isEmpty());
    }

    @Test
    void a_pair_caption_may_name_either_object_first() {
        assertTrue(CaptionFacts.judge("a red square to the left of a blue circle", PAIR).allFacts());
        assertTrue(CaptionFacts.judge("the big blue circle is to the right of a small red square .", PAIR)
                .allFacts());
        CaptionFacts.Judgement wrong = CaptionFacts.judge("a blue circle to the left of a red square", PAIR);
        assertTrue(wrong.pairs() && wrong.colour() && wrong.shape());
        assertFalse(wrong.relation());
        assertFalse(wrong.headline());
    }

    @Test
    void each_fact_is_judged_on_its_own() {
        CaptionFacts.Judgement swappedShapes = CaptionFacts.judge("a red circle to the left of a blue square", PAIR);
        assertTrue(swappedShapes.colour() && swappedShapes.shape(), "colours and shapes are right as sets");
        assertFalse(swappedShapes.pairs(), "but not paired right");
        assertTrue(swappedShapes.relation(), "the relation is read by colour");
        CaptionFacts.Judgement size = CaptionFacts.judge("a large red square to the left of a blue circle", PAIR);
        assertTrue(size.headline(), "sizes are not part of the headline");
        assertEquals(1, size.sizesStated());
        assertEquals(0, size.sizesRight());
        assertFalse(size.allFacts());
    }

    @Test
    void a_caption_with_the_wrong_number_of_objects_is_wrong_about_everything() {
        CaptionFacts.Judgement j = CaptionFacts.judge("a red square", PAIR);
        assertTrue(j.parsed());
        assertFalse(j.count() || j.colour() || j.shape() || j.headline() || j.allFacts());
        assertFalse(CaptionFacts.judge("a red square above an orange triangle", SINGLE).headline());
    }

    @Test
    void single_object_captions_need_colour_and_shape() {
        assertTrue(CaptionFacts.judge("a picture of an orange triangle", SINGLE).headline());
        assertFalse(CaptionFacts.judge("an orange circle", SINGLE).headline());
        assertFalse(CaptionFacts.judge("a red triangle", SINGLE).headline());
        assertNull(CaptionFacts.judge("an orange triangle", SINGLE).relation());
    }
}
