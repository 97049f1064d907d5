package dev.decap.onnx.encoding;

import dev.decap.ClosedException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One encoder shared by 16 threads gives exactly the serial results, and closing under load never crashes. */
class ConcurrencyTest {
    private static final int THREADS = 16;

    @Test
    void sixteen_threads_sharing_one_encoder_get_exactly_the_serial_results() throws Exception {
        try (OnnxTextEncoder text = OnnxTextEncoder.builder().model(Fixtures.fixture("tiny/text_encoder.onnx"))
                .tokenizer(new WordTokenizer()).maxBatchSize(4).build();
             OnnxImageEncoder image = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx"))
                     .maxBatchSize(3).build()) {
            List<String> texts = new ArrayList<>();
            List<float[]> pixels = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                texts.add("caption number " + i + " of a dog and " + (i % 3) + " cats");
                pixels.add(OnnxImageEncoderTest.pattern(image.pixelCount(), i));
            }
            List<float[]> serialText = new ArrayList<>();
            List<float[]> serialImage = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                serialText.add(text.encode(texts.get(i)));
                serialImage.add(image.encodePixels(pixels.get(i)));
            }
            List<float[]> serialTextBatch = text.encodeAll(texts);
            List<float[]> serialImageBatch = image.encodePixelsAll(pixels.subList(0, 7));

            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    int id = t;
                    futures.add(pool.submit((Callable<Void>) () -> {
                        start.await();
                        for (int round = 0; round < 3; round++) {
                            int i = (id + round) % THREADS;
                            assertArrayEquals(serialText.get(i), text.encode(texts.get(i)), 0f);
                            assertArrayEquals(serialImage.get(i), image.encodePixels(pixels.get(i)), 0f);
                            if ((id + round) % 4 == 0) {
                                List<float[]> batch = text.encodeAll(texts);
                                for (int k = 0; k < THREADS; k++) {
                                    assertArrayEquals(serialTextBatch.get(k), batch.get(k), 0f);
                                }
                                List<float[]> images = image.encodePixelsAll(pixels.subList(0, 7));
                                for (int k = 0; k < 7; k++) {
                                    assertArrayEquals(serialImageBatch.get(k), images.get(k), 0f);
                                }
                            }
                        }
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : futures) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closing_while_threads_encode_ends_their_work_with_closed_exception() throws Exception {
        OnnxImageEncoder image = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx"))
                .build();
        float[] pixels = OnnxImageEncoderTest.pattern(image.pixelCount(), 1);
        float[] expected = image.encodePixels(pixels);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger done = new AtomicInteger();
        AtomicInteger closedSeen = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(4);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit((Callable<Void>) () -> {
                    running.countDown();
                    try {
                        while (true) {
                            assertArrayEquals(expected, image.encodePixels(pixels), 0f);
                            done.incrementAndGet();
                        }
                    } catch (ClosedException e) {
                        closedSeen.incrementAndGet();
                    }
                    return null;
                }));
            }
            running.await();
            while (done.get() < 8) {
                Thread.sleep(5);
            }
            image.close();
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4, closedSeen.get());
        assertTrue(done.get() >= 8);
    }
}
