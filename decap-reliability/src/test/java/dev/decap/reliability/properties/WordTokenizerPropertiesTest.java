package dev.decap.reliability.properties;

import dev.decap.InvalidInputException;
import dev.decap.tokenization.WordTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The word tokenizer of the miniature model on generated text, each call under a hang guard: it decodes what it
 * encoded to the canonical text, takes any string, and refuses ids outside its vocabulary. (CLIP: {@link
 * ClipTokenizerPropertiesTest}.)
 */
class WordTokenizerPropertiesTest {
    private static final int TRIES = 300;
    private static final WordTokenizer WORDS = WordTokenizer.fromLines(
            new String(resource("dev/decap/miniature/bundle/vocab.txt"), StandardCharsets.UTF_8).lines().toList());

    @Provide
    Arbitrary<String> texts() {
        return Texts.any();
    }

    @Provide
    Arbitrary<List<String>> wordSequences() {
        List<String> words = new ArrayList<>();
        for (String token : WORDS.tokens()) {
            if (!token.startsWith("<")) {
                words.add(token);
            }
        }
        return Arbitraries.of(words).list().ofMaxSize(30);
    }

    @Property(tries = TRIES)
    void word_decoding_of_vocabulary_text_gives_the_canonical_text(@ForAll("wordSequences") List<String> words,
            @ForAll long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        StringBuilder text = new StringBuilder(r.nextBoolean() ? "  " : "");
        StringBuilder canonical = new StringBuilder();
        for (String w : words) {
            text.append(r.nextBoolean() ? w.toUpperCase(java.util.Locale.ROOT) : w).append(r.nextBoolean() ? " " : "\t\n ");
            if (canonical.length() > 0 && !w.equals(".")) {
                canonical.append(' ');
            }
            canonical.append(w);
        }
        int[] ids = WORDS.encode(text.toString());
        assertTrue(Arrays.stream(ids).noneMatch(id -> id == WordTokenizer.UNK_ID), "all words known");
        assertEquals(canonical.toString(), WORDS.decode(ids));
    }

    @Property(tries = TRIES)
    void word_tokenizer_takes_any_text_and_decodes_any_id_it_gives(@ForAll("texts") String text,
            @ForAll @IntRange(min = 2, max = 64) int length) {
        int[] ids = HangGuard.call("encode", () -> WORDS.encode(text));
        for (int id : ids) {
            assertTrue(id >= 0 && id < WORDS.vocabularySize(), "id " + id + " in range");
        }
        WORDS.decode(ids);
        int[] context = WORDS.encodeContext(text, length);
        assertEquals(length, context.length);
        assertEquals(WORDS.startOfText(), context[0]);
        assertTrue(Arrays.stream(context).anyMatch(id -> id == WORDS.endOfText()), "EOT present");
    }

    @Property(tries = TRIES)
    void decoding_ids_outside_the_vocabulary_is_refused(@ForAll @Size(min = 1, max = 8) List<Integer> ids) {
        int[] array = ids.stream().mapToInt(Integer::intValue).toArray();
        boolean outside = Arrays.stream(array).anyMatch(id -> id < 0 || id >= WORDS.vocabularySize());
        if (outside) {
            assertThrows(InvalidInputException.class, () -> WORDS.decode(array));
        } else {
            WORDS.decode(array);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = WordTokenizerPropertiesTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the test classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
