package dev.decap.tokenization;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipTokenizerTest {

    private static ClipTokenizer tokenizer;

    @BeforeAll
    static void load() {
        if (SharedData.has(SharedData.vocabulary())) {
            tokenizer = ClipTokenizer.fromOpenAiVocabulary(SharedData.vocabulary());
        }
    }

    private static ClipTokenizer tokenizer() {
        SharedData.require(SharedData.vocabulary());
        return tokenizer;
    }

    @Test
    void vocabulary_has_clips_layout() {
        ClipTokenizer t = tokenizer();
        assertEquals(49408, t.vocabularySize());
        assertEquals(49406, t.startOfText());
        assertEquals(49407, t.endOfText());
        assertEquals("!", t.token(0));
        assertEquals("!</w>", t.token(256));
        assertEquals("in", t.token(512)); // the first merge, "i n"
        assertEquals("<|startoftext|>", t.token(49406));
        assertEquals("<|endoftext|>", t.token(49407));
    }

    @Test
    void encodes_and_decodes_a_caption() {
        ClipTokenizer t = tokenizer();
        int[] ids = t.encode("A man is riding a horse.");
        assertArrayEquals(new int[] {320, 786, 533, 6765, 320, 4558, 269}, ids);
        assertEquals("a man is riding a horse . ", t.decode(ids));
        int[] context = t.encodeContext("A man is riding a horse.");
        assertEquals(77, context.length);
        assertArrayEquals(new int[] {49406, 320, 786, 533, 6765, 320, 4558, 269, 49407, 0}, Arrays.copyOf(context, 10));
        assertEquals("a man is riding a horse . ", t.decode(Arrays.copyOf(context, 9)));
        assertEquals("<|startoftext|>a man is riding a horse . <|endoftext|>", t.decodeVerbatim(Arrays.copyOf(context, 9)));
    }

    @Test
    void null_text_is_invalid_input() {
        ClipTokenizer t = tokenizer();
        assertThrows(InvalidInputException.class, () -> t.encode(null));
        assertThrows(InvalidInputException.class, () -> t.encodeContext(null));
        assertThrows(InvalidInputException.class, () -> t.encodeContext(null, 77));
        assertThrows(InvalidInputException.class, () -> t.decode(null));
    }

    @Test
    void empty_text_gives_start_end_and_padding() {
        int[] expected = new int[77];
        expected[0] = 49406;
        expected[1] = 49407;
        assertArrayEquals(expected, tokenizer().encodeContext(""));
        assertArrayEquals(expected, tokenizer().encodeContext(" \n\t "));
        assertArrayEquals(new int[0], tokenizer().encode(""));
    }

    @Test
    void over_long_text_is_truncated_keeping_the_end_id_last() {
        ClipTokenizer t = tokenizer();
        String text = "word ".repeat(200);
        int[] ids = t.encode(text);
        assertEquals(200, ids.length);
        int[] context = t.encodeContext(text, 77);
        assertEquals(77, context.length);
        assertEquals(49406, context[0]);
        assertEquals(49407, context[76]);
        assertArrayEquals(Arrays.copyOf(ids, 75), Arrays.copyOfRange(context, 1, 76));
        // Exactly full: 75 ids + markers fit without truncation.
        int[] full = t.encodeContext("word ".repeat(75), 77);
        assertEquals(49407, full[76]);
        assertEquals(ids[0], full[75]);
        int[] small = t.encodeContext("word word word", 4);
        assertArrayEquals(new int[] {49406, ids[0], ids[0], 49407}, small);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> t.encodeContext("x", 1));
        assertTrue(e.getMessage().contains("found 1"), e.getMessage());
    }

    @Test
    void context_length_above_the_documented_range_is_refused_naming_the_range_instead_of_running_out_of_memory() {
        ClipTokenizer t = tokenizer();
        for (int length : new int[] {Integer.MAX_VALUE, Tokenizer.MAX_CONTEXT_LENGTH + 1}) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> t.encodeContext("a dog", length));
            assertTrue(e.getMessage().contains("2.." + Tokenizer.MAX_CONTEXT_LENGTH), e.getMessage());
            assertTrue(e.getMessage().contains("found " + length), e.getMessage());
        }
        int[] largest = t.encodeContext("a dog", Tokenizer.MAX_CONTEXT_LENGTH);
        assertEquals(Tokenizer.MAX_CONTEXT_LENGTH, largest.length);
        assertEquals(49407, largest[3]);
    }

    @Test
    void unknown_ids_in_decode_are_named() {
        ClipTokenizer t = tokenizer();
        InvalidInputException high = assertThrows(InvalidInputException.class, () -> t.decode(new int[] {320, 49408}));
        assertTrue(high.getMessage().contains("49408"), high.getMessage());
        InvalidInputException negative = assertThrows(InvalidInputException.class, () -> t.decode(new int[] {-1}));
        assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
        assertThrows(InvalidInputException.class, () -> t.decodeVerbatim(new int[] {50256}));
        assertThrows(InvalidInputException.class, () -> t.token(49408));
    }

    @Test
    void decoding_invalid_utf8_uses_replacement_characters_as_python() {
        ClipTokenizer t = tokenizer();
        int[] ids = t.encode("\u00e9"); // one piece, bytes C3 A9
        assertEquals("\u00e9 ", t.decode(ids));
        // The byte symbol of 0xC3 alone (id of 'Ã') cannot be decoded: one U+FFFD.
        int lone = -1;
        for (int id = 0; id < 256; id++) {
            if (t.token(id).equals("\u00c3")) {
                lone = id;
            }
        }
        assertEquals("\ufffd", t.decode(new int[] {lone}));
    }

    @Test
    void missing_vocabulary_file_is_a_model_error_naming_the_file(@TempDir Path dir) {
        Path missing = dir.resolve("nope.txt.gz");
        ModelException e = assertThrows(ModelException.class, () -> ClipTokenizer.fromOpenAiVocabulary(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        ModelException hf = assertThrows(ModelException.class,
                () -> ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt")));
        assertTrue(hf.getMessage().contains("vocab.json"), hf.getMessage());
    }

    @Test
    void corrupt_vocabulary_files_are_model_errors_naming_the_file(@TempDir Path dir) throws IOException {
        Path garbage = dir.resolve("garbage.txt.gz");
        Files.write(garbage, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7});
        assertNamed(garbage, () -> ClipTokenizer.fromOpenAiVocabulary(garbage));

        Path shortFile = dir.resolve("short.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(shortFile))) {
            out.write("#version: 0.2\ni n\nt h\n".getBytes(StandardCharsets.UTF_8));
        }
        assertNamed(shortFile, () -> ClipTokenizer.fromOpenAiVocabulary(shortFile));

        Path badLine = dir.resolve("bad-line.txt");
        StringBuilder sb = new StringBuilder("#version: 0.2\n");
        for (int i = 0; i < 48894; i++) {
            sb.append(i == 100 ? "only-one-symbol" : "i n").append('\n');
        }
        Files.writeString(badLine, sb);
        assertNamed(badLine, () -> ClipTokenizer.fromOpenAiVocabulary(badLine));

        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        Files.writeString(vocab, "{\"a\": 1,");
        Files.writeString(merges, "#version: 0.2\na b\n");
        assertNamed(vocab, () -> ClipTokenizer.fromHuggingFace(vocab, merges));
        Files.writeString(vocab, "{\"a\": \"one\"}");
        assertNamed(vocab, () -> ClipTokenizer.fromHuggingFace(vocab, merges));
        Files.writeString(vocab, "{\"a\": 1}");
        assertNamed(vocab, () -> ClipTokenizer.fromHuggingFace(vocab, merges));
    }

    private static void assertNamed(Path file, Runnable load) {
        ModelException e = assertThrows(ModelException.class, load::run);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void builder_requires_exactly_one_source() {
        assertThrows(ConfigurationException.class, () -> ClipTokenizer.builder().build());
        assertThrows(ConfigurationException.class, () -> ClipTokenizer.builder().openAiVocabulary(Path.of("a"))
                .huggingFace(Path.of("b"), Path.of("c")).build());
        assertThrows(ConfigurationException.class, () -> ClipTokenizer.builder().openAiVocabulary(Path.of("a"))
                .cacheCapacity(-1).build());
    }

    @Test
    void stream_and_decompressed_sources_give_the_same_tokenizer() throws IOException {
        Path vocabulary = SharedData.require(SharedData.vocabulary());
        byte[] gz = Files.readAllBytes(vocabulary);
        byte[] plain;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            plain = in.readAllBytes();
        }
        ClipTokenizer fromStream = ClipTokenizer.fromOpenAiVocabulary(new ByteArrayInputStream(gz), "gz stream");
        ClipTokenizer fromPlain = ClipTokenizer.fromOpenAiVocabulary(new ByteArrayInputStream(plain), "plain stream");
        String text = "Two dogs playing in the snow, don't they?";
        assertArrayEquals(tokenizer().encode(text), fromStream.encode(text));
        assertArrayEquals(tokenizer().encode(text), fromPlain.encode(text));
    }

    /**
     * Writes vocab.json and merges.txt the way Hugging Face's CLIPTokenizer files are laid out (token to id, sorted
     * keys, raw UTF-8; "#version: 0.2" then one merge per line) from OpenAI's file, and checks identical ids.
     */
    @Test
    void hugging_face_vocab_and_merges_give_identical_ids(@TempDir Path dir) throws IOException {
        ClipTokenizer openAi = tokenizer();
        List<String> lines;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(SharedData.vocabulary()))) {
            lines = Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        }
        Map<String, Integer> vocab = new TreeMap<>();
        for (int id = 0; id < openAi.vocabularySize(); id++) {
            vocab.put(openAi.token(id), id);
        }
        Path vocabJson = dir.resolve("vocab.json");
        Path mergesTxt = dir.resolve("merges.txt");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(vocabJson.toFile(), vocab);
        List<String> merges = new ArrayList<>();
        merges.add("#version: 0.2");
        merges.addAll(lines.subList(1, 48895));
        Files.write(mergesTxt, merges, StandardCharsets.UTF_8);

        ClipTokenizer hf = ClipTokenizer.fromHuggingFace(vocabJson, mergesTxt);
        assertEquals(openAi.vocabularySize(), hf.vocabularySize());
        assertEquals(49406, hf.startOfText());
        assertEquals(49407, hf.endOfText());
        List<String> texts = new ArrayList<>(List.of("A man riding a horse.", "caf\u00e9 na\u00efve \ud83d\ude00",
                "<|startoftext|>x<|endoftext|>", "superduperlongwordthatbpewillsplitintomanypieces"));
        if (SharedData.has(SharedData.goldenCases())) {
            for (String line : Files.readAllLines(SharedData.goldenCases(), StandardCharsets.UTF_8)) {
                texts.add(new ObjectMapper().readTree(line).get("text").asText());
            }
        }
        for (String text : texts) {
            assertArrayEquals(openAi.encodeContext(text), hf.encodeContext(text), text);
            int[] ids = openAi.encode(text);
            assertEquals(openAi.decodeVerbatim(ids), hf.decodeVerbatim(ids), text);
        }
    }

    @Test
    void concurrent_callers_with_a_tiny_cache_get_the_same_ids() throws Exception {
        ClipTokenizer shared = ClipTokenizer.builder().openAiVocabulary(SharedData.require(SharedData.vocabulary()))
                .cacheCapacity(16).build();
        ClipTokenizer uncached = ClipTokenizer.builder().openAiVocabulary(SharedData.vocabulary()).cacheCapacity(0)
                .build();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            texts.add("caption " + i + ": a dog number " + (i * 7919 % 1000) + " chases the cat's ball, isn't it?");
        }
        List<int[]> expected = new ArrayList<>();
        for (String text : texts) {
            expected.add(tokenizer().encodeContext(text));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int worker = 0; worker < 8; worker++) {
                int offset = worker;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < texts.size(); k++) {
                        int i = (k + offset * 37) % texts.size();
                        if (!Arrays.equals(expected.get(i), shared.encodeContext(texts.get(i)))
                                || !Arrays.equals(expected.get(i), uncached.encodeContext(texts.get(i)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertTrue(result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
