package dev.decap.memory;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;

/**
 * Checks that a memory bank holds what {@link MemoryBank} promises: unit-length, finite embeddings of the bank's
 * dimension. A bank of raw encoder outputs (CLIP's {@code encode_text} is not normalised) otherwise gives silently
 * wrong captions: similarities far above 1 collapse DeCap's softmax onto one entry.
 *
 * <p>{@link #requireUnitSample} reads a bounded sample of rows (first, last and evenly spaced ones), so that it
 * costs microseconds on a bank of millions; the projectors check every similarity they compute at use
 * ({@link #requireSimilarity}). Stateless and thread-safe.
 */
public final class MemoryBankChecks {
    /** Rows {@link #requireUnitSample} reads by default. */
    public static final int DEFAULT_SAMPLE_ROWS = 32;
    /**
     * How far a bank row's length may be from 1. Loose enough for float16 storage (relative error about 1e-3 per
     * element), tight enough to refuse unnormalised encoder outputs (lengths of about 10 for CLIP ViT-B/32 text).
     */
    public static final double UNIT_TOLERANCE = 1e-2;
    /** The largest |cosine similarity| accepted at use between a unit query and a bank row. */
    public static final float MAX_SIMILARITY = (float) (1 + UNIT_TOLERANCE);

    private static final String WHAT_TO_DO = "normalise each embedding with Vectors.normalized(embedding, what) "
            + "before putting it into the bank (InMemoryMemoryBank.builder() does this for you)";

    private MemoryBankChecks() {
    }

    /**
     * Checks the bank's dimension is positive, its size at least 1, and that up to {@code sampleRows} rows spread
     * over the bank are finite and of unit length within {@link #UNIT_TOLERANCE}.
     *
     * @param what names the bank in the message, e.g. "the memory bank"
     * @throws ConfigurationException naming the first bad row, its caption and what to do
     */
    public static void requireUnitSample(MemoryBank bank, int sampleRows, String what) {
        Arguments.requireNonNull(what, "what");
        if (bank == null) {
            throw new dev.decap.InvalidInputException(what + " is null; pass a memory bank");
        }
        int n = bank.size();
        int d = bank.dimension();
        if (n <= 0) {
            throw new ConfigurationException(what + " is empty; add captions with their embeddings first");
        }
        if (d <= 0) {
            throw new ConfigurationException(what + " reports dimension " + d + "; it must be positive");
        }
        int samples = Math.max(1, Math.min(n, sampleRows));
        int previous = -1;
        for (int s = 0; s < samples; s++) {
            int row = samples == 1 ? 0 : (int) ((long) s * (n - 1) / (samples - 1));
            if (row == previous) {
                continue;
            }
            previous = row;
            String problem = rowProblem(bank, row, d);
            if (problem != null) {
                throw new ConfigurationException(what + ": " + problem);
            }
        }
    }

    /** Null when row {@code row} is a finite unit vector of dimension {@code d}, else what is wrong with it. */
    private static String rowProblem(MemoryBank bank, int row, int d) {
        float[] e = bank.embedding(row);
        if (e == null || e.length != d) {
            return entry(bank, row) + " has the wrong dimension: expected " + d + ", found "
                    + (e == null ? "null" : e.length) + "; the bank implementation is broken";
        }
        double sum = 0;
        for (float x : e) {
            sum += (double) x * x;
        }
        if (Double.isFinite(sum) && Math.abs(Math.sqrt(sum) - 1) <= UNIT_TOLERANCE) {
            return null; // the common case: no message is built
        }
        for (int i = 0; i < e.length; i++) {
            if (Float.isNaN(e[i])) {
                return entry(bank, row) + " holds NaN at index " + i + "; the bank was built from a broken "
                        + "embedding: rebuild it from finite embeddings";
            }
            if (!Float.isFinite(e[i])) {
                return entry(bank, row) + " holds " + e[i] + " at index " + i + "; the bank was built from a "
                        + "broken embedding: rebuild it from finite embeddings";
            }
        }
        return entry(bank, row) + " has length " + (float) Math.sqrt(sum) + ", expected a unit vector (length 1 "
                + "within " + UNIT_TOLERANCE + "); " + WHAT_TO_DO;
    }

    private static String entry(MemoryBank bank, int row) {
        return "entry " + row + " (\"" + abbreviate(bank.caption(row)) + "\")";
    }

    /**
     * Checks one similarity computed at use between a unit query and bank row {@code index}: NaN means the bank
     * (or the query) holds NaN; |s| above {@link #MAX_SIMILARITY} means the row is not of unit length.
     *
     * @throws InvalidInputException with a message about NaN, or about unit length, naming the entry
     */
    public static void requireSimilarity(float similarity, int index) {
        if (similarity <= MAX_SIMILARITY && similarity >= -MAX_SIMILARITY) {
            return;
        }
        throw badSimilarity(similarity, index);
    }

    /** The exception {@link #requireSimilarity} throws, for callers that test the range themselves. */
    public static InvalidInputException badSimilarity(float similarity, int index) {
        if (Float.isNaN(similarity)) {
            return new InvalidInputException("memory bank entry " + index + " gives a NaN similarity: the bank "
                    + "holds NaN (or infinite) values; rebuild it from finite embeddings");
        }
        return new InvalidInputException("memory bank entry " + index + " has cosine similarity " + similarity
                + " with the unit image embedding, which is impossible for unit vectors: the bank's embeddings are "
                + "not of unit length; " + WHAT_TO_DO);
    }

    private static String abbreviate(String caption) {
        if (caption == null) {
            return "null";
        }
        return caption.length() <= 60 ? caption : caption.substring(0, 57) + "...";
    }
}
