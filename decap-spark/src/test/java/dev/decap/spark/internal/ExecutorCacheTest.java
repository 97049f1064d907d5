package dev.decap.spark.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecutorCacheTest {
    /** A value that records whether it was closed. */
    static final class Value implements AutoCloseable {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private static Object key(String name) {
        return List.of(ExecutorCacheTest.class.getName(), name, System.nanoTime());
    }

    @Test
    void concurrent_first_requests_for_a_key_load_it_once_and_share_it() throws Exception {
        Object key = key("shared");
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<ExecutorCache.Lease<Value>> leases = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                leases.add(ExecutorCache.acquire(key, () -> {
                    loads.incrementAndGet();
                    return new Value();
                }));
            });
            th.start();
            threads.add(th);
        }
        start.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(1, loads.get());
        assertEquals(8, ExecutorCache.holders(key));
        leases.forEach(l -> assertSame(leases.get(0).value(), l.value()));
        leases.forEach(ExecutorCache.Lease::close);
        assertEquals(0, ExecutorCache.holders(key));
    }

    @Test
    void a_held_value_is_never_closed_and_idle_values_beyond_the_limit_are() {
        Object held = key("held");
        ExecutorCache.Lease<Value> lease = ExecutorCache.acquire(held, Value::new);
        List<Value> idle = new ArrayList<>();
        for (int i = 0; i < ExecutorCache.MAX_IDLE + 3; i++) {
            try (ExecutorCache.Lease<Value> l = ExecutorCache.acquire(key("idle-" + i), Value::new)) {
                idle.add(l.value());
            }
        }
        assertEquals(0, lease.value().closes.get(), "in use: never closed");
        assertEquals(1, idle.get(0).closes.get(), "least recently used idle value closed");
        assertEquals(0, idle.get(idle.size() - 1).closes.get(), "most recent idle value kept for the next task");
        lease.close();
        lease.close(); // idempotent: releases once
        assertEquals(0, ExecutorCache.holders(held));
    }

    @Test
    void a_failed_load_is_not_kept_and_the_next_request_loads_again() {
        Object key = key("failing");
        assertThrows(IllegalStateException.class, () -> ExecutorCache.acquire(key, () -> {
            throw new IllegalStateException("model missing");
        }));
        assertEquals(0, ExecutorCache.holders(key));
        try (ExecutorCache.Lease<Value> l = ExecutorCache.acquire(key, Value::new)) {
            assertFalse(l.value().closes.get() > 0);
            assertTrue(ExecutorCache.holders(key) == 1);
        }
    }
}
