package dev.decap.image;

import dev.decap.ImageDecodingException;

import java.time.Duration;

/**
 * The time one decode may take, checked on the decoding thread at row boundaries (no timer thread): once it has
 * passed, {@link #check} throws and {@link #passed()} tells ImageIO's progress listener to abort the reader.
 */
final class DecodeDeadline {
    private final Duration budget;
    private final long deadlineNanos;

    private DecodeDeadline(Duration budget) {
        this.budget = budget;
        long nanos;
        try {
            nanos = budget.toNanos();
        } catch (ArithmeticException e) {
            nanos = Long.MAX_VALUE;
        }
        long now = System.nanoTime();
        this.deadlineNanos = now + Math.min(nanos, Long.MAX_VALUE / 4);
    }

    /** A deadline {@code budget} from now, or null (no deadline) for a null budget. */
    static DecodeDeadline startingNow(Duration budget) {
        return budget == null ? null : new DecodeDeadline(budget);
    }

    boolean passed() {
        return System.nanoTime() - deadlineNanos > 0;
    }

    /**
     * @throws ImageDecodingException if the deadline has passed
     */
    void check(String name) {
        if (passed()) {
            throw exceeded(name);
        }
    }

    ImageDecodingException exceeded(String name) {
        return new ImageDecodingException("decoding image " + name + " took longer than its deadline of "
                + describe(budget) + " and was stopped; raise ImageLoader.builder().decodeDeadline(..), or lower"
                + " maxPixels(..) to refuse such images from their header");
    }

    static String describe(Duration d) {
        long ms = d.toMillis();
        return ms >= 1 ? ms + " ms" : d.toNanos() / 1000 + " µs";
    }
}
