package dev.decap.spark.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The per-JVM holder of expensive native state (loaded models, memory-mapped banks): one value per key, created
 * lazily by the first task that asks and shared by every later task of this executor JVM. Each task holds a
 * {@link Lease} while it uses the value (reference counting); a value nobody holds stays loaded for the next task,
 * and is closed when more than {@link #MAX_IDLE} unused values are kept, or when the JVM shuts down. A value is
 * never closed while a lease on it is open.
 *
 * <p>Thread-safe: tasks of one executor run on many threads; concurrent first requests for a key load it once.
 */
public final class ExecutorCache {
    /** Unused values kept loaded (the most recently used ones). */
    static final int MAX_IDLE = 2;

    private static final Map<Object, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);
    private static long loads;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorCache::closeAll, "decap-executor-cache-close"));
    }

    private ExecutorCache() {
    }

    /** A hold on a shared value; {@link #close()} releases it (idempotent). */
    public static final class Lease<V> implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Lease(Entry entry) {
            this.entry = entry;
        }

        /** The shared value. Do not close it: the cache does. */
        @SuppressWarnings("unchecked")
        public V value() {
            return (V) entry.value;
        }

        @Override
        public void close() {
            synchronized (ExecutorCache.class) {
                if (released) {
                    return;
                }
                released = true;
                entry.refs--;
                evictIdle();
            }
        }
    }

    private static final class Entry {
        final Object key;
        AutoCloseable value;
        int refs;

        Entry(Object key) {
            this.key = key;
        }
    }

    /**
     * Holds the value of {@code key}, loading it with {@code loader} if this JVM has none yet. Another thread
     * asking for the same key while it loads waits for that load; a failed load is not kept (the next task tries
     * again).
     */
    public static <V extends AutoCloseable> Lease<V> acquire(Object key, Supplier<V> loader) {
        Objects.requireNonNull(key, "key");
        Entry entry;
        synchronized (ExecutorCache.class) {
            entry = ENTRIES.computeIfAbsent(key, Entry::new);
            entry.refs++;
        }
        synchronized (entry) {
            if (entry.value == null) {
                try {
                    entry.value = Objects.requireNonNull(loader.get(), "loaded value");
                    synchronized (ExecutorCache.class) {
                        loads++;
                    }
                } catch (RuntimeException | Error e) {
                    synchronized (ExecutorCache.class) {
                        entry.refs--;
                        if (entry.refs == 0 && ENTRIES.get(key) == entry) {
                            ENTRIES.remove(key);
                        }
                    }
                    throw e;
                }
            }
        }
        return new Lease<>(entry);
    }

    /** How many values this JVM has loaded so far (for tests and diagnostics). */
    public static synchronized long loads() {
        return loads;
    }

    /** How many tasks hold a lease on {@code key} now. */
    public static synchronized int holders(Object key) {
        Entry e = ENTRIES.get(key);
        return e == null ? 0 : e.refs;
    }

    private static void evictIdle() {
        List<Entry> idle = new ArrayList<>();
        for (Entry e : ENTRIES.values()) { // least recently used first
            if (e.refs == 0 && e.value != null) {
                idle.add(e);
            }
        }
        for (int i = 0; i < idle.size() - MAX_IDLE; i++) {
            Entry e = idle.get(i);
            ENTRIES.remove(e.key);
            closeQuietly(e.value);
        }
    }

    /** Closes every value nobody holds, and forgets it (on JVM shutdown, or to free an executor's memory). */
    public static void closeIdle() {
        synchronized (ExecutorCache.class) {
            List<Object> keys = new ArrayList<>();
            ENTRIES.forEach((k, e) -> {
                if (e.refs == 0) {
                    keys.add(k);
                }
            });
            for (Object k : keys) {
                Entry e = ENTRIES.remove(k);
                if (e.value != null) {
                    closeQuietly(e.value);
                }
            }
        }
    }

    private static void closeAll() {
        closeIdle(); // values still held at shutdown belong to tasks being killed; the OS reclaims them
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing read-only models and mappings: nothing is lost
        }
    }
}
