package dev.decap;

import dev.decap.internal.Components;
import dev.decap.internal.kernels.RowBlock;
import dev.decap.internal.kernels.RowSource;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A caller's memory bank as the captioner uses it: every call is made through {@link Components} (a failure of the
 * bank becomes an {@link dev.decap.InferenceException} naming the bank's class and the call or entry), and what it
 * returns is checked: sizes, dimensions, embeddings ("entry 17: expected 512, found 511"), scanned blocks (inside the
 * range asked for, long enough, every row delivered once) and search hits. The checks cost a few comparisons per
 * call or block, nothing per element but for {@link #embedding}.
 *
 * <p>{@link #of} returns one guard per bank while the guard is in use (banks are told apart by identity), so that
 * what is cached per bank (ND4J's off-heap copy) is not made again for every captioner derived with the same bank.
 * Thread-safe as the bank is.
 *
 * <p>A bank that decodes its rows straight into projection blocks (decap's bank files: {@link RowSource}) gets a
 * guard that does so too ({@link Decoding}), so that projection through the captioner reads the file once, in the
 * same single pass as projection over the file itself.
 */
class GuardedMemoryBank implements MemoryBank {
    private static final String ROLE = "memory bank";
    private static final Map<IdentityKey, WeakReference<GuardedMemoryBank>> GUARDS = new HashMap<>();
    private static final ReferenceQueue<MemoryBank> STALE = new ReferenceQueue<>();

    private final MemoryBank bank;
    /** Whether the bank keeps the interface's scan / search, which then run here, on the guarded calls. */
    private final boolean defaultScan;
    private final boolean defaultSearch;

    private GuardedMemoryBank(MemoryBank bank) {
        this.bank = bank;
        this.defaultScan = declaredByInterface(bank, "scan", int.class, int.class, int.class, BlockConsumer.class);
        this.defaultSearch = declaredByInterface(bank, "search", float[].class, int.class);
    }

    private static boolean declaredByInterface(MemoryBank bank, String name, Class<?>... parameters) {
        try {
            return bank.getClass().getMethod(name, parameters).getDeclaringClass() == MemoryBank.class;
        } catch (NoSuchMethodException | SecurityException e) {
            return false;
        }
    }

    /** The guard of {@code bank} (the same one while it is in use), or null for null. */
    static MemoryBank of(MemoryBank bank) {
        if (bank == null || bank instanceof GuardedMemoryBank) {
            return bank;
        }
        synchronized (GUARDS) {
            for (java.lang.ref.Reference<? extends MemoryBank> r; (r = STALE.poll()) != null; ) {
                GUARDS.remove(r);
            }
            IdentityKey probe = new IdentityKey(bank, null);
            WeakReference<GuardedMemoryBank> ref = GUARDS.get(probe);
            GuardedMemoryBank guard = ref == null ? null : ref.get();
            if (guard == null) {
                guard = bank instanceof RowSource ? new Decoding(bank) : new GuardedMemoryBank(bank);
                GUARDS.put(new IdentityKey(bank, STALE), new WeakReference<>(guard));
            }
            return guard;
        }
    }

    /** The caller's bank. */
    public MemoryBank bank() {
        return bank;
    }

    @Override
    public int size() {
        int n = Components.call(ROLE, bank, "size()", bank::size);
        if (n < 0) {
            throw new InferenceException(Components.describe(ROLE, bank) + " reports size " + n + "; a size is 0 or "
                    + "more");
        }
        return n;
    }

    @Override
    public int dimension() {
        int d = Components.call(ROLE, bank, "dimension()", bank::dimension);
        if (d <= 0) {
            throw new InferenceException(Components.describe(ROLE, bank) + " reports dimension " + d + "; it must "
                    + "be positive");
        }
        return d;
    }

    @Override
    public String caption(int index) {
        String c = Components.call(ROLE, bank, "caption(" + index + ")", () -> bank.caption(index));
        if (c == null) {
            throw new InferenceException(Components.describe(ROLE, bank) + " returned no caption (null) for entry "
                    + index);
        }
        return c;
    }

    @Override
    public float[] embedding(int index) {
        float[] e = Components.call(ROLE, bank, "embedding(" + index + ")", () -> bank.embedding(index));
        if (e == null || e.length != dimension()) {
            throw new InferenceException(Components.describe(ROLE, bank) + " returned an embedding of the wrong "
                    + "dimension for entry " + index + ": expected " + dimension() + ", found "
                    + (e == null ? "null" : e.length));
        }
        return e;
    }

    @Override
    public void scan(int fromIndex, int toIndex, int blockRows, BlockConsumer consumer) {
        MemoryBank.checkScan(this, fromIndex, toIndex, blockRows);
        int d = dimension();
        AtomicLong delivered = new AtomicLong();
        BlockConsumer checking = (first, rows, data, offset) -> {
            if (rows <= 0 || first < fromIndex || (long) first + rows > toIndex) {
                throw new InferenceException(Components.describe(ROLE, bank) + " scanned a block of rows ["
                        + first + ", " + ((long) first + rows) + ") outside the range asked for [" + fromIndex + ", "
                        + toIndex + ")");
            }
            long needed = (long) offset + (long) rows * d;
            if (data == null || offset < 0 || needed > data.length) {
                throw new InferenceException(Components.describe(ROLE, bank) + " scanned a block too short for "
                        + rows + " rows of dimension " + d + " from entry " + first + ": expected at least " + needed
                        + " floats, found " + (data == null ? "null" : data.length + " (offset " + offset + ")"));
            }
            delivered.addAndGet(rows);
            try {
                consumer.accept(first, rows, data, offset);
            } catch (RuntimeException e) {
                throw new ConsumerFailure(e);
            }
        };
        try {
            if (defaultScan) {
                MemoryBank.super.scan(fromIndex, toIndex, blockRows, checking);   // rows read through embedding(i)
            } else {
                bank.scan(fromIndex, toIndex, blockRows, checking);
            }
        } catch (ConsumerFailure e) {
            throw e.failure;
        } catch (DecapException e) {
            throw e;
        } catch (RuntimeException e) {
            throw Components.failure(ROLE, bank, "scan(" + fromIndex + ", " + toIndex + ", " + blockRows + ", ..)", e);
        }
        if (delivered.get() != (long) toIndex - fromIndex) {
            throw new InferenceException(Components.describe(ROLE, bank) + " scanned the wrong number of rows of ["
                    + fromIndex + ", " + toIndex + "): expected " + (toIndex - fromIndex) + ", found "
                    + delivered.get());
        }
    }

    @Override
    public List<MemoryHit> search(float[] query, int k) {
        List<MemoryHit> hits = defaultSearch ? MemoryBank.super.search(query, k)   // through scan and caption(i)
                : Components.call(ROLE, bank, "search(query, " + k + ")", () -> bank.search(query, k));
        if (hits == null) {
            throw new InferenceException(Components.describe(ROLE, bank) + " returned no hits (null) from search");
        }
        int size = size();
        if (hits.size() > k) {
            throw new InferenceException(Components.describe(ROLE, bank) + " returned too many hits from search: "
                    + "expected at most " + k + ", found " + hits.size());
        }
        for (int i = 0; i < hits.size(); i++) {
            MemoryHit h = hits.get(i);
            if (h == null || h.index() < 0 || h.index() >= size || !Float.isFinite(h.similarity())) {
                throw new InferenceException(Components.describe(ROLE, bank) + " returned a bad hit " + i
                        + " from search: " + h + " (entries 0.." + (size - 1) + ", finite similarity)");
            }
        }
        return hits;
    }

    @Override
    public boolean prefersSearchForTopK() {
        return Components.call(ROLE, bank, "prefersSearchForTopK()", bank::prefersSearchForTopK);
    }

    @Override
    public String toString() {
        return bank.toString();
    }

    /** Carries an exception of the scan's consumer (the library's own) past the bank's scan, unchanged. */
    /** The guard of a bank that is a {@link RowSource}: decodes through it, with the block checked. */
    static final class Decoding extends GuardedMemoryBank implements RowSource {
        private final RowSource source;

        Decoding(MemoryBank bank) {
            super(bank);
            this.source = (RowSource) bank;
        }

        @Override
        public int decode(int first, int to, RowBlock block) {
            int rows;
            try {
                rows = source.decode(first, to, block);
            } catch (DecapException e) {
                throw e;
            } catch (RuntimeException e) {
                throw Components.failure(ROLE, bank(), "decode(" + first + ", " + to + ", ..)", e);
            }
            if (rows <= 0 || rows > to - first || rows > block.capacity() || block.count() != rows
                    || block.first() != first) {
                throw new InferenceException(Components.describe(ROLE, bank()) + " decoded a block of " + rows
                        + " rows from entry " + block.first() + " for rows [" + first + ", " + to
                        + "): expected 1.." + Math.min(to - first, block.capacity()) + " rows from entry " + first);
            }
            return rows;
        }
    }

    private static final class ConsumerFailure extends RuntimeException {
        final RuntimeException failure;

        ConsumerFailure(RuntimeException failure) {
            super(null, null, false, false);
            this.failure = failure;
        }
    }

    /** A weak reference to a bank, equal to another for the same bank (by identity). */
    private static final class IdentityKey extends WeakReference<MemoryBank> {
        private final int hash;

        IdentityKey(MemoryBank bank, ReferenceQueue<MemoryBank> queue) {
            super(bank, queue);
            this.hash = System.identityHashCode(bank);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return this == o || (o instanceof IdentityKey other && get() != null && get() == other.get());
        }
    }
}
