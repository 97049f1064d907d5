package dev.decap.encoding;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns text into CLIP text embeddings ({@code encode_text}: projected, pooled at the end-of-text token,
 * <em>not</em> normalised). Used to build memory banks from caption corpora.
 *
 * <p>Implementations own their tokenizer and must be safe for concurrent use. {@code close()} is idempotent.
 */
public interface TextEncoder extends AutoCloseable {

    /**
     * Captions per {@link #encodeAll} call when a memory bank is encoded from a corpus
     * ({@code InMemoryMemoryBank.encode}, {@code MemoryBankBuild}): 256. Large enough for an encoder that sorts a
     * call's texts by token length into length buckets (decap-onnx's {@code OnnxTextEncoder} on a text tower with a
     * dynamic sequence axis) to run each bucket at nearly one length, small enough to report progress often.
     */
    int CORPUS_BATCH_SIZE = 256;

    /** Length of the embeddings this encoder returns (512 for ViT-B/32). */
    int dimension();

    /**
     * Encodes one text. Text longer than the model's context is truncated as CLIP does.
     *
     * @return a new array of {@link #dimension()} floats, owned by the caller; not normalised (not unit length:
     *         normalise before comparing or adding to a bank; {@code DeCap.encodeText} returns unit vectors)
     */
    float[] encode(String text);

    /**
     * Encodes several texts, one embedding each, in order. Implementations that can batch should override it;
     * they may process the texts in any order (e.g. sorted by length) but return them in the caller's.
     */
    default List<float[]> encodeAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String text : texts) {
            out.add(encode(text));
        }
        return out;
    }

    /** Releases resources. The default does nothing. */
    @Override
    default void close() {
    }
}
