package dev.decap.reliability.properties;

import dev.decap.InvalidInputException;
import dev.decap.tokenization.ClipTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * CLIP tokenizer round trips with the real BPE vocabulary ({@code ../shared/data/clip}; skipped with a message
 * without it), each call under a hang guard: decoding loses no character of the cleaned text but white space,
 * re-encoding a decoding gives the same ids, the context form is start, ids, end and padding, and ids outside the
 * vocabulary are refused.
 */
@AddLifecycleHook(ClipTokenizerPropertiesTest.RequiresVocabulary.class)
class ClipTokenizerPropertiesTest {
    private static final int TRIES = 300;
    private static final Path VOCABULARY = Path.of(System.getProperty("decap.shared.dir", "../shared"))
            .toAbsolutePath().normalize().resolve("data/clip/bpe_simple_vocab_16e6.txt.gz");
    private static ClipTokenizer clip;

    @Provide
    Arbitrary<String> texts() {
        return Texts.any();
    }

    @Property(tries = TRIES)
    void clip_decoding_keeps_every_character_of_the_cleaned_text_but_white_space(@ForAll("texts") String text) {
        ClipTokenizer t = clip();
        Assume.that(!text.contains("<|"));   // literal marker texts become marker ids, which decode drops
        int[] ids = HangGuard.call("encode", () -> t.encode(text));
        String decoded = HangGuard.call("decode", () -> t.decode(ids));
        assertEquals(withoutSpaces(t.clean(text)), withoutSpaces(decoded), "text: " + escape(text));
    }

    @Property(tries = TRIES)
    void clip_re_encoding_a_decoding_gives_the_same_ids(@ForAll("texts") String text) {
        ClipTokenizer t = clip();
        Assume.that(!text.contains("<|"));
        int[] ids = HangGuard.call("encode", () -> t.encode(text));
        int[] again = HangGuard.call("re-encode", () -> t.encode(t.decode(ids)));
        assertArrayEquals(ids, again, "text: " + escape(text));
    }

    @Property(tries = TRIES)
    void clip_context_is_start_ids_end_and_padding(@ForAll("texts") String text,
            @ForAll @IntRange(min = 2, max = 100) int length) {
        ClipTokenizer t = clip();
        int[] ids = t.encode(text);
        int[] context = HangGuard.call("encodeContext", () -> t.encodeContext(text, length));
        assertEquals(length, context.length);
        int kept = Math.min(ids.length, length - 2);
        int[] expected = new int[length];
        expected[0] = t.startOfText();
        System.arraycopy(ids, 0, expected, 1, kept);
        expected[kept + 1] = t.endOfText();
        if (ids.length > length - 2) {
            // clip.tokenize(truncate=True): cut to the context and end with EOT
            expected = Arrays.copyOf(expected, length);
            System.arraycopy(ids, 0, expected, 1, length - 2);
            expected[length - 1] = t.endOfText();
        }
        assertArrayEquals(expected, context, "text: " + escape(text));
    }

    @Property(tries = TRIES)
    void decoding_ids_outside_the_vocabulary_is_refused(@ForAll @Size(min = 1, max = 8) List<Integer> ids) {
        int[] array = ids.stream().mapToInt(Integer::intValue).toArray();
        if (Arrays.stream(array).anyMatch(id -> id < 0 || id >= clip().vocabularySize())) {
            assertThrows(InvalidInputException.class, () -> clip().decode(array));
        } else {
            clip().decode(array);
        }
    }

    private static synchronized ClipTokenizer clip() {
        if (clip == null) {
            clip = ClipTokenizer.fromOpenAiVocabulary(VOCABULARY);
        }
        return clip;
    }

    private static String withoutSpaces(String s) {
        return s.replace(" ", "");
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? Character.toString(c)
                : String.format("\\u%04x", c)));
        return b.toString();
    }

    /** Skips the properties with a message when the shared vocabulary is absent. */
    static final class RequiresVocabulary implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return Files.isRegularFile(VOCABULARY) ? SkipResult.doNotSkip()
                    : SkipResult.skip("../shared/data not found: " + VOCABULARY + " is missing (set "
                    + "-Ddecap.shared.dir to the directory that holds data/)");
        }
    }
}
