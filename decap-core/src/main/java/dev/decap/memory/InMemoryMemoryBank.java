package dev.decap.memory;

import dev.decap.spi.Arguments;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.Vectors;
import dev.decap.encoding.TextEncoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A memory bank held on the Java heap: captions in a {@code String[]}, embeddings in one contiguous row-major
 * {@code float[]} of {@code size() * dimension()} floats, normalised to unit length once, on insertion.
 *
 * <p>Immutable and safe for any number of concurrent readers. {@link #scan} hands out the storage itself,
 * blockwise, without copying; {@link #search} is an exact scan with a bounded heap. One array limits a bank to
 * {@code Integer.MAX_VALUE - 8} floats (about 4.19 million entries of dimension 512).
 *
 * <pre>{@code
 * MemoryBank bank = InMemoryMemoryBank.builder()
 *         .add("a dog runs on the beach", dogEmbedding)
 *         .add("two people ride bicycles", bikeEmbedding)
 *         .build();
 * }</pre>
 */
public final class InMemoryMemoryBank implements MemoryBank {

    /** The most floats one Java array can hold on common JVMs. */
    static final long MAX_FLOATS = Integer.MAX_VALUE - 8L;

    private final String[] captions;
    private final float[] data;
    private final int dimension;

    private InMemoryMemoryBank(String[] captions, float[] data, int dimension) {
        this.captions = captions;
        this.data = data;
        this.dimension = dimension;
    }

    /** A new, empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Encodes {@code captions} with {@code encoder} and builds a bank of them, in order.
     *
     * @param progress told after each batch how many captions are encoded; {@link ProgressListener#NONE} for none
     * @throws InvalidInputException if a caption is null or the encoder returns an unusable embedding for one
     */
    public static InMemoryMemoryBank encode(TextEncoder encoder, List<String> captions, ProgressListener progress) {
        Arguments.requireNonNull(captions, "captions");
        return builder().expectedSize(captions.size()).addEncoded(encoder, captions, progress).build();
    }

    @Override
    public int size() {
        return captions.length;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public String caption(int index) {
        return captions[checkIndex(index)];
    }

    @Override
    public float[] embedding(int index) {
        int start = checkIndex(index) * dimension;
        return Arrays.copyOfRange(data, start, start + dimension);
    }

    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        Arguments.requireNonNull(consumer, "consumer");
        MemoryBank.checkScan(this, fromIndex, toIndex, blockRows);
        for (int start = fromIndex; start < toIndex; start += blockRows) {
            int rows = Math.min(blockRows, toIndex - start);
            consumer.accept(start, rows, data, start * dimension);
        }
    }

    @Override
    public String toString() {
        return "InMemoryMemoryBank[size=" + captions.length + ", dimension=" + dimension + "]";
    }

    private int checkIndex(int index) {
        if (index < 0 || index >= captions.length) {
            throw new InvalidInputException("memory index " + index + " is out of range: the bank has "
                    + captions.length + " entries (0 to " + (captions.length - 1) + ")");
        }
        return index;
    }

    /**
     * Collects captions and embeddings. Each embedding is checked (finite, non-zero, of the bank's dimension) and
     * normalised when added, so a bad entry is refused at once with its position and caption. Not thread-safe;
     * {@link #build()} may be called more than once, and adding after a build never changes a built bank.
     */
    public static final class Builder {
        private final List<String> captions = new ArrayList<>();
        private float[] data = new float[0];
        private boolean shared;
        private int dimension;
        private int expectedSize;

        private Builder() {
        }

        /**
         * Optional. The embedding dimension every entry must have. Default: the dimension of the first entry.
         *
         * @throws ConfigurationException if not positive, or entries of another dimension were added already
         */
        public Builder dimension(int dimension) {
            if (dimension <= 0) {
                throw new ConfigurationException("dimension must be positive, found " + dimension);
            }
            if (!captions.isEmpty() && dimension != this.dimension) {
                throw new ConfigurationException("dimension " + dimension + " conflicts with the entries added "
                        + "already: expected " + this.dimension + ", found " + dimension);
            }
            checkExpectedSize(expectedSize, dimension);
            this.dimension = dimension;
            return this;
        }

        /**
         * Optional. How many entries will be added, to allocate the storage once. Default: grow as needed. The valid
         * range is 0 up to what one array holds for the dimension: {@code expectedSize * dimension} at most
         * 2<sup>31</sup>&minus;9 floats (e.g. 4,194,303 entries of 512 floats).
         *
         * @throws ConfigurationException if negative, or (once the dimension is known) too large for one array
         */
        public Builder expectedSize(int expectedSize) {
            if (expectedSize < 0) {
                throw new ConfigurationException("expectedSize must not be negative, found " + expectedSize);
            }
            checkExpectedSize(expectedSize, dimension);
            this.expectedSize = expectedSize;
            return this;
        }

        private static void checkExpectedSize(int expectedSize, int dimension) {
            if (dimension > 0 && (long) expectedSize * dimension > MAX_FLOATS) {
                throw new ConfigurationException("expectedSize " + expectedSize + " is too large for one array of "
                        + dimension + "-float embeddings: expected at most " + (MAX_FLOATS / dimension)
                        + ", found " + expectedSize + "; split the corpus or use a memory-mapped bank");
            }
        }

        /**
         * Adds one entry; the embedding is copied and normalised.
         *
         * @throws InvalidInputException if the caption is null or the embedding is null, empty, not finite, zero,
         *                               or of another dimension than the bank's; the message names the entry
         */
        public Builder add(String caption, float[] embedding) {
            Arguments.requireNonNull(embedding, "embedding");
            int index = captions.size();
            if (caption == null) {
                throw new InvalidInputException("memory entry " + index + " has a null caption; "
                        + "pass the caption text");
            }
            String what = "embedding of memory entry " + index + " (\"" + abbreviate(caption) + "\")";
            Vectors.requireFinite(embedding, what);
            if (dimension == 0) {
                dimension = embedding.length;
            }
            Vectors.requireDimension(embedding, dimension, what);
            float[] unit = Vectors.normalized(embedding, what);
            ensureCapacity(index + 1);
            System.arraycopy(unit, 0, data, index * dimension, dimension);
            captions.add(caption);
            return this;
        }

        /**
         * Adds entries pairwise, in order.
         *
         * @throws InvalidInputException if the lists differ in length or an entry is refused (see {@link #add})
         */
        public Builder addAll(List<String> captions, List<float[]> embeddings) {
            Arguments.requireNonNull(captions, "captions");
            Arguments.requireNonNull(embeddings, "embeddings");
            if (captions.size() != embeddings.size()) {
                throw new InvalidInputException("captions and embeddings differ in number: expected "
                        + captions.size() + " embeddings (one per caption), found " + embeddings.size());
            }
            ensureCapacity(this.captions.size() + captions.size());
            for (int i = 0; i < captions.size(); i++) {
                add(captions.get(i), embeddings.get(i));
            }
            return this;
        }

        /**
         * Encodes {@code captions} with {@code encoder}, in batches of {@link TextEncoder#CORPUS_BATCH_SIZE} (256)
         * through {@link TextEncoder#encodeAll}, and adds them in order. Batches that large let an encoder that
         * sorts by token length (length buckets) feed most captions at nearly their own length.
         *
         * @param progress told after each batch how many of these captions are done
         * @throws InvalidInputException if a caption is null or the encoder returns an unusable embedding
         */
        public Builder addEncoded(TextEncoder encoder, List<String> captions, ProgressListener progress) {
            Arguments.requireNonNull(encoder, "encoder");
            Arguments.requireNonNull(captions, "captions");
            ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
            if (dimension == 0) {
                dimension(encoder.dimension());
            }
            ensureCapacity(this.captions.size() + captions.size());
            int total = captions.size();
            listener.progress(0, total);
            int step = TextEncoder.CORPUS_BATCH_SIZE;
            for (int start = 0; start < total; start += step) {
                List<String> batch = captions.subList(start, Math.min(total, start + step));
                for (int i = 0; i < batch.size(); i++) {
                    if (batch.get(i) == null) {
                        throw new InvalidInputException("caption " + (start + i) + " is null; pass caption text");
                    }
                }
                List<float[]> embeddings = encoder.encodeAll(batch);
                if (embeddings.size() != batch.size()) {
                    throw new InvalidInputException("the text encoder returned the wrong number of embeddings: "
                            + "expected " + batch.size() + ", found " + embeddings.size());
                }
                for (int i = 0; i < batch.size(); i++) {
                    add(batch.get(i), embeddings.get(i));
                }
                listener.progress(start + batch.size(), total);
            }
            return this;
        }

        /**
         * Builds an immutable bank of the entries added so far.
         *
         * @throws ConfigurationException if no entry was added
         */
        public InMemoryMemoryBank build() {
            int n = captions.size();
            if (n == 0) {
                throw new ConfigurationException("a memory bank needs at least one entry; add captions with "
                        + "their embeddings before build()");
            }
            int length = n * dimension;
            if (data.length != length) {
                data = Arrays.copyOf(data, length);
            }
            // The bank and this builder now share the array; the next add copies it first.
            shared = true;
            return new InMemoryMemoryBank(captions.toArray(new String[0]), data, dimension);
        }

        private void ensureCapacity(int entries) {
            checkExpectedSize(expectedSize, dimension);
            long needed = (long) Math.max(entries, expectedSize) * dimension;
            if ((long) entries * dimension > MAX_FLOATS) {
                throw new InvalidInputException("memory bank too large for one array: " + entries + " entries of "
                        + dimension + " floats exceed " + MAX_FLOATS + " floats; split the corpus or use a "
                        + "memory-mapped bank");
            }
            needed = Math.min(needed, MAX_FLOATS);
            if (needed <= data.length && !shared) {
                return;
            }
            long grown = Math.max(needed, Math.min(MAX_FLOATS, (long) data.length + (data.length >> 1)));
            data = Arrays.copyOf(data, shared ? Math.max((int) needed, data.length) : (int) grown);
            shared = false;
        }

        private static String abbreviate(String caption) {
            return caption.length() <= 60 ? caption : caption.substring(0, 57) + "...";
        }
    }
}
