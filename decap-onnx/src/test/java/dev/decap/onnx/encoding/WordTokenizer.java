package dev.decap.onnx.encoding;

import dev.decap.InvalidInputException;
import dev.decap.tokenization.Tokenizer;

import java.util.Arrays;
import java.util.Locale;

/**
 * A small, real tokenizer for tests that do not need CLIP's BPE: lower-cased words separated by spaces, each
 * hashed into ids 1..49151, with CLIP's start/end ids and context form. Decoding is not supported by hashing, so
 * {@link #decode} refuses.
 */
final class WordTokenizer implements Tokenizer {
    static final int SOT = 49406;
    static final int EOT = 49407;

    @Override
    public int[] encode(String text) {
        String[] words = text.toLowerCase(Locale.ROOT).trim().split("\\s+");
        return Arrays.stream(words).filter(w -> !w.isEmpty())
                .mapToInt(w -> 1 + Math.floorMod(w.hashCode(), 49151)).toArray();
    }

    @Override
    public int[] encodeContext(String text, int contextLength) {
        int[] ids = encode(text);
        int n = Math.min(ids.length, contextLength - 2);
        int[] out = new int[contextLength];
        out[0] = SOT;
        System.arraycopy(ids, 0, out, 1, n);
        out[n + 1] = EOT;
        return out;
    }

    @Override
    public String decode(int[] ids) {
        throw new InvalidInputException("WordTokenizer hashes words and cannot decode ids");
    }

    @Override
    public int vocabularySize() {
        return 49408;
    }

    @Override
    public int startOfText() {
        return SOT;
    }

    @Override
    public int endOfText() {
        return EOT;
    }
}
