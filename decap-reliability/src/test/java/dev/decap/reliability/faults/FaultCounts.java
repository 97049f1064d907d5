package dev.decap.reliability.faults;

import java.util.Map;
import java.util.TreeMap;

/** Tally of injected faults per scenario, printed (stderr) when a test class ends, for docs/reliability.md. */
final class FaultCounts {
    private final String suite;
    private final Map<String, long[]> counts = new TreeMap<>();

    FaultCounts(String suite) {
        this.suite = suite;
    }

    /** Records one run of {@code scenario} on {@code fs}. */
    synchronized void record(String scenario, FaultyFileSystem fs) {
        long[] c = counts.computeIfAbsent(scenario, k -> new long[4]);
        c[0]++;
        c[1] += fs.faultsInjected;
        c[2] += fs.shortTransfers;
        c[3] += fs.crashed() ? 1 : 0;
    }

    synchronized void print() {
        for (var e : counts.entrySet()) {
            long[] c = e.getValue();
            System.err.printf("faults %s / %s: %d runs, %d faults injected (%d crashes), %d short reads/writes%n",
                    suite, e.getKey(), c[0], c[1], c[3], c[2]);
        }
    }
}
