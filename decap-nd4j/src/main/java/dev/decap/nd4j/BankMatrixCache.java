package dev.decap.nd4j;

import dev.decap.ConfigurationException;
import dev.decap.memory.MemoryBank;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Off-heap N×D copies of memory banks, weakly keyed by bank identity. A copy is made on a bank's first use (one
 * {@link MemoryBank#scan}, so any bank implementation works) and kept while the bank is reachable; once the bank
 * is garbage-collected its entry is dropped and ND4J frees the copy when nothing uses it any more (its
 * deallocator runs on unreachability, so a copy still in use by another thread is never freed under it).
 * {@link #close()} frees every copy at once; callers must hold the owner's lock so that no computation is
 * running. Thread-safe.
 */
final class BankMatrixCache {
    private static final Logger LOG = LoggerFactory.getLogger(BankMatrixCache.class);
    private static final int COPY_BLOCK_ROWS = 65536;

    private final ReferenceQueue<MemoryBank> queue = new ReferenceQueue<>();
    private final Map<Key, INDArray> matrices = new HashMap<>();

    /** The bank's matrix, copied off-heap on first use. */
    synchronized INDArray get(MemoryBank bank) {
        expungeStale();
        Key probe = new Key(bank, null);
        INDArray m = matrices.get(probe);
        if (m == null) {
            m = copy(bank);
            matrices.put(new Key(bank, queue), m);
        }
        return m;
    }

    /** Number of banks with a live copy. */
    synchronized int size() {
        expungeStale();
        return matrices.size();
    }

    /** Frees every copy now. */
    synchronized void clear() {
        List<INDArray> all = new ArrayList<>(matrices.values());
        matrices.clear();
        for (INDArray m : all) {
            if (m.closeable()) {
                m.close();
            }
        }
    }

    private void expungeStale() {
        java.lang.ref.Reference<? extends MemoryBank> stale;
        while ((stale = queue.poll()) != null) {
            matrices.remove(stale);
        }
    }

    private static INDArray copy(MemoryBank bank) {
        long start = System.nanoTime();
        int n = bank.size();
        int d = bank.dimension();
        INDArray m;
        try {
            m = Nd4j.createUninitialized(DataType.FLOAT, new long[] {n, d}, 'c');
        } catch (OutOfMemoryError e) {
            // JavaCPP refuses off-heap allocations beyond its limit before making them; nothing is lost.
            throw new ConfigurationException(String.format(Locale.ROOT, "not enough off-heap memory for ND4J's copy "
                    + "of a %d x %d memory bank (%.2f GB): raise -Xmx or -Dorg.bytedeco.javacpp.maxbytes, or use "
                    + "the pure-Java ProjectionDecoding", n, d, 4.0 * n * d / 1e9), e);
        }
        FloatPointer base = new FloatPointer(m.data().addressPointer());
        bank.scan(COPY_BLOCK_ROWS, (first, rows, data, offset) -> {
            FloatPointer target = new FloatPointer(base);
            target.position((long) first * d).put(data, offset, rows * d);
        });
        LOG.debug("copied memory bank of {} x {} off-heap for ND4J in {} ms", n, d,
                (System.nanoTime() - start) / 1_000_000);
        return m;
    }

    /** A weak reference compared by the identity of its referent. */
    private static final class Key extends WeakReference<MemoryBank> {
        private final int hash;

        Key(MemoryBank bank, ReferenceQueue<MemoryBank> queue) {
            super(bank, queue);
            this.hash = System.identityHashCode(bank);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof Key)) {
                return false;
            }
            Object mine = get();
            return mine != null && mine == ((Key) o).get();
        }
    }
}
