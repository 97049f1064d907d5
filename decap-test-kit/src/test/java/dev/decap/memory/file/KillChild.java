package dev.decap.memory.file;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link KillMidWriteTest}: writes a bank (or runs a resumable build) and exits; the parent kills
 * it at many moments. Prints "started" once the JVM is up, so the parent can time kills from there.
 */
public final class KillChild {
    static final int DIMENSION = 64;

    private KillChild() {
    }

    static List<String> captions(int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add("child caption " + i);
        }
        return out;
    }

    static BankInfo write(Path target, int n) {
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(target).dimension(DIMENSION)
                .encoder(FakeTextEncoder.IDENTITY).build()) {
            for (String c : captions(n)) {
                w.add(c, FakeTextEncoder.embed(c, DIMENSION));
            }
            return w.commit();
        }
    }

    static MemoryBankBuild.Builder build(Path target, int n, FakeTextEncoder encoder) {
        return MemoryBankBuild.builder().encoder(encoder).encoderIdentity(FakeTextEncoder.IDENTITY)
                .captions(captions(n)).output(target).batchSize(16).chunkSize(64).resume(true);
    }

    public static void main(String[] args) {
        System.out.println("started");
        System.out.flush();
        Path target = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        if (args[0].equals("write")) {
            write(target, n);
        } else {
            build(target, n, new FakeTextEncoder(DIMENSION, k -> false, Long.parseLong(args[3]))).build().run();
        }
        System.out.println("done");
    }
}
