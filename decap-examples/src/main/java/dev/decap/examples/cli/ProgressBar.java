package dev.decap.examples.cli;

import dev.decap.memory.ProgressListener;

import java.io.PrintStream;

/**
 * A one-line progress bar on standard error, drawn only when the console is interactive
 * ({@code System.console() != null}); otherwise it prints nothing, so that logs and pipes stay clean.
 */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final String label;
    private final PrintStream err;
    private final boolean enabled;
    private int lastPercent = -1;

    private ProgressBar(String label, PrintStream err, boolean enabled) {
        this.label = label;
        this.err = err;
        this.enabled = enabled;
    }

    /** A bar labelled {@code label}, shown only on a terminal. */
    static ProgressBar onTerminal(String label) {
        return new ProgressBar(label, System.err, System.console() != null);
    }

    @Override
    public void progress(int done, int total) {
        if (!enabled || total <= 0) {
            return;
        }
        int percent = (int) (100L * done / total);
        if (percent == lastPercent && done != total) {
            return;
        }
        lastPercent = percent;
        int filled = (int) ((long) WIDTH * done / total);
        err.print("\r" + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total);
        if (done >= total) {
            err.println();
        }
        err.flush();
    }
}
