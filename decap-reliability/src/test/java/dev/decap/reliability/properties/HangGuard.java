package dev.decap.reliability.properties;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a call on a daemon thread and fails if it has not returned after a generous bound: a guard against hangs
 * (super-linear work, endless loops), not a speed assertion.
 */
final class HangGuard {
    static final long SECONDS = 20;
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hang-guard");
        t.setDaemon(true);
        return t;
    });

    private HangGuard() {
    }

    static <T> T call(String what, Callable<T> call) {
        Future<T> f = EXECUTOR.submit(call);
        try {
            return f.get(SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new AssertionError(what + " did not return within " + SECONDS + " s (hang guard)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new AssertionError(what + " failed", cause);
        }
    }
}
