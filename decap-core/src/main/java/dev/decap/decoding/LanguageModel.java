package dev.decap.decoding;

/**
 * A step-wise language model that the searches in this package drive: DeCap's GPT-2 decoder seen one position at a
 * time. The model holds its own state (for a transformer, the key/value cache) in a {@link Session}, so that a
 * step only processes the newest position.
 *
 * <p>Implementations must be safe for concurrent use: many threads may {@link #start(float[][]) start} sessions at
 * once. A {@link Session} belongs to the thread that started it. {@code close()} is idempotent; a closed model
 * throws {@link dev.decap.ClosedException} from {@link #start(float[][])}.
 */
public interface LanguageModel extends AutoCloseable {

    /** Length of the prefix vectors the model accepts. */
    int prefixDimension();

    /** Number of token ids the model scores (the length of each row of {@link Session#logits()}). */
    int vocabularySize();

    /**
     * Feeds one prefix per row as position 0 and returns a session whose {@link Session#logits()} score the first
     * token of each row. The caller owns the session and must close it.
     *
     * @param prefixes one prefix vector of {@link #prefixDimension()} floats per row; at least one row
     */
    Session start(float[][] prefixes);

    /** Releases resources. The default does nothing. */
    @Override
    default void close() {
    }

    /**
     * The state of a batch of sequences that grow by one token per {@link #advance(int[], int[])}. Not thread-safe;
     * {@code close()} is idempotent and releases whatever the session holds (native tensors for ONNX models).
     */
    interface Session extends AutoCloseable {

        /** Number of rows (sequences) in the batch. */
        int rows();

        /**
         * Next-token logits of every row: {@code rows()} arrays of {@link LanguageModel#vocabularySize()} floats.
         * The arrays are new and owned by the caller.
         */
        float[][] logits();

        /**
         * Appends one token to a new set of rows. New row {@code r} continues old row {@code parentRows[r]} with
         * {@code nextTokens[r]}; parents may repeat (beam search duplicates a beam) or be left out (finished rows
         * leave the batch). The two arrays have the same, non-zero length, which becomes {@link #rows()}.
         */
        void advance(int[] nextTokens, int[] parentRows);

        @Override
        void close();
    }
}
