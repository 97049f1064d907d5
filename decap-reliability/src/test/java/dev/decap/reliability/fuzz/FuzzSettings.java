package dev.decap.reliability.fuzz;

/** Settings shared by the fuzz targets; see docs/reliability.md for the commands that use them. */
final class FuzzSettings {
    /**
     * How long one target is fuzzed when Jazzer runs in fuzzing mode ({@code JAZZER_FUZZ=1}). In the default
     * regression mode (CI) only the committed seeds run and this is ignored.
     */
    static final String MAX_DURATION = "2m";
    /** The hang guard: one input may take this long (JUnit timeout; Jazzer passes it to libFuzzer as -timeout). */
    static final long SECONDS_PER_INPUT = 20;

    private FuzzSettings() {
    }
}
