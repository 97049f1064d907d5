package dev.decap.tokenization;

/**
 * A text tokenizer with CLIP's conventions: start- and end-of-text ids, and a fixed-length context form.
 * Implementations are immutable and thread-safe.
 */
public interface Tokenizer {

    /**
     * The largest context length {@link #encodeContext} accepts: the valid range is
     * 2..{@value #MAX_CONTEXT_LENGTH} (start and end ids at least; CLIP itself uses 77). Larger values are refused
     * with {@link dev.decap.InvalidInputException} rather than allocating an arbitrarily large array.
     */
    int MAX_CONTEXT_LENGTH = 4096;

    /** Token ids of {@code text} after cleaning, without start/end markers. */
    int[] encode(String text);

    /**
     * The fixed-length form a CLIP text encoder consumes: start id, the ids, end id, zero padding. Text that does
     * not fit is truncated so that the end id stays last, as CLIP's {@code tokenize(truncate=True)} does.
     *
     * @throws dev.decap.InvalidInputException if {@code text} is null or {@code contextLength} is outside
     *         2..{@value #MAX_CONTEXT_LENGTH}
     */
    int[] encodeContext(String text, int contextLength);

    /** Text of {@code ids}; start/end markers are dropped. Unknown ids are an error. */
    String decode(int[] ids);

    /** Number of ids this tokenizer knows (49408 for CLIP). */
    int vocabularySize();

    /** Id of the start-of-text marker (49406 for CLIP). */
    int startOfText();

    /** Id of the end-of-text marker (49407 for CLIP). */
    int endOfText();
}

