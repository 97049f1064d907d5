package dev.decap;

import dev.decap.DeCapTest.ColourEncoder;
import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.PreparedImages;
import dev.decap.image.DecodedImage;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projection;
import dev.decap.projection.Projector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch pipeline of {@link DeCap#captionAll} and {@link DeCap#captionFiles}, checked with fakes: an encoder
 * that splits preparation from encoding and records every prepared batch (its thread, whether it was closed), a
 * projector that passes the unit embedding through, and a decoder that writes its prefix into the caption, so that
 * every image has its own caption and any reordering shows.
 */
class DeCapPipelineTest {
    private static final int D = 3;

    /** The colour encoder with its own prepared batches; fails encoding an image whose red channel is 13. */
    static final class StagedEncoder implements ImageEncoder {
        private final ColourEncoder colour = new ColourEncoder();
        final List<Batch> prepared = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger encodeCalls = new AtomicInteger();
        volatile CountDownLatch holdPrepare; // when set, preparing batches after the first waits for it

        final class Batch implements PreparedImages {
            final List<BufferedImage> images;
            final String thread = Thread.currentThread().getName();
            volatile boolean closed;

            Batch(List<BufferedImage> images) {
                this.images = List.copyOf(images);
            }

            @Override
            public int size() {
                return images.size();
            }

            @Override
            public void close() {
                closed = true;
            }
        }

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public float[] encode(BufferedImage image) {
            return colour.encode(image);
        }

        @Override
        public PreparedImages prepareAll(List<BufferedImage> images) {
            CountDownLatch hold = holdPrepare;
            if (hold != null && !prepared.isEmpty()) {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Batch b = new Batch(images);
            prepared.add(b);
            return b;
        }

        @Override
        public PreparedImages prepareAllDecoded(List<DecodedImage> images) {
            return prepareAll(images.stream().map(DecodedImage::toBufferedImage).toList());
        }

        @Override
        public List<float[]> encodePrepared(PreparedImages batch) {
            Batch b = (Batch) batch;
            assertTrue(!b.closed, "a batch is encoded before it is closed");
            encodeCalls.incrementAndGet();
            List<float[]> out = new ArrayList<>();
            for (BufferedImage image : b.images) {
                if (((image.getRGB(0, 0) >> 16) & 0xff) == 13) {
                    throw new InvalidInputException("image with red 13 cannot be encoded");
                }
                out.add(encode(image));
            }
            return out;
        }
    }

    /** Writes the prefix into the caption; records the size of every decodeAll call. */
    static final class PrefixDecoder implements CaptionDecoder {
        final List<Integer> batches = Collections.synchronizedList(new ArrayList<>());

        @Override
        public int prefixDimension() {
            return D;
        }

        @Override
        public DecodedCaption decode(float[] prefix, DecodingOptions options) {
            return new DecodedCaption(String.format(Locale.ROOT, "%.5f %.5f %.5f", prefix[0], prefix[1], prefix[2]),
                    new int[] {1}, new float[] {-0.1f}, -0.1);
        }

        @Override
        public List<DecodedCaption> decodeAll(List<float[]> prefixes, DecodingOptions options) {
            batches.add(prefixes.size());
            return CaptionDecoder.super.decodeAll(prefixes, options);
        }
    }

    /** Passes the unit embedding through; counts projectAll calls. */
    static final class PassThrough implements Projector {
        final AtomicInteger passes = new AtomicInteger();

        @Override
        public Projection project(float[] unit, MemoryBank memory) {
            return new Projection(unit, List.of());
        }

        @Override
        public List<Projection> projectAll(List<float[]> units, MemoryBank memory) {
            passes.incrementAndGet();
            return Projector.super.projectAll(units, memory);
        }

        @Override
        public boolean usesMemory() {
            return false;
        }
    }

    private final StagedEncoder encoder = new StagedEncoder();
    private final PrefixDecoder decoder = new PrefixDecoder();
    private final PassThrough projector = new PassThrough();

    private DeCap captioner(int batchSize) {
        return DeCap.builder().imageEncoder(encoder).projector(projector).decoder(decoder).batchSize(batchSize)
                .build();
    }

    /** Image i: a distinct colour (red 20 + i, so never 13 unless asked). */
    private static BufferedImage image(int i) {
        return solid(20 + i, 40 + 3 * i, 200 - 5 * i);
    }

    private static BufferedImage solid(int r, int g, int b) {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    private static List<BufferedImage> images(int n) {
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(image(i));
        }
        return out;
    }

    private static List<String> texts(List<Caption> captions) {
        return captions.stream().map(Caption::text).toList();
    }

    @Test
    void batches_give_the_captions_of_one_image_at_a_time_in_order() {
        List<BufferedImage> images = images(10);
        try (DeCap decap = captioner(3)) {
            List<String> serial = new ArrayList<>();
            for (BufferedImage image : images) {
                serial.add(decap.caption(image).text());
            }
            assertEquals(10, Set.copyOf(serial).size(), "every image has its own caption");
            encoder.prepared.clear();
            decoder.batches.clear();
            projector.passes.set(0);
            assertEquals(serial, texts(decap.captionAll(images)));
            // batches of 3: one encoder call, one projection pass and one decodeAll per batch
            assertEquals(List.of(3, 3, 3, 1), encoder.prepared.stream().map(PreparedImages::size).toList());
            assertEquals(4, projector.passes.get());
            assertEquals(List.of(3, 3, 3, 1), decoder.batches);
            assertTrue(encoder.prepared.stream().allMatch(b -> b.closed), "every prepared batch is closed");
        }
    }

    @Test
    void the_next_batch_is_prepared_on_a_producer_thread() {
        try (DeCap decap = captioner(2)) {
            decap.captionAll(images(6));
            String caller = Thread.currentThread().getName();
            assertEquals(caller, encoder.prepared.get(0).thread, "the first batch: nothing to overlap with");
            for (int k = 1; k < 3; k++) {
                assertTrue(encoder.prepared.get(k).thread.startsWith("decap-pipeline-"),
                        encoder.prepared.get(k).thread);
            }
        }
    }

    @Test
    void files_are_read_ahead_and_captioned_like_one_at_a_time(@TempDir Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Path f = dir.resolve("img" + i + ".png");
            ImageIO.write(image(i), "png", f.toFile());
            files.add(f);
        }
        try (DeCap decap = captioner(3)) {
            List<String> serial = new ArrayList<>();
            for (Path f : files) {
                serial.add(decap.caption(f).text());
            }
            assertEquals(serial, texts(decap.captionFiles(files)));
            assertEquals(serial, texts(decap.withBatchSize(1).captionFiles(files)));
            assertEquals(serial, texts(decap.withBatchSize(64).captionFiles(files)));
        }
    }

    @Test
    void the_first_unreadable_file_stops_the_call_naming_it_and_closes_the_batches(@TempDir Path dir)
            throws IOException {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Path f = dir.resolve("img" + i + ".png");
            ImageIO.write(image(i), "png", f.toFile());
            files.add(f);
        }
        Files.writeString(files.get(5), "not an image");
        Files.writeString(files.get(7), "not an image either");
        try (DeCap decap = captioner(2)) {
            ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> decap.captionFiles(files));
            assertTrue(e.getMessage().contains("img5.png"), e.getMessage());
            // batches [0,1], [2,3] were prepared and closed; [4,5] failed while reading img5
            assertEquals(2, encoder.prepared.size());
            assertTrue(encoder.prepared.stream().allMatch(b -> b.closed));
        }
    }

    @Test
    void an_encoding_failure_abandons_and_closes_the_batch_prepared_ahead() {
        List<BufferedImage> images = images(9);
        images.set(4, solid(13, 1, 1));
        try (DeCap decap = captioner(3)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> decap.captionAll(images));
            assertEquals("image with red 13 cannot be encoded", e.getMessage());
            // batch [3,4,5] failed in the encoder while [6,7,8] was being prepared: both closed when the call ends
            assertEquals(3, encoder.prepared.size());
            assertTrue(encoder.prepared.stream().allMatch(b -> b.closed), "no prepared batch is left open");
            assertEquals(List.of(3), decoder.batches, "nothing after the failing batch was decoded");
        }
    }

    @Test
    void a_null_image_is_refused_before_any_work_naming_its_index() {
        List<BufferedImage> images = images(5);
        images.set(3, null);
        try (DeCap decap = captioner(2)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> decap.captionAll(images));
            assertEquals("image 3 of the batch is null", e.getMessage());
            assertEquals(0, encoder.prepared.size());
            List<Path> files = new ArrayList<>(List.of(Path.of("a.png"), Path.of("b.png")));
            files.add(null);
            assertTrue(assertThrows(InvalidInputException.class, () -> decap.captionFiles(files)).getMessage()
                    .startsWith("image file 2 of the list is null"));
        }
    }

    @Test
    void closing_the_captioner_during_a_call_stops_it_at_the_next_batch() throws Exception {
        DeCap decap = captioner(2);
        encoder.holdPrepare = new CountDownLatch(1);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<List<Caption>> call = caller.submit(() -> decap.captionAll(images(6)));
            while (encoder.encodeCalls.get() == 0) {
                Thread.onSpinWait(); // the first batch is encoded; the second waits in prepareAll
            }
            decap.close();
            encoder.holdPrepare.countDown();
            Exception e = assertThrows(java.util.concurrent.ExecutionException.class, call::get);
            assertTrue(e.getCause() instanceof ClosedException, String.valueOf(e.getCause()));
            assertTrue(encoder.prepared.stream().allMatch(b -> b.closed));
            assertThrows(ClosedException.class, () -> decap.captionAll(images(2)));
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void the_stage_listener_hears_every_stage_of_every_batch() {
        Map<StageListener.Stage, AtomicInteger> items = new EnumMap<>(StageListener.Stage.class);
        for (StageListener.Stage s : StageListener.Stage.values()) {
            items.put(s, new AtomicInteger());
        }
        StageListener listener = (stage, n, nanos) -> {
            assertTrue(nanos >= 0);
            items.get(stage).addAndGet(n);
        };
        try (DeCap decap = captioner(4).withStageListener(listener)) {
            decap.captionAll(images(10));
            assertEquals(0, items.get(StageListener.Stage.DECODE_IMAGE).get(), "decoded images need no decoding");
            for (StageListener.Stage s : List.of(StageListener.Stage.PREPROCESS, StageListener.Stage.ENCODE,
                    StageListener.Stage.PROJECT, StageListener.Stage.DECODE_TOKENS)) {
                assertEquals(10, items.get(s).get(), s.name());
            }
            decap.caption(png(image(1)));
            assertEquals(1, items.get(StageListener.Stage.DECODE_IMAGE).get());
            assertEquals(11, items.get(StageListener.Stage.DECODE_TOKENS).get());
        }
    }

    @Test
    void a_failing_listener_does_not_fail_the_captions() {
        StageListener bad = (stage, n, nanos) -> {
            throw new IllegalStateException("listener bug");
        };
        try (DeCap decap = captioner(2).withStageListener(bad)) {
            assertEquals(3, decap.captionAll(images(3)).size());
        }
    }

    @Test
    void concurrent_callers_share_a_bounded_pool_of_producer_threads() throws Exception {
        Set<String> producers = ConcurrentHashMap.newKeySet();
        try (DeCap decap = captioner(1)) {
            List<String> expected = texts(decap.captionAll(images(5)));
            ExecutorService callers = Executors.newFixedThreadPool(8);
            try {
                List<Future<List<String>>> calls = new ArrayList<>();
                for (int c = 0; c < 8; c++) {
                    calls.add(callers.submit(() -> texts(decap.captionAll(images(5)))));
                }
                for (Future<List<String>> f : calls) {
                    assertEquals(expected, f.get());
                }
            } finally {
                callers.shutdownNow();
            }
            for (StagedEncoder.Batch b : encoder.prepared) {
                if (b.thread.startsWith("decap-pipeline-")) {
                    producers.add(b.thread);
                }
            }
        }
        assertTrue(producers.size() <= Runtime.getRuntime().availableProcessors(), producers.toString());
    }

    @Test
    void batch_size_is_validated_where_it_is_set() {
        assertThrows(InvalidInputException.class, () -> captioner(0));
        try (DeCap decap = captioner(5)) {
            assertEquals(5, decap.batchSize());
            assertThrows(InvalidInputException.class, () -> decap.withBatchSize(DeCap.MAX_BATCH_SIZE + 1));
            try (DeCap d = decap.withBatchSize(7)) {
                assertEquals(7, d.batchSize());
                assertNotEquals(decap.batchSize(), d.batchSize());
            }
        }
        try (DeCap decap = DeCap.builder().imageEncoder(encoder).projector(projector).decoder(decoder).build()) {
            assertEquals(DeCap.DEFAULT_BATCH_SIZE, decap.batchSize());
        }
    }

    private static byte[] png(BufferedImage image) {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
