package dev.decap.onnx.decoding;

import dev.decap.ClosedException;
import dev.decap.InvalidInputException;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.onnx.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxCaptionDecoderTest {

    private static Path decoderFile() {
        return Fixtures.require(Fixtures.tiny().resolve("decoder.onnx"));
    }

    private static List<float[]> prefixes(int n, int dim, long seed) {
        return new ArrayList<>(Arrays.asList(OnnxLanguageModelTest.prefixes(n, dim, seed)));
    }

    @Test
    void sixteen_threads_decoding_at_once_get_exactly_the_serial_results() throws Exception {
        try (OnnxCaptionDecoder decoder = OnnxCaptionDecoder.builder().model(decoderFile()).build()) {
            List<float[]> prefixes = prefixes(16, decoder.prefixDimension(), 11);
            DecodingOptions greedy = DecodingOptions.greedy(12);
            DecodingOptions beam = DecodingOptions.builder().beam(3).maxTokens(12).build();
            List<DecodedCaption> serialGreedy = new ArrayList<>();
            List<DecodedCaption> serialBeam = new ArrayList<>();
            for (float[] p : prefixes) {
                serialGreedy.add(decoder.decodeAll(List.of(p), greedy).get(0));
                serialBeam.add(decoder.decodeAll(List.of(p), beam).get(0));
            }
            // batched decoding gives the same results as one prefix at a time
            assertEquals(serialGreedy, decoder.decodeAll(prefixes, greedy));
            assertEquals(serialBeam, decoder.decodeAll(prefixes, beam));
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<DecodedCaption>>> futures = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    final int i = t;
                    futures.add(pool.submit(() -> {
                        start.await();
                        return List.of(decoder.decodeAll(List.of(prefixes.get(i)), greedy).get(0),
                                decoder.decodeAll(List.of(prefixes.get(i)), beam).get(0));
                    }));
                }
                start.countDown();
                for (int t = 0; t < 16; t++) {
                    List<DecodedCaption> r = futures.get(t).get(5, TimeUnit.MINUTES);
                    assertEquals(serialGreedy.get(t), r.get(0), "thread " + t + " greedy");
                    assertEquals(serialBeam.get(t), r.get(1), "thread " + t + " beam");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closing_the_decoder_while_threads_decode_fails_them_cleanly() throws Exception {
        OnnxCaptionDecoder decoder = OnnxCaptionDecoder.builder().model(decoderFile()).build();
        List<float[]> prefixes = prefixes(4, decoder.prefixDimension(), 12);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    for (int k = 0; k < 200; k++) {
                        decoder.decodeAll(prefixes, DecodingOptions.beam(2));
                    }
                    return null;
                }));
            }
            Thread.sleep(200);
            decoder.close();
            for (Future<?> f : futures) {
                try {
                    f.get(5, TimeUnit.MINUTES);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertInstanceOf(ClosedException.class, e.getCause(), String.valueOf(e.getCause()));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        ClosedException e = assertThrows(ClosedException.class, () -> decoder.decode(prefixes.get(0)));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void nan_zero_and_wrongly_sized_prefixes_are_refused_by_name() {
        try (OnnxCaptionDecoder decoder = OnnxCaptionDecoder.builder().model(decoderFile()).build()) {
            int d = decoder.prefixDimension();
            float[] nan = new float[d];
            nan[3] = Float.NaN;
            InvalidInputException e1 = assertThrows(InvalidInputException.class, () -> decoder.decode(nan));
            assertTrue(e1.getMessage().contains("NaN") && e1.getMessage().contains("index 3"), e1.getMessage());
            InvalidInputException e2 = assertThrows(InvalidInputException.class, () -> decoder.decode(new float[d]));
            assertTrue(e2.getMessage().contains("zeros"), e2.getMessage());
            InvalidInputException e3 = assertThrows(InvalidInputException.class,
                    () -> decoder.decode(new float[d + 1]));
            assertTrue(e3.getMessage().contains("expected " + d + ", found " + (d + 1)), e3.getMessage());
        }
    }
}
