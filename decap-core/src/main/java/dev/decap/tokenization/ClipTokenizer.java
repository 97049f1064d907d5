package dev.decap.tokenization;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.internal.Utf8;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE tokenizer, exactly as OpenAI's {@code clip/simple_tokenizer.py} and {@code clip.tokenize}:
 * the text is cleaned ({@link ClipTextCleaner}), split by CLIP's pattern, each piece's UTF-8 bytes are byte-pair
 * encoded with the merges, and {@link #encodeContext} builds the 77-token form a CLIP text encoder reads.
 *
 * <p>Vocabulary layout (ids): the 256 byte symbols, the same with "&lt;/w&gt;" (end of word), one id per merge in
 * file order, then {@code <|startoftext|>} (49406) and {@code <|endoftext|>} (49407). It loads from OpenAI's
 * {@code bpe_simple_vocab_16e6.txt.gz} or from a Hugging Face {@code vocab.json} + {@code merges.txt} pair; both
 * give identical ids.
 *
 * <p>Immutable and thread-safe: encoded pieces are kept in a bounded concurrent cache (emptied when it reaches its
 * capacity), so concurrent callers share it without locks.
 *
 * <pre>{@code
 * ClipTokenizer tokenizer = ClipTokenizer.fromOpenAiVocabulary(Path.of("bpe_simple_vocab_16e6.txt.gz"));
 * int[] context = tokenizer.encodeContext("A dog on a skateboard.");   // 77 ids: 49406, ..., 49407, 0, ...
 * String text = tokenizer.decode(tokenizer.encode("A dog!"));          // "a dog ! "
 * }</pre>
 */
public final class ClipTokenizer implements Tokenizer {

    /** CLIP's context length: the size of {@link #encodeContext(String)}'s result. */
    public static final int CONTEXT_LENGTH = 77;

    /** Default number of encoded pieces (words) kept in the cache. */
    public static final int DEFAULT_CACHE_CAPACITY = 50_000;

    /** Longer pieces (rare: long runs of letters or symbols) are encoded each time, not cached. */
    private static final int MAX_CACHED_PIECE_LENGTH = 64;

    private final ClipVocabulary vocabulary;
    private final int cacheCapacity;
    private final ConcurrentHashMap<String, int[]> cache;

    private ClipTokenizer(ClipVocabulary vocabulary, int cacheCapacity) {
        this.vocabulary = vocabulary;
        this.cacheCapacity = cacheCapacity;
        this.cache = new ConcurrentHashMap<>(Math.min(cacheCapacity, 1 << 14) * 2);
    }

    /**
     * Loads OpenAI's {@code bpe_simple_vocab_16e6.txt.gz} (gzip-compressed as shipped, or decompressed).
     *
     * @throws dev.decap.ModelException naming the file when it is missing, unreadable or not that file
     */
    public static ClipTokenizer fromOpenAiVocabulary(Path file) {
        return builder().openAiVocabulary(file).build();
    }

    /**
     * Loads OpenAI's merges file from a stream, which is read as far as needed but not closed.
     * {@code sourceName} names it in error messages.
     */
    public static ClipTokenizer fromOpenAiVocabulary(InputStream in, String sourceName) {
        return builder().openAiVocabulary(in, sourceName).build();
    }

    /**
     * Loads a Hugging Face CLIP tokenizer's {@code vocab.json} (token to id) and {@code merges.txt}
     * ({@code #version} line, then one merge per line).
     */
    public static ClipTokenizer fromHuggingFace(Path vocabJson, Path mergesTxt) {
        Arguments.requireNonNull(vocabJson, "vocabJson");
        Arguments.requireNonNull(mergesTxt, "mergesTxt");
        return builder().huggingFace(vocabJson, mergesTxt).build();
    }

    /** A builder: one vocabulary source is required; the cache capacity is optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link ClipTokenizer}. Not thread-safe; the tokenizer it builds is. */
    public static final class Builder {
        private Path openAiFile;
        private InputStream openAiStream;
        private String openAiStreamName;
        private Path vocabJson;
        private Path mergesTxt;
        private Integer cacheCapacity;

        private Builder() {
        }

        /** Required (or another source): OpenAI's {@code bpe_simple_vocab_16e6.txt.gz}. */
        public Builder openAiVocabulary(Path file) {
            this.openAiFile = file;
            return this;
        }

        /** Required (or another source): OpenAI's merges file as a stream (not closed) and its name. */
        public Builder openAiVocabulary(InputStream in, String sourceName) {
            this.openAiStream = in;
            this.openAiStreamName = sourceName == null ? "<stream>" : sourceName;
            return this;
        }

        /** Required (or another source): Hugging Face's {@code vocab.json} and {@code merges.txt}. */
        public Builder huggingFace(Path vocabJson, Path mergesTxt) {
            this.vocabJson = vocabJson;
            this.mergesTxt = mergesTxt;
            return this;
        }

        /** Optional. Default: {@value ClipTokenizer#DEFAULT_CACHE_CAPACITY} pieces; 0 turns the cache off. */
        public Builder cacheCapacity(int pieces) {
            this.cacheCapacity = pieces;
            return this;
        }

        /**
         * @throws ConfigurationException if no source or more than one source was given, or the capacity is negative
         * @throws dev.decap.ModelException naming the file when the vocabulary cannot be used
         */
        public ClipTokenizer build() {
            int sources = (openAiFile != null ? 1 : 0) + (openAiStream != null ? 1 : 0)
                    + (vocabJson != null || mergesTxt != null ? 1 : 0);
            if (sources != 1) {
                throw new ConfigurationException("ClipTokenizer needs exactly one vocabulary source, found " + sources
                        + "; call one of openAiVocabulary(Path), openAiVocabulary(InputStream, String) or "
                        + "huggingFace(vocabJson, mergesTxt)");
            }
            int capacity = cacheCapacity == null ? DEFAULT_CACHE_CAPACITY : cacheCapacity;
            if (capacity < 0) {
                throw new ConfigurationException("cache capacity must be >= 0, found " + capacity);
            }
            ClipVocabulary vocabulary;
            if (openAiFile != null) {
                vocabulary = ClipVocabulary.fromOpenAi(openAiFile);
            } else if (openAiStream != null) {
                vocabulary = ClipVocabulary.fromOpenAi(openAiStream, openAiStreamName);
            } else {
                vocabulary = ClipVocabulary.fromHuggingFace(vocabJson, mergesTxt);
            }
            return new ClipTokenizer(vocabulary, capacity);
        }
    }

    // ---------------------------------------------------------------------------------------------------- encoding

    /**
     * Token ids of the cleaned text, without start/end markers. The literal texts {@code <|startoftext|>} and
     * {@code <|endoftext|>} become the marker ids, as in the reference.
     *
     * @throws InvalidInputException if {@code text} is null
     */
    @Override
    public int[] encode(String text) {
        String cleaned = ClipTextCleaner.clean(text);
        IdSink sink = new IdSink(cleaned, 0, Integer.MAX_VALUE);
        ClipPreTokenizer.split(cleaned, sink);
        return Arrays.copyOf(sink.ids, sink.size);
    }

    /** {@link #encodeContext(String, int)} with CLIP's 77. */
    public int[] encodeContext(String text) {
        return encodeContext(text, CONTEXT_LENGTH);
    }

    /**
     * The fixed-length form: start id, the ids, end id, zeros. Longer text is cut and its last id replaced by the
     * end id, as {@code clip.tokenize(text, context_length, truncate=True)}.
     *
     * @throws InvalidInputException if {@code text} is null or {@code contextLength} is outside
     *         2..{@value Tokenizer#MAX_CONTEXT_LENGTH}
     */
    @Override
    public int[] encodeContext(String text, int contextLength) {
        if (contextLength < 2 || contextLength > MAX_CONTEXT_LENGTH) {
            throw new InvalidInputException("context length must be in 2.." + MAX_CONTEXT_LENGTH
                    + " (start and end ids at least; CLIP uses 77), found " + contextLength);
        }
        String cleaned = ClipTextCleaner.clean(text);
        // Pieces are tokenized left to right and each piece's ids depend on that piece alone, so once
        // contextLength - 2 ids follow the start id the result is fixed: the rest of the text is not tokenized.
        IdSink sink = new IdSink(cleaned, 1, contextLength - 1);
        sink.ids[0] = vocabulary.startOfText;
        ClipPreTokenizer.split(cleaned, sink);
        if (sink.size > contextLength - 1) {
            sink.size = contextLength - 1;
        }
        sink.add(vocabulary.endOfText);
        int[] context = new int[contextLength];
        if (sink.size > contextLength) {
            System.arraycopy(sink.ids, 0, context, 0, contextLength);
            context[contextLength - 1] = vocabulary.endOfText;
        } else {
            System.arraycopy(sink.ids, 0, context, 0, sink.size);
        }
        return context;
    }

    /** Collects the ids of the pieces of one text. */
    private final class IdSink implements ClipPreTokenizer.PieceConsumer {
        private final String text;
        private final int limit;
        int[] ids = new int[32];
        int size;

        IdSink(String text, int reserved, int limit) {
            this.text = text;
            this.size = reserved;
            this.limit = limit;
        }

        @Override
        public boolean full() {
            return size >= limit;
        }

        @Override
        public void accept(int start, int end) {
            int[] piece = pieceIds(text.substring(start, end));
            if (size + piece.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, size + piece.length));
            }
            System.arraycopy(piece, 0, ids, size, piece.length);
            size += piece.length;
        }

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, ids.length * 2);
            }
            ids[size++] = id;
        }
    }

    private int[] pieceIds(String piece) {
        int[] ids = cache.get(piece);
        if (ids != null) {
            return ids;
        }
        if (piece.equals(ClipPreTokenizer.START_OF_TEXT)) {
            ids = new int[] {vocabulary.startOfText};
        } else if (piece.equals(ClipPreTokenizer.END_OF_TEXT)) {
            ids = new int[] {vocabulary.endOfText};
        } else {
            ids = bytePairEncode(piece.getBytes(StandardCharsets.UTF_8));
        }
        if (cacheCapacity > 0 && piece.length() <= MAX_CACHED_PIECE_LENGTH) {
            if (cache.size() >= cacheCapacity) {
                cache.clear();
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    /** Pieces up to this many bytes use the simple quadratic form; longer ones the O(n log n) form. */
    static final int LINKED_BPE_THRESHOLD = 48;

    private int[] bytePairEncode(byte[] bytes) {
        return bytes.length <= LINKED_BPE_THRESHOLD
                ? bytePairEncodeSimple(vocabulary, bytes)
                : bytePairEncodeLinked(vocabulary, bytes);
    }

    /**
     * The reference {@code bpe()}: start from one symbol per byte (the last marked end-of-word), then repeatedly
     * merge every occurrence, left to right, of the adjacent pair with the lowest merge rank. Quadratic in the
     * piece's length; {@link #bytePairEncodeLinked} gives the same ids in O(n log n).
     */
    static int[] bytePairEncodeSimple(ClipVocabulary vocabulary, byte[] bytes) {
        int length = bytes.length;
        int[] word = new int[length];
        for (int i = 0; i < length; i++) {
            int b = bytes[i] & 0xFF;
            word[i] = i == length - 1 ? vocabulary.byteSymbolEnd[b] : vocabulary.byteSymbol[b];
        }
        ClipVocabulary.MergeTable merges = vocabulary.merges;
        while (length > 1) {
            int bestRank = Integer.MAX_VALUE;
            int left = -1;
            int right = -1;
            for (int i = 0; i < length - 1; i++) {
                int rank = merges.rank(word[i], word[i + 1]);
                if (rank < bestRank) {
                    bestRank = rank;
                    left = word[i];
                    right = word[i + 1];
                }
            }
            if (bestRank == Integer.MAX_VALUE) {
                break;
            }
            int merged = merges.merged(left, right);
            int out = 0;
            for (int i = 0; i < length; ) {
                if (i < length - 1 && word[i] == left && word[i + 1] == right) {
                    word[out++] = merged;
                    i += 2;
                } else {
                    word[out++] = word[i++];
                }
            }
            length = out;
        }
        return length == word.length ? word : Arrays.copyOf(word, length);
    }

    /**
     * The same result as {@link #bytePairEncodeSimple} in O(n log n): the symbols form a linked list and every
     * adjacent pair that is a merge sits in a min-heap keyed by (rank, position). Each round takes every entry of
     * the lowest rank (all occurrences of one pair, since a rank names one pair) in position order and merges
     * those still present left to right, exactly the reference's scan; the pairs that merging creates are pushed
     * after the round (they hold the merged symbol, so none has the round's rank). Stale entries are skipped by
     * checking the pair's rank again when it is taken.
     */
    static int[] bytePairEncodeLinked(ClipVocabulary vocabulary, byte[] bytes) {
        int n = bytes.length;
        int[] symbol = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xFF;
            symbol[i] = i == n - 1 ? vocabulary.byteSymbolEnd[b] : vocabulary.byteSymbol[b];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        ClipVocabulary.MergeTable merges = vocabulary.merges;
        LongHeap heap = new LongHeap(Math.max(16, n));
        for (int i = 0; i + 1 < n; i++) {
            int rank = merges.rank(symbol[i], symbol[i + 1]);
            if (rank != Integer.MAX_VALUE) {
                heap.push(((long) rank << 32) | i);
            }
        }
        int[] round = new int[16];
        int[] created = new int[16];
        while (!heap.isEmpty()) {
            int rank = (int) (heap.peek() >>> 32);
            int count = 0;
            while (!heap.isEmpty() && (int) (heap.peek() >>> 32) == rank) {
                if (count == round.length) {
                    round = Arrays.copyOf(round, count * 2);
                }
                round[count++] = (int) heap.pop();
            }
            int createdCount = 0;
            int lastPosition = -1;
            for (int k = 0; k < count; k++) {
                int left = round[k];
                if (left == lastPosition) {
                    continue; // a duplicate entry of the same position
                }
                lastPosition = left;
                int right = next[left];
                if (symbol[left] < 0 || right < 0 || merges.rank(symbol[left], symbol[right]) != rank) {
                    continue; // stale: consumed or changed by an earlier merge
                }
                symbol[left] = merges.merged(symbol[left], symbol[right]);
                symbol[right] = -1;
                int after = next[right];
                next[left] = after;
                if (after >= 0) {
                    prev[after] = left;
                }
                if (createdCount + 2 > created.length) {
                    created = Arrays.copyOf(created, created.length * 2);
                }
                created[createdCount++] = left;
                if (prev[left] >= 0) {
                    created[createdCount++] = prev[left];
                }
            }
            for (int k = 0; k < createdCount; k++) {
                int left = created[k];
                int right = next[left];
                if (symbol[left] >= 0 && right >= 0) {
                    int r = merges.rank(symbol[left], symbol[right]);
                    if (r != Integer.MAX_VALUE) {
                        heap.push(((long) r << 32) | left);
                    }
                }
            }
        }
        int length = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            length++;
        }
        int[] out = new int[length];
        int o = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[o++] = symbol[i];
        }
        return out;
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] items;
        private int size;

        LongHeap(int capacity) {
            items = new long[capacity];
        }

        boolean isEmpty() {
            return size == 0;
        }

        long peek() {
            return items[0];
        }

        void push(long value) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (items[parent] <= value) {
                    break;
                }
                items[i] = items[parent];
                i = parent;
            }
            items[i] = value;
        }

        long pop() {
            long top = items[0];
            long last = items[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < size && items[child + 1] < items[child]) {
                    child++;
                }
                if (items[child] >= last) {
                    break;
                }
                items[i] = items[child];
                i = child;
            }
            items[i] = last;
            return top;
        }
    }

    // ---------------------------------------------------------------------------------------------------- decoding

    /**
     * Text of {@code ids} with the start/end marker ids left out; otherwise as {@link #decodeVerbatim}: every
     * end of word becomes a space, so "a dog" decodes to "a dog ". Id 0 is the token "!", so the zero padding of a
     * context form is not dropped: pass the ids up to the end marker.
     *
     * @throws InvalidInputException if {@code ids} is null or holds an id outside the vocabulary (named)
     */
    @Override
    public String decode(int[] ids) {
        checkIds(ids);
        int kept = 0;
        int[] content = new int[ids.length];
        for (int id : ids) {
            if (id != vocabulary.startOfText && id != vocabulary.endOfText) {
                content[kept++] = id;
            }
        }
        return decodeChecked(content, kept);
    }

    /**
     * Exactly the reference {@code SimpleTokenizer.decode(ids)}: markers included as {@code <|startoftext|>} /
     * {@code <|endoftext|>}, the bytes decoded as UTF-8 with U+FFFD for invalid sequences (Python's
     * {@code errors="replace"}), and every "&lt;/w&gt;" replaced by a space.
     *
     * @throws InvalidInputException if {@code ids} is null or holds an id outside the vocabulary (named)
     */
    public String decodeVerbatim(int[] ids) {
        checkIds(ids);
        return decodeChecked(ids, ids.length);
    }

    private void checkIds(int[] ids) {
        if (ids == null) {
            throw new InvalidInputException("ids to decode are null; pass an int array (it may be empty)");
        }
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocabulary.size() || vocabulary.tokenBytes[id] == null) {
                throw new InvalidInputException("unknown token id " + id + " at index " + i + "; CLIP ids are 0.."
                        + (vocabulary.size() - 1) + " (vocabulary " + vocabulary.source + ")");
            }
        }
    }

    private String decodeChecked(int[] ids, int count) {
        int total = 0;
        for (int i = 0; i < count; i++) {
            total += vocabulary.tokenBytes[ids[i]].length;
        }
        byte[] bytes = new byte[total];
        int offset = 0;
        for (int i = 0; i < count; i++) {
            byte[] token = vocabulary.tokenBytes[ids[i]];
            System.arraycopy(token, 0, bytes, offset, token.length);
            offset += token.length;
        }
        String text = Utf8.decodeReplacing(bytes, 0, total);
        return text.indexOf("</w>") < 0 ? text : text.replace("</w>", " ");
    }

    // ---------------------------------------------------------------------------------------------------- vocabulary

    /** The cleaned, lower-cased text that {@link #encode} tokenises (see {@link ClipTextCleaner}). */
    public String clean(String text) {
        return ClipTextCleaner.clean(text);
    }

    /**
     * The symbol of {@code id} in the vocabulary's byte-level form (e.g. "dog&lt;/w&gt;").
     *
     * @throws InvalidInputException if the id is outside the vocabulary
     */
    public String token(int id) {
        checkIds(new int[] {id});
        return vocabulary.tokens[id];
    }

    @Override
    public int vocabularySize() {
        return vocabulary.size();
    }

    @Override
    public int startOfText() {
        return vocabulary.startOfText;
    }

    @Override
    public int endOfText() {
        return vocabulary.endOfText;
    }

    @Override
    public String toString() {
        return "ClipTokenizer[" + vocabulary.size() + " ids, " + vocabulary.source + "]";
    }
}
