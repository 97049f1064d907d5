package dev.decap.memory;

/**
 * Told how far a long operation, such as encoding a caption corpus into a memory bank, has got. Called on the
 * working thread after each step; keep it quick. Throwing from it aborts the operation with that exception.
 */
@FunctionalInterface
public interface ProgressListener {

    /** A listener that ignores every report. */
    ProgressListener NONE = (done, total) -> { };

    /**
     * Reports progress.
     *
     * @param done  units finished so far, from 0 to {@code total}, never decreasing
     * @param total units in all
     */
    void progress(int done, int total);
}
