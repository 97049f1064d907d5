package dev.decap.tokenization;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Issue 12: tokenizing any string of up to 10 MB takes time linear in its length. The time bounds below are hang
 * guards (the quadratic form took 53 s on one 1M-letter word), not speed claims.
 */
class ClipTokenizerBoundedWorkTest {

    private static final Duration HANG_GUARD = Duration.ofSeconds(30);

    private static ClipTokenizer tokenizer;
    private static ClipVocabulary vocabulary;

    @BeforeAll
    static void load() {
        if (SharedData.has(SharedData.vocabulary())) {
            tokenizer = ClipTokenizer.fromOpenAiVocabulary(SharedData.vocabulary());
            vocabulary = ClipVocabulary.fromOpenAi(SharedData.vocabulary());
        }
    }

    private static void requireVocabulary() {
        SharedData.require(SharedData.vocabulary());
    }

    /** The reference's output for the context form, computed from the whole text's ids. */
    private static int[] contextFromAllIds(int[] ids, int contextLength) {
        int[] all = new int[ids.length + 2];
        all[0] = 49406;
        System.arraycopy(ids, 0, all, 1, ids.length);
        all[all.length - 1] = 49407;
        int[] context = new int[contextLength];
        if (all.length > contextLength) {
            System.arraycopy(all, 0, context, 0, contextLength);
            context[contextLength - 1] = 49407;
        } else {
            System.arraycopy(all, 0, context, 0, all.length);
        }
        return context;
    }

    private static String randomWord(Random random, String alphabet, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    @Test
    void linked_bpe_gives_the_same_ids_as_the_reference_scan_on_random_words_of_every_length() {
        requireVocabulary();
        Random random = new Random(12);
        String[] alphabets = {"ab", "aeiou", "abcdefghijklmnopqrstuvwxyz", "thequickbrownfoxjumpsoverlazydg",
                "0123456789", "!?.,;:-_()[]{}", "éàüßøçñ漢字かな한글", "\uD83D\uDE00\uD83D\uDC36\u00A0"};
        int cases = 0;
        for (String alphabet : alphabets) {
            for (int k = 0; k < 120; k++) {
                int length = k < 60 ? 1 + random.nextInt(80) : 80 + random.nextInt(3000);
                byte[] bytes = randomWord(random, alphabet, length).getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(ClipTokenizer.bytePairEncodeSimple(vocabulary, bytes),
                        ClipTokenizer.bytePairEncodeLinked(vocabulary, bytes), () -> "alphabet " + alphabet
                                + ", " + bytes.length + " bytes");
                cases++;
            }
        }
        // Repetitive words (the worst case of the reference's scan) and English words glued together.
        for (String unit : new String[] {"a", "ab", "aab", "the", "dog", "skateboard", "zz", "lol"}) {
            for (int repeats : new int[] {1, 2, 3, 17, 64, 257, 1000}) {
                byte[] bytes = unit.repeat(repeats).getBytes(StandardCharsets.UTF_8);
                assertArrayEquals(ClipTokenizer.bytePairEncodeSimple(vocabulary, bytes),
                        ClipTokenizer.bytePairEncodeLinked(vocabulary, bytes), () -> unit + " x " + repeats);
                cases++;
            }
        }
        byte[] everyByte = new byte[256 * 3];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) random.nextInt(256);
        }
        assertArrayEquals(ClipTokenizer.bytePairEncodeSimple(vocabulary, everyByte),
                ClipTokenizer.bytePairEncodeLinked(vocabulary, everyByte));
        assertEquals(alphabets.length * 120 + 56, cases);
    }

    @Test
    void encode_context_stops_once_the_context_is_full_with_the_same_ids_as_tokenizing_everything() {
        requireVocabulary();
        Random random = new Random(7);
        String[] words = {"a", "dog", "on", "the", "skateboard", "!!", "l'homme", "don't", "42", "<|endoftext|>",
                "naïve", "漢字", "\uD83D\uDE00", "   ", "\n", "supercalifragilisticexpialidocious"};
        for (int k = 0; k < 300; k++) {
            StringBuilder text = new StringBuilder();
            int count = random.nextInt(120);
            for (int i = 0; i < count; i++) {
                text.append(words[random.nextInt(words.length)]);
                if (random.nextInt(3) > 0) {
                    text.append(' ');
                }
            }
            String t = text.toString();
            int[] all = tokenizer.encode(t);
            for (int contextLength : new int[] {2, 3, 4, 10, 77, 200}) {
                assertArrayEquals(contextFromAllIds(all, contextLength), tokenizer.encodeContext(t, contextLength),
                        () -> "context " + contextLength + " of: " + t);
            }
        }
    }

    @Test
    void one_word_of_a_million_letters_is_tokenized_without_hanging() {
        requireVocabulary();
        String word = randomWord(new Random(1), "abcdefghijklmnopqrstuvwxyz", 1_000_000);
        int[] context = assertTimeoutPreemptively(HANG_GUARD, () -> tokenizer.encodeContext(word));
        assertEquals(77, context.length);
        assertEquals(49407, context[76]);
        int[] ids = assertTimeoutPreemptively(HANG_GUARD, () -> tokenizer.encode(word));
        assertArrayEquals(contextFromAllIds(ids, 77), context);
        String repeated = "a".repeat(1_000_000);
        int[] same = assertTimeoutPreemptively(HANG_GUARD, () -> tokenizer.encode(repeated));
        assertEquals(repeated, tokenizer.decode(same).strip());
    }

    @Test
    void ten_megabytes_of_text_are_tokenized_without_hanging() {
        requireVocabulary();
        Random random = new Random(3);
        StringBuilder b = new StringBuilder(10_000_000);
        while (b.length() < 10_000_000) {
            b.append(randomWord(random, "abcdefghij klmnop.,!éü漢", 1 + random.nextInt(40)));
        }
        String text = b.toString();
        int[] context = assertTimeoutPreemptively(HANG_GUARD, () -> tokenizer.encodeContext(text));
        assertEquals(77, context.length);
        String oneWord = "x".repeat(10_000_000);
        int[] wordContext = assertTimeoutPreemptively(HANG_GUARD, () -> tokenizer.encodeContext(oneWord));
        assertEquals(49407, wordContext[76]);
        String prefix = tokenizer.decode(Arrays.copyOfRange(wordContext, 1, 76));
        assertEquals("x".repeat(prefix.length()), prefix);
    }
}
