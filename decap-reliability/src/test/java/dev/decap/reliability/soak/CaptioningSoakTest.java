package dev.decap.reliability.soak;

import dev.decap.ClosedException;
import dev.decap.DeCap;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.VectorType;
import dev.decap.miniature.Miniature;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak test (on demand, never in CI): several threads caption images with the miniature model for
 * {@code soak.minutes} (default 10) while another thread keeps swapping the memory bank
 * ({@link DeCap#withMemoryBank}: in-memory subsets and memory-mapped bank files, fp32 and fp16), closing the
 * derived captioners, closing and re-opening the bank files, and every minute closing the whole model and loading
 * it again. Every 10 s it samples the process's resident set (VmRSS from /proc/self/status) and the Java heap,
 * writes them to {@code target/soak/rss.csv} and prints a table and the slope of RSS over the second half. It
 * fails if anything but a library exception escapes a call, or if RSS grows by more than {@code soak.maxGrowthMb}
 * (default 64) over the second half.
 *
 * <pre>
 * ./mvnw -B -pl decap-reliability -am -Psoak test -Dsoak.minutes=10 -Dsoak.threads=2 \
 *     -Dtest=CaptioningSoakTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("soak")
class CaptioningSoakTest {
    private static final EncoderIdentity IDENTITY = new EncoderIdentity("decap-miniature", "00".repeat(32));

    @Test
    void concurrent_captioning_with_bank_swaps_and_closes_keeps_native_memory_flat() throws Exception {
        double minutes = Double.parseDouble(System.getProperty("soak.minutes", "10"));
        int threads = Integer.getInteger("soak.threads", 2);
        long sampleMillis = Long.getLong("soak.sampleMillis", 10_000);
        double maxGrowthMb = Double.parseDouble(System.getProperty("soak.maxGrowthMb", "64"));
        Path out = Files.createDirectories(Path.of("target/soak"));

        List<byte[]> images = images(24);
        AtomicReference<DeCap> model = new AtomicReference<>(Miniature.captioner());
        MemoryBank shipped = model.get().memoryBank();
        List<MemoryBank> heapBanks = List.of(shipped, subset(shipped, 0, 2), subset(shipped, 1, 3));
        Path fp32 = writeBank(out.resolve("soak-fp32.dmb"), shipped, VectorType.FP32);
        Path fp16 = writeBank(out.resolve("soak-fp16.dmb"), shipped, VectorType.FP16);

        AtomicReference<DeCap> current = new AtomicReference<>(model.get());
        AtomicLong captions = new AtomicLong();
        AtomicLong closedRefusals = new AtomicLong();
        AtomicLong swaps = new AtomicLong();
        AtomicLong fileReopens = new AtomicLong();
        AtomicLong modelReloads = new AtomicLong();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        long end = System.nanoTime() + (long) (minutes * 60e9);

        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread w = new Thread(() -> {
                int i = id;
                while (System.nanoTime() < end && failures.isEmpty()) {
                    DeCap d = current.get();
                    try {
                        if (d.caption(images.get(i++ % images.size())).text() == null) {
                            failures.add(new AssertionError("a caption without text"));
                        }
                        captions.incrementAndGet();
                    } catch (ClosedException e) {
                        closedRefusals.incrementAndGet();   // raced with a close: the promised refusal
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "soak-worker-" + t);
            workers.add(w);
        }
        Thread swapper = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(1);
            MemoryBankFile[] files = {MemoryBankFile.open(fp32), MemoryBankFile.open(fp16)};
            long nextReopen = System.nanoTime() + 5_000_000_000L;
            long nextReload = System.nanoTime() + 60_000_000_000L;
            try {
                while (System.nanoTime() < end && failures.isEmpty()) {
                    DeCap base = model.get();
                    MemoryBank bank = r.nextInt(5) < 3 ? heapBanks.get(r.nextInt(heapBanks.size()))
                            : files[r.nextInt(files.length)];
                    DeCap old = current.getAndSet(base.withMemoryBank(bank));
                    swaps.incrementAndGet();
                    Thread.sleep(100);
                    if (old != base) {
                        old.close();   // derived: closing it leaves the model to the others
                    }
                    if (System.nanoTime() > nextReopen) {
                        // new mappings of the bank files; the old ones are closed once no captioner uses them
                        MemoryBankFile[] reopened = {MemoryBankFile.open(fp32), MemoryBankFile.open(fp16)};
                        DeCap onHeap = current.getAndSet(base.withMemoryBank(heapBanks.get(0)));
                        Thread.sleep(100);
                        if (onHeap != base) {
                            onHeap.close();
                        }
                        for (MemoryBankFile f : files) {
                            f.close();
                        }
                        files = reopened;
                        fileReopens.incrementAndGet();
                        nextReopen = System.nanoTime() + 5_000_000_000L;
                    }
                    if (System.nanoTime() > nextReload) {
                        // close the whole model (ONNX sessions) and load it again
                        DeCap fresh = Miniature.builder().memoryBank(heapBanks.get(0)).build();
                        DeCap derived = current.getAndSet(fresh);
                        DeCap oldModel = model.getAndSet(fresh);
                        Thread.sleep(100);
                        derived.close();
                        oldModel.close();
                        modelReloads.incrementAndGet();
                        nextReload = System.nanoTime() + 60_000_000_000L;
                    }
                }
            } catch (Throwable e) {
                failures.add(e);
            } finally {
                for (MemoryBankFile f : files) {
                    f.close();
                }
            }
        }, "soak-swapper");

        List<double[]> samples = new ArrayList<>();
        long started = System.nanoTime();
        samples.add(sample(started, captions.get()));
        workers.forEach(Thread::start);
        swapper.start();
        while (System.nanoTime() < end && failures.isEmpty()) {
            Thread.sleep(Math.min(sampleMillis, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            samples.add(sample(started, captions.get()));
        }
        for (Thread w : workers) {
            w.join();
        }
        swapper.join();
        current.get().close();
        model.get().close();

        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(out.resolve("rss.csv")))) {
            csv.println("seconds,rss_mb,heap_used_mb,captions");
            for (double[] s : samples) {
                csv.printf(Locale.ROOT, "%.1f,%.1f,%.1f,%.0f%n", s[0], s[1], s[2], s[3]);
            }
        }
        double[] slope = slope(samples.subList(samples.size() / 2, samples.size()));
        double growth = samples.get(samples.size() - 1)[1] - samples.get(samples.size() / 2)[1];
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                "soak: %.1f min, %d threads, %d captions (%.1f/s), %d bank swaps, %d bank file re-opens, "
                        + "%d model reloads, %d calls refused as closed%n",
                (System.nanoTime() - started) / 60e9, threads, captions.get(),
                captions.get() / ((System.nanoTime() - started) / 1e9), swaps.get(), fileReopens.get(),
                modelReloads.get(), closedRefusals.get()));
        report.append("seconds  rss_mb  heap_used_mb  captions\n");
        for (double[] s : samples) {
            report.append(String.format(Locale.ROOT, "%7.0f  %6.1f  %12.1f  %8.0f%n", s[0], s[1], s[2], s[3]));
        }
        report.append(String.format(Locale.ROOT, "RSS second half: %+.1f MB, slope %+.2f MB/min (%s)%n", growth,
                slope[0] * 60, out.resolve("rss.csv")));
        System.err.print(report);
        Files.writeString(out.resolve("summary.txt"), report);

        if (!failures.isEmpty()) {
            Throwable first = failures.peek();
            throw new AssertionError(failures.size() + " calls failed; the first: " + first, first);
        }
        assertTrue(captions.get() > 0, "no caption was made");
        assertTrue(growth <= maxGrowthMb, "RSS grew by " + growth + " MB over the second half (limit "
                + maxGrowthMb + " MB; -Dsoak.maxGrowthMb)");
    }

    /** {seconds, RSS MB, heap used MB, captions}. */
    private static double[] sample(long started, long captions) {
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new double[] {(System.nanoTime() - started) / 1e9, rssMb(), heap.getUsed() / 1048576.0, captions};
    }

    private static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the soak test reads /proc/self/status (Linux)", e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Least-squares slope (MB per second) and intercept of RSS over time. */
    private static double[] slope(List<double[]> s) {
        double n = s.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (double[] p : s) {
            sx += p[0];
            sy += p[1];
            sxx += p[0] * p[0];
            sxy += p[0] * p[1];
        }
        double d = n * sxx - sx * sx;
        double k = d == 0 ? 0 : (n * sxy - sx * sy) / d;
        return new double[] {k, (sy - k * sx) / n};
    }

    private static InMemoryMemoryBank subset(MemoryBank bank, int offset, int step) {
        InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(bank.dimension());
        for (int i = offset; i < bank.size(); i += step) {
            b.add(bank.caption(i), bank.embedding(i));
        }
        return b.build();
    }

    private static Path writeBank(Path file, MemoryBank bank, VectorType type) {
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(bank.dimension())
                .encoder(IDENTITY).vectorType(type).dedupe(false).build()) {
            for (int i = 0; i < bank.size(); i++) {
                w.add(bank.caption(i), bank.embedding(i));
            }
            w.commit();
        }
        return file;
    }

    /** Small PNGs of coloured shapes on plain backgrounds, the miniature model's world. */
    private static List<byte[]> images(int n) throws IOException {
        SplittableRandom r = new SplittableRandom(7);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            g.fillRect(0, 0, 64, 64);
            g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
            int s = 10 + r.nextInt(30);
            if (r.nextBoolean()) {
                g.fillOval(r.nextInt(64 - s), r.nextInt(64 - s), s, s);
            } else {
                g.fillRect(r.nextInt(64 - s), r.nextInt(64 - s), s, s);
            }
            g.dispose();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(img, "png", bytes);
            out.add(bytes.toByteArray());
        }
        return out;
    }
}
