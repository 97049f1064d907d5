package dev.decap.memory.file;

import dev.decap.spi.Arguments;
import java.time.Duration;

/**
 * How far a corpus build has got. Immutable.
 *
 * @param done              unique captions whose embeddings are finished (resumed ones included)
 * @param total             unique captions in the corpus
 * @param resumed           captions taken from an earlier interrupted build's checkpoints, not encoded again
 * @param elapsed           time since this run started
 * @param captionsPerSecond encoding rate of this run (captions encoded now over elapsed time); 0 at the start
 * @param remaining         estimated time left at that rate; null while unknown
 * @param finished          true once the bank file is committed
 */
public record BuildProgress(long done, long total, long resumed, Duration elapsed, double captionsPerSecond,
                            Duration remaining, boolean finished) {
    /** Refuses null components (the null policy, docs/reliability.md). */
    public BuildProgress {
        Arguments.requireNonNull(elapsed, "elapsed");
    }


    /** Told of a build's progress on the building thread after every batch; keep it quick. */
    @FunctionalInterface
    public interface Listener {
        /** A listener that ignores every report. */
        Listener NONE = p -> { };

        /** Throwing aborts the build with that exception (completed checkpoints are kept). */
        void progress(BuildProgress progress);
    }
}
