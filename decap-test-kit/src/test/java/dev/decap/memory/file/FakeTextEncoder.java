package dev.decap.memory.file;

import dev.decap.encoding.TextEncoder;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A deterministic text encoder for tests: the embedding of a text is Gaussian noise seeded by its UTF-8 bytes.
 * Records every text it encodes; can fail once a number of texts has been encoded.
 */
class FakeTextEncoder implements TextEncoder {
    static final EncoderIdentity IDENTITY = new EncoderIdentity("fake", "0f".repeat(32));

    private final int dimension;
    private final IntPredicate failBefore;
    final List<String> encoded = new ArrayList<>();
    final AtomicInteger calls = new AtomicInteger();
    private final long sleepMillisPerBatch;

    FakeTextEncoder(int dimension) {
        this(dimension, n -> false, 0);
    }

    /** @param failBefore called with the number encoded so far before each batch; true throws */
    FakeTextEncoder(int dimension, IntPredicate failBefore, long sleepMillisPerBatch) {
        this.dimension = dimension;
        this.failBefore = failBefore;
        this.sleepMillisPerBatch = sleepMillisPerBatch;
    }

    static float[] embed(String text, int dimension) {
        long seed = 1125899906842597L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            seed = 31 * seed + b;
        }
        Random r = new Random(seed);
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = (float) (r.nextGaussian() * 3);
        }
        return v;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public float[] encode(String text) {
        return encodeAll(List.of(text)).get(0);
    }

    @Override
    public synchronized List<float[]> encodeAll(List<String> texts) {
        if (failBefore.test(encoded.size())) {
            throw new IllegalStateException("simulated crash after " + encoded.size() + " captions");
        }
        calls.incrementAndGet();
        if (sleepMillisPerBatch > 0) {
            try {
                Thread.sleep(sleepMillisPerBatch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<float[]> out = new ArrayList<>();
        for (String t : texts) {
            encoded.add(t);
            out.add(embed(t, dimension));
        }
        return out;
    }
}
