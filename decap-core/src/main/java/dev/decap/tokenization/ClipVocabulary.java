package dev.decap.tokenization;

import dev.decap.ModelException;
import dev.decap.internal.MiniJson;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * CLIP's byte-level BPE vocabulary and merges, held as ids: symbols are ids, merges map a pair of ids to the merged
 * id and its rank. Immutable after construction; thread-safe.
 */
final class ClipVocabulary {

    /** Merges OpenAI's simple_tokenizer keeps from the file: {@code merges[1:49152-256-2+1]}. */
    static final int OPENAI_MERGES = 49152 - 256 - 2;

    final String source;
    /** Id to symbol, in byte-to-unicode form (e.g. "a", "a&lt;/w&gt;", "<|endoftext|>"); null for unused ids. */
    final String[] tokens;
    /** Id to the raw bytes its symbol stands for ("&lt;/w&gt;" kept as ASCII, as the reference decoder sees it). */
    final byte[][] tokenBytes;
    /** Byte value to the id of its symbol, inside a word and at the end of a word ("&lt;/w&gt;"). */
    final int[] byteSymbol = new int[256];
    final int[] byteSymbolEnd = new int[256];
    final MergeTable merges;
    final int startOfText;
    final int endOfText;

    private ClipVocabulary(String source, String[] tokens, List<String[]> mergeList, Map<String, Integer> encoder,
            String mergeSource) {
        this.source = source;
        this.tokens = tokens;
        this.tokenBytes = new byte[tokens.length][];
        char[] byteToChar = byteToUnicode();
        int[] charToByte = new int[512];
        Arrays.fill(charToByte, -1);
        for (int b = 0; b < 256; b++) {
            charToByte[byteToChar[b]] = b;
            String symbol = String.valueOf(byteToChar[b]);
            byteSymbol[b] = require(encoder, symbol, source);
            byteSymbolEnd[b] = require(encoder, symbol + "</w>", source);
        }
        for (int id = 0; id < tokens.length; id++) {
            String token = tokens[id];
            if (token == null) {
                continue;
            }
            byte[] bytes = new byte[token.length()];
            for (int k = 0; k < bytes.length; k++) {
                char c = token.charAt(k);
                int b = c < 512 ? charToByte[c] : -1;
                if (b < 0) {
                    throw new ModelException("CLIP vocabulary " + source + " holds token " + quote(token) + " (id " + id
                            + ") with a character outside the byte-level alphabet (U+" + String.format("%04X",
                            (int) c) + "); use CLIP's own vocabulary files");
                }
                bytes[k] = (byte) b;
            }
            tokenBytes[id] = bytes;
        }
        this.startOfText = require(encoder, ClipPreTokenizer.START_OF_TEXT, source);
        this.endOfText = require(encoder, ClipPreTokenizer.END_OF_TEXT, source);
        this.merges = new MergeTable(mergeList.size());
        for (int rank = 0; rank < mergeList.size(); rank++) {
            String[] pair = mergeList.get(rank);
            Integer left = encoder.get(pair[0]);
            Integer right = encoder.get(pair[1]);
            Integer merged = encoder.get(pair[0] + pair[1]);
            if (left == null || right == null || merged == null) {
                String missing = left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1];
                throw new ModelException("CLIP merges in " + mergeSource + ": merge " + (rank + 1) + " ("
                        + quote(pair[0] + " " + pair[1]) + ") uses token " + quote(missing)
                        + " that the vocabulary does not hold; the vocabulary and merges files do not belong together");
            }
            merges.put(left, right, rank, merged);
        }
    }

    int size() {
        return tokens.length;
    }

    /**
     * GPT-2/CLIP {@code bytes_to_unicode()}: printable Latin-1 bytes map to themselves, the other 68 bytes to
     * U+0100 onwards, in byte order. Index = byte value.
     */
    static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? (char) b : (char) next++;
        }
        return map;
    }

    /** The 256 byte symbols in the order of OpenAI's vocabulary: printable bytes first, then the others. */
    static char[] byteSymbolsInVocabularyOrder() {
        char[] map = byteToUnicode();
        char[] order = new char[256];
        int k = 0;
        for (int b = 0; b < 256; b++) {
            if (map[b] == b) {
                order[k++] = map[b];
            }
        }
        for (int b = 0; b < 256; b++) {
            if (map[b] != b) {
                order[k++] = map[b];
            }
        }
        return order;
    }

    // ---------------------------------------------------------------------------------------------------- loading

    static ClipVocabulary fromOpenAi(Path file) {
        if (file == null) {
            throw new ModelException("CLIP vocabulary path is null; pass the path of bpe_simple_vocab_16e6.txt.gz");
        }
        requireRegularFile(file, "CLIP vocabulary file");
        try (InputStream in = Files.newInputStream(file)) {
            return fromOpenAi(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelException("CLIP vocabulary file not found: " + file
                    + "; pass the path of OpenAI's bpe_simple_vocab_16e6.txt.gz", e);
        } catch (IOException e) {
            throw new ModelException("cannot read CLIP vocabulary file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads OpenAI's merges file (gzip-compressed as shipped, or already decompressed). */
    static ClipVocabulary fromOpenAi(InputStream in, String source) {
        if (in == null) {
            throw new ModelException("CLIP vocabulary stream for " + source + " is null; pass an open stream of "
                    + "bpe_simple_vocab_16e6.txt.gz");
        }
        // Only the first 48,895 of the file's 262,145 lines are used; reading stops there.
        List<String[]> mergeList = new ArrayList<>(OPENAI_MERGES);
        int linesRead = 0;
        try {
            BufferedInputStream buffered = new BufferedInputStream(in);
            buffered.mark(2);
            int b0 = buffered.read();
            int b1 = buffered.read();
            buffered.reset();
            InputStream content = b0 == 0x1F && b1 == 0x8B ? new GZIPInputStream(buffered, 1 << 16) : buffered;
            BufferedReader reader = new BufferedReader(new InputStreamReader(content, StandardCharsets.UTF_8
                    .newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
            String line;
            while (linesRead <= OPENAI_MERGES && (line = reader.readLine()) != null) {
                if (linesRead > 0) {
                    mergeList.add(splitMerge(line, linesRead + 1, source));
                }
                linesRead++;
            }
        } catch (CharacterCodingException e) {
            throw new ModelException("CLIP vocabulary " + source + " is not valid UTF-8 text; the file is corrupt", e);
        } catch (IOException e) {
            throw new ModelException("cannot read CLIP vocabulary " + source + ": " + e.getMessage()
                    + "; the file is corrupt or not bpe_simple_vocab_16e6.txt.gz", e);
        }
        if (linesRead < OPENAI_MERGES + 1) {
            throw new ModelException("CLIP vocabulary " + source + " is not OpenAI's merges file: expected at least "
                    + (OPENAI_MERGES + 1) + " lines, found " + linesRead
                    + "; pass bpe_simple_vocab_16e6.txt.gz from openai/CLIP");
        }
        char[] bytes = byteSymbolsInVocabularyOrder();
        int size = 512 + OPENAI_MERGES + 2;
        String[] tokens = new String[size];
        for (int i = 0; i < 256; i++) {
            tokens[i] = String.valueOf(bytes[i]);
            tokens[256 + i] = bytes[i] + "</w>";
        }
        for (int i = 0; i < OPENAI_MERGES; i++) {
            String[] pair = mergeList.get(i);
            tokens[512 + i] = pair[0] + pair[1];
        }
        tokens[size - 2] = ClipPreTokenizer.START_OF_TEXT;
        tokens[size - 1] = ClipPreTokenizer.END_OF_TEXT;
        // As Python's dict(zip(vocab, range(len(vocab)))): a repeated symbol keeps its last id.
        Map<String, Integer> encoder = new HashMap<>(size * 2);
        for (int id = 0; id < size; id++) {
            encoder.put(tokens[id], id);
        }
        return new ClipVocabulary(source, tokens, mergeList, encoder, source);
    }

    /** Reads Hugging Face's {@code vocab.json} (token to id) and {@code merges.txt} ("#version" line, then merges). */
    static ClipVocabulary fromHuggingFace(Path vocabJson, Path mergesTxt) {
        if (vocabJson == null || mergesTxt == null) {
            throw new ModelException("Hugging Face CLIP tokenizer files are null; pass the paths of vocab.json and "
                    + "merges.txt");
        }
        String vocabText = readText(vocabJson, "vocab.json");
        String mergesText = readText(mergesTxt, "merges.txt");
        Map<String, Object> json;
        try {
            json = MiniJson.parseObject(vocabText);
        } catch (MiniJson.SyntaxException e) {
            throw new ModelException("CLIP vocabulary " + vocabJson + " is corrupt: " + e.getMessage(), e);
        }
        int size = 0;
        for (Map.Entry<String, Object> entry : json.entrySet()) {
            size = Math.max(size, idOf(entry, vocabJson) + 1);
        }
        String[] tokens = new String[size];
        Map<String, Integer> encoder = new HashMap<>(size * 2);
        for (Map.Entry<String, Object> entry : json.entrySet()) {
            int id = idOf(entry, vocabJson);
            if (tokens[id] != null) {
                throw new ModelException("CLIP vocabulary " + vocabJson + " gives id " + id + " to both "
                        + quote(tokens[id]) + " and " + quote(entry.getKey()) + "; the file is corrupt");
            }
            tokens[id] = entry.getKey();
            encoder.put(entry.getKey(), id);
        }
        String[] lines = mergesText.split("\n", -1);
        List<String[]> mergeList = new ArrayList<>(lines.length);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || (i == 0 && line.startsWith("#version"))) {
                continue;
            }
            mergeList.add(splitMerge(line, i + 1, mergesTxt.toString()));
        }
        if (mergeList.isEmpty()) {
            throw new ModelException("CLIP merges file " + mergesTxt + " holds no merges; pass the merges.txt that "
                    + "belongs to " + vocabJson);
        }
        return new ClipVocabulary(vocabJson + " + " + mergesTxt, tokens, mergeList, encoder, mergesTxt.toString());
    }

    private static int idOf(Map.Entry<String, Object> entry, Path file) {
        Object value = entry.getValue();
        if (!(value instanceof Long) || (Long) value < 0 || (Long) value > 10_000_000) {
            throw new ModelException("CLIP vocabulary " + file + " maps " + quote(entry.getKey()) + " to "
                    + MiniJson.kind(value) + " (" + value + "); expected a non-negative integer id");
        }
        return (int) (long) (Long) value;
    }

    /** Only regular files are read: a FIFO or a device would block or never end. */
    private static void requireRegularFile(Path file, String what) {
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new ModelException(what + " " + file + " is not a regular file ("
                    + (Files.isDirectory(file) ? "a directory" : "a FIFO, device or socket") + "); pass the file itself");
        }
    }

    private static String readText(Path file, String what) {
        requireRegularFile(file, "CLIP tokenizer file");
        try {
            return decodeUtf8(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new ModelException("CLIP tokenizer file not found: " + file + "; pass the " + what
                    + " of a Hugging Face CLIP tokenizer", e);
        } catch (IOException e) {
            throw new ModelException("cannot read CLIP tokenizer file " + file + ": " + e.getMessage(), e);
        }
    }

    private static String decodeUtf8(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelException("CLIP vocabulary " + source + " is not valid UTF-8 text; the file is corrupt", e);
        }
    }

    /** Python's {@code tuple(line.split())} for a merge line, which must have two parts. */
    private static String[] splitMerge(String line, int lineNumber, String source) {
        String[] parts = line.strip().split("\\s+");
        if (parts.length != 2 || parts[0].isEmpty()) {
            throw new ModelException("CLIP merges in " + source + ": line " + lineNumber + " is " + quote(line)
                    + ", expected two symbols separated by a space; the file is corrupt");
        }
        return parts;
    }

    private static int require(Map<String, Integer> encoder, String token, String source) {
        Integer id = encoder.get(token);
        if (id == null) {
            throw new ModelException("CLIP vocabulary " + source + " has no token " + quote(token)
                    + "; it is not a CLIP byte-level BPE vocabulary");
        }
        return id;
    }

    private static String quote(String s) {
        return s.length() > 40 ? "'" + s.substring(0, 40) + "...'" : "'" + s + "'";
    }

    /** Open-addressing map from a pair of symbol ids to (rank, merged id). */
    static final class MergeTable {
        private final long[] keys;
        private final int[] ranks;
        private final int[] results;
        private final int mask;

        MergeTable(int expected) {
            int capacity = Integer.highestOneBit(Math.max(16, expected * 2 + 1)) << 1;
            keys = new long[capacity];
            Arrays.fill(keys, -1L);
            ranks = new int[capacity];
            results = new int[capacity];
            mask = capacity - 1;
        }

        private static long key(int left, int right) {
            return ((long) left << 32) | (right & 0xFFFFFFFFL);
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & mask;
        }

        /** Later merges of the same pair replace earlier ones, as Python's dict construction does. */
        void put(int left, int right, int rank, int merged) {
            long key = key(left, right);
            int i = slot(key);
            while (keys[i] != -1L && keys[i] != key) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            ranks[i] = rank;
            results[i] = merged;
        }

        /** Rank of the pair, or {@link Integer#MAX_VALUE} when it is no merge. */
        int rank(int left, int right) {
            long key = key(left, right);
            int i = slot(key);
            while (true) {
                long k = keys[i];
                if (k == key) {
                    return ranks[i];
                }
                if (k == -1L) {
                    return Integer.MAX_VALUE;
                }
                i = (i + 1) & mask;
            }
        }

        /** Merged id of a pair known to be a merge. */
        int merged(int left, int right) {
            long key = key(left, right);
            int i = slot(key);
            while (keys[i] != key) {
                i = (i + 1) & mask;
            }
            return results[i];
        }
    }
}
