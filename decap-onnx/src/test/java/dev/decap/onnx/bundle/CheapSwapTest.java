package dev.decap.onnx.bundle;

import dev.decap.Caption;
import dev.decap.ClosedException;
import dev.decap.DeCap;
import dev.decap.decoding.DecodingOptions;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.onnx.Fixtures;
import dev.decap.onnx.internal.OrtSessions;
import dev.decap.projection.Projectors;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 7 item 3: one loaded bundle, 1,000 swaps of memory bank / projector / decoding options, each followed by a
 * caption. Sessions are opened once, native memory does not grow, and the captioner swapped from keeps working
 * until it is closed. Figures are written to {@code target/cheap-swap-figures.txt} (and docs/ownership.md records
 * a run); nothing here asserts a time.
 */
class CheapSwapTest {
    private static final int SWAPS = 1000;
    /**
     * Generous: a leak of one set of sessions (or of one decoder cache) per swap would be hundreds of MB. Measured
     * as VmRSS minus the committed Java heap, since the heap may legitimately grow with garbage.
     */
    private static final long MAX_NATIVE_GROWTH_KB = 64 * 1024;

    private static MemoryBank randomBank(int n, int d, long seed) {
        Random r = new Random(seed);
        InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(d);
        for (int i = 0; i < n; i++) {
            float[] v = new float[d];
            for (int j = 0; j < d; j++) {
                v[j] = (float) r.nextGaussian();
            }
            b.add("caption " + seed + "/" + i, v);
        }
        return b.build();
    }

    private static float[] randomEmbedding(Random r, int d) {
        float[] v = new float[d];
        for (int j = 0; j < d; j++) {
            v[j] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Resident set size of this process in kB, from /proc/self/status; -1 where there is no /proc. */
    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static long heapCommittedKb() {
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1024;
    }

    private static BufferedImage image(int seed) {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, r.nextInt(0xFFFFFF));
            }
        }
        return img;
    }

    /** 1,000 swaps, each followed by a caption and a close; adds the time spent deriving to {@code swapNanos[0]}. */
    private static Caption swapRound(DeCap base, List<MemoryBank> banks, DecodingOptions beam,
                                     DecodingOptions shortGreedy, dev.decap.projection.Projector nearest,
                                     dev.decap.projection.Projector pureJava, Random r, int d, long[] swapNanos) {
        Caption last = null;
        for (int i = 0; i < SWAPS; i++) {
            long t0 = System.nanoTime();
            DeCap swapped = switch (i % 3) {
                case 0 -> base.withMemoryBank(banks.get(i % 4));
                case 1 -> base.withDecodingOptions(i % 2 == 0 ? beam : shortGreedy);
                default -> base.withProjector(i % 2 == 0 ? nearest : pureJava);
            };
            swapNanos[0] += System.nanoTime() - t0;
            try (swapped) {
                last = i % 100 == 0 ? swapped.caption(image(i)) : swapped.captionEmbedding(randomEmbedding(r, d));
            }
        }
        return last;
    }

    @Test
    void a_thousand_swaps_over_one_loaded_bundle_open_no_session_and_grow_no_memory() throws IOException {
        Path tiny = Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
        long sessionsBefore = OrtSessions.openedCount();
        long loadStart = System.nanoTime();
        try (DecapModel model = OnnxDeCap.fromBundle(tiny).load()) {
            double loadMs = (System.nanoTime() - loadStart) / 1e6;
            long sessionsAfterLoad = OrtSessions.openedCount();
            int d = model.bundle().embeddingDimension();
            List<MemoryBank> banks = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                banks.add(randomBank(200 + 50 * i, d, i));
            }
            DecodingOptions shortGreedy = DecodingOptions.greedy(4);
            DecodingOptions beam = DecodingOptions.builder().beam(2).maxTokens(4).build();
            DeCap base = model.captioner().memoryBank(banks.get(0)).decodingOptions(shortGreedy).build();
            Random r = new Random(7);
            var nearest = Projectors.nearestNeighbour();
            var pureJava = Projectors.pureJavaProjectionDecoding(dev.decap.projection.ProjectionSettings.DEFAULT);

            // Warm-up: one full round of the same work (JIT, ONNX Runtime arenas, the projector's pool, and the Java
            // heap's pages, which RSS counts once they are touched), so that the measured round starts steady.
            Caption last = swapRound(base, banks, beam, shortGreedy, nearest, pureJava, r, d, new long[1]);
            System.gc();
            long rssWarm = rssKb();
            long nativeWarm = rssWarm - heapCommittedKb();

            long[] swapTotal = new long[1];
            last = swapRound(base, banks, beam, shortGreedy, nearest, pureJava, r, d, swapTotal);
            long swapNanos = swapTotal[0];
            System.gc();
            long rssAfter = rssKb();
            long nativeAfter = rssAfter - heapCommittedKb();
            long sessionsAfterSwaps = OrtSessions.openedCount();
            // The swap alone, without captioning in between (10,000 derive + close of a bank swap).
            long pureStart = System.nanoTime();
            for (int i = 0; i < 10 * SWAPS; i++) {
                base.withMemoryBank(banks.get(i % 4)).close();
            }
            double pureSwapUs = (System.nanoTime() - pureStart) / 1e3 / (10 * SWAPS);


            assertNotNull(last);
            assertEquals(sessionsAfterLoad, sessionsAfterSwaps, "swaps must not open ONNX Runtime sessions");
            assertTrue(sessionsAfterLoad - sessionsBefore >= 2, "the load opens the bundle's sessions");
            // The captioner swapped from still works after 1,000 swaps, and its derived captioners outlive it.
            assertNotNull(base.caption(image(1)));
            DeCap survivor = base.withMemoryBank(banks.get(3));
            base.close();
            assertThrows(ClosedException.class, () -> base.captionEmbedding(randomEmbedding(r, d)));
            assertNotNull(survivor.captionEmbedding(randomEmbedding(r, d)));
            survivor.close();
            assertFalse(model.isClosed(), "captioners borrow the model; they never close it");

            String figures = String.format(Locale.ROOT, "bundle %s, %d swaps (memory bank / decoding options /"
                            + " projector in turn), each followed by a caption%n"
                            + "load (bundle hash + tokenizer + sessions): %.1f ms, sessions opened by the load: %d%n"
                            + "sessions opened by %d swaps: %d%n"
                            + "mean time per swap (interleaved with captions): %.2f us%n"
                            + "mean time per bank swap alone (10,000 derive + close, 32-row bank check included):"
                            + " %.2f us%n"
                            + "VmRSS after warm-up: %d kB, after %d swaps+captions: %d kB (growth %d kB)%n"
                            + "VmRSS minus committed Java heap (native memory): %d kB -> %d kB (growth %d kB)%n",
                    tiny.getFileName(), SWAPS, loadMs, sessionsAfterLoad - sessionsBefore, SWAPS,
                    sessionsAfterSwaps - sessionsAfterLoad, swapNanos / 1e3 / SWAPS, pureSwapUs, rssWarm, SWAPS,
                    rssAfter, rssAfter - rssWarm, nativeWarm, nativeAfter, nativeAfter - nativeWarm);
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "cheap-swap-figures.txt"), figures);
            System.err.print(figures);
            if (rssWarm > 0 && rssAfter > 0) {
                assertTrue(nativeAfter - nativeWarm < MAX_NATIVE_GROWTH_KB, "native memory grew: " + figures);
            }
        }
    }

    @Test
    void a_captioner_built_from_the_bundle_owns_its_model_and_derived_captioners_keep_it_open() {
        Path tiny = Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
        MemoryBank bank = randomBank(50, 64, 11);
        Random r = new Random(3);
        DeCap owner = OnnxDeCap.fromBundle(tiny).memoryBank(bank).build();
        long sessions = OrtSessions.openedCount();
        DeCap derived = owner.withMemoryBank(randomBank(60, 64, 12)).withDecodingOptions(DecodingOptions.greedy(3));
        assertEquals(sessions, OrtSessions.openedCount());
        owner.close();
        // The loaded model is reference-counted between the owner and what was derived from it.
        assertNotNull(derived.captionEmbedding(randomEmbedding(r, 64)));
        derived.close();
        assertThrows(ClosedException.class, () -> derived.captionEmbedding(randomEmbedding(r, 64)));
        // The caller's bank is still usable: no captioner closes it.
        assertEquals(50, bank.size());
    }

    @Test
    void captioners_from_a_closed_model_refuse_work() {
        Path tiny = Fixtures.require(Fixtures.tiny().resolve(ModelBundle.MANIFEST)).getParent();
        DecapModel model = OnnxDeCap.fromBundle(tiny).load();
        DeCap decap = model.captioner().memoryBank(randomBank(20, 64, 1)).build();
        model.close();
        model.close();
        assertTrue(model.isClosed());
        assertThrows(ClosedException.class, () -> decap.captionEmbedding(randomEmbedding(new Random(1), 64)));
        assertThrows(ClosedException.class, model::captioner);
        decap.close();
    }
}
