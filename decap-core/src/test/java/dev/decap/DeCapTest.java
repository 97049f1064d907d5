package dev.decap;

import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.TextEncoder;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.Projector;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The captioner's wiring, checked with fakes: an encoder that embeds an image by its colour, a memory of three
 * colour captions, a projector that snaps to the nearest entry and a decoder that names the axis its prefix points to.
 */
class DeCapTest {
    private static final int D = 3;

    /** Embeds an image as the mean RGB of its pixels (not normalised, like CLIP). */
    static final class ColourEncoder implements ImageEncoder {
        final AtomicInteger closes = new AtomicInteger();
        final AtomicInteger batchCalls = new AtomicInteger();

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public float[] encode(BufferedImage image) {
            float[] v = new float[D];
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y);
                    v[0] += (rgb >> 16) & 0xff;
                    v[1] += (rgb >> 8) & 0xff;
                    v[2] += rgb & 0xff;
                }
            }
            return v;
        }

        @Override
        public List<float[]> encodeAll(List<BufferedImage> images) {
            batchCalls.incrementAndGet();
            return ImageEncoder.super.encodeAll(images);
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    /** A minimal custom bank: three axis-aligned captions. */
    static final class AxisBank implements MemoryBank {
        private final String[] captions = {"something red", "something green", "something blue"};

        @Override
        public int size() {
            return 3;
        }

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public String caption(int index) {
            return captions[index];
        }

        @Override
        public float[] embedding(int index) {
            float[] v = new float[D];
            v[index] = 1;
            return v;
        }
    }

    /** Snaps to the nearest memory entry, reporting it as the only contribution. */
    static class SnapProjector implements Projector {
        @Override
        public Projection project(float[] unit, MemoryBank memory) {
            MemoryHit hit = memory.search(unit, 1).get(0);
            return new Projection(memory.embedding(hit.index()),
                    List.of(new Contribution(hit.index(), hit.caption(), hit.similarity(), 1f)));
        }
    }

    /** Names the axis the prefix points to; records the prefixes it saw. */
    static final class AxisDecoder implements CaptionDecoder {
        final List<float[]> seen = new ArrayList<>();
        final AtomicInteger closes = new AtomicInteger();
        private final int dimension;

        AxisDecoder(int dimension) {
            this.dimension = dimension;
        }

        @Override
        public int prefixDimension() {
            return dimension;
        }

        @Override
        public synchronized DecodedCaption decode(float[] prefix, DecodingOptions options) {
            seen.add(prefix.clone());
            int best = 0;
            for (int i = 1; i < prefix.length; i++) {
                if (prefix[i] > prefix[best]) {
                    best = i;
                }
            }
            String word = new String[] {"red", "green", "blue"}[best];
            return new DecodedCaption("a " + word + " thing", new int[] {best, 7}, new float[] {-0.5f, -0.25f}, -0.75);
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    private static BufferedImage solid(int rgb) {
        BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    private static DeCap.Builder complete() {
        return DeCap.builder()
                .imageEncoder(new ColourEncoder())
                .memoryBank(new AxisBank())
                .projector(new SnapProjector())
                .decoder(new AxisDecoder(D));
    }

    @Test
    void captions_an_image_through_encoder_projector_and_decoder() {
        try (DeCap decap = complete().build()) {
            Caption c = decap.caption(solid(0x10e020));
            assertEquals("a green thing", c.text());
            assertEquals(Caption.Method.DECODED, c.method());
            assertArrayEquals(new int[] {1, 7}, c.tokenIds());
            assertEquals(-0.75, c.score());
            assertEquals(1, c.contributions().size());
            assertEquals("something green", c.contributions().get(0).caption());
        }
    }

    @Test
    void prefix_handed_to_the_decoder_is_a_unit_vector() {
        AxisDecoder decoder = new AxisDecoder(D);
        Projector raw = (unit, memory) -> new Projection(unit, List.of());
        try (DeCap decap = complete().decoder(decoder).projector(raw).build()) {
            decap.caption(solid(0x808000));
            assertEquals(1.0, Vectors.norm(decoder.seen.get(0)), 1e-6);
        }
    }

    @Test
    void reads_images_from_files_bytes_and_streams(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(solid(0x0000ff), "png", png);
        Path file = dir.resolve("blue.png");
        Files.write(file, png.toByteArray());
        try (DeCap decap = complete().build()) {
            assertEquals("a blue thing", decap.caption(file).text());
            assertEquals("a blue thing", decap.caption(png.toByteArray()).text());
            assertEquals("a blue thing", decap.caption(Files.newInputStream(file)).text());
        }
    }

    @Test
    void batch_captions_come_back_in_input_order_from_one_encoder_call() {
        ColourEncoder encoder = new ColourEncoder();
        try (DeCap decap = complete().imageEncoder(encoder).build()) {
            List<Caption> captions = decap.captionAll(List.of(solid(0xff0000), solid(0x0000ff), solid(0x00ff00)));
            assertEquals(List.of("a red thing", "a blue thing", "a green thing"),
                    captions.stream().map(Caption::text).toList());
            assertEquals(1, encoder.batchCalls.get());
        }
    }

    @Test
    void video_caption_decodes_the_renormalised_mean_of_its_frames() {
        AxisDecoder decoder = new AxisDecoder(D);
        Projector raw = (unit, memory) -> new Projection(unit, List.of());
        try (DeCap decap = complete().decoder(decoder).projector(raw).build()) {
            // A bright red frame and a dim blue one weigh the same once each is normalised.
            decap.captionVideo(List.of(solid(0xff0000), solid(0x000010)));
            float[] prefix = decoder.seen.get(0);
            assertEquals(prefix[0], prefix[2], 1e-6);
            assertEquals(1.0, Vectors.norm(prefix), 1e-6);
        }
    }

    @Test
    void retrieval_returns_the_closest_memory_caption_without_a_decoder() {
        try (DeCap decap = DeCap.builder().imageEncoder(new ColourEncoder()).memoryBank(new AxisBank())
                .retrievalOnly().build()) {
            Caption c = decap.retrieve(solid(0x2020f0));
            assertEquals("something blue", c.text());
            assertEquals(Caption.Method.RETRIEVED, c.method());
            assertEquals(0, c.tokenIds().length);
            assertThrows(ConfigurationException.class, () -> decap.caption(solid(0x2020f0)));
        }
    }

    @Test
    void nearest_captions_are_ordered_by_similarity() {
        try (DeCap decap = complete().build()) {
            List<MemoryHit> hits = decap.nearestCaptions(new float[] {0.1f, 0.9f, 0.5f}, 3);
            assertEquals(List.of(1, 2, 0), hits.stream().map(MemoryHit::index).toList());
        }
    }

    @Test
    void build_fails_fast_on_missing_parts_naming_them() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> DeCap.builder().imageEncoder(new ColourEncoder()).build());
        assertTrue(e.getMessage().contains("decoder"), e.getMessage());
        assertTrue(e.getMessage().contains("memoryBank"), e.getMessage());
    }

    @Test
    void build_fails_on_dimension_mismatch_naming_both_components() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> complete().decoder(new AxisDecoder(768)).build());
        assertTrue(e.getMessage().contains("expected 3"), e.getMessage());
        assertTrue(e.getMessage().contains("found 768"), e.getMessage());
        assertTrue(e.getMessage().contains("decoder prefix"), e.getMessage());
        assertTrue(e.getMessage().contains("image encoder"), e.getMessage());
    }

    @Test
    void projection_decoding_is_the_default_projector() {
        AxisDecoder decoder = new AxisDecoder(D);
        try (DeCap decap = DeCap.builder().imageEncoder(new ColourEncoder()).memoryBank(new AxisBank())
                .decoder(decoder).build()) {
            Caption c = decap.caption(solid(0x00ff00));
            assertEquals("a green thing", c.text());
            // tau = 0.01 over axis-aligned entries: the green entry dominates, the others still contribute.
            assertEquals(3, c.contributions().size());
            assertEquals("something green", c.contributions().get(0).caption());
            double sum = c.contributions().stream().mapToDouble(Contribution::weight).sum();
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void visual_decoding_needs_no_memory_bank() {
        Projector visual = new Projector() {
            @Override
            public Projection project(float[] unit, MemoryBank memory) {
                return new Projection(unit, List.of());
            }

            @Override
            public boolean usesMemory() {
                return false;
            }
        };
        try (DeCap decap = DeCap.builder().imageEncoder(new ColourEncoder()).projector(visual)
                .decoder(new AxisDecoder(D)).build()) {
            assertEquals("a red thing", decap.caption(solid(0xff0101)).text());
            assertTrue(decap.caption(solid(0xff0101)).contributions().isEmpty());
        }
    }

    @Test
    void embeddings_of_the_wrong_dimension_nan_or_zero_are_refused() {
        try (DeCap decap = complete().build()) {
            InvalidInputException wrong = assertThrows(InvalidInputException.class,
                    () -> decap.captionEmbedding(new float[5]));
            assertTrue(wrong.getMessage().contains("expected 3, found 5"), wrong.getMessage());
            assertThrows(InvalidInputException.class, () -> decap.captionEmbedding(new float[] {0, 0, 0}));
            assertThrows(InvalidInputException.class, () -> decap.captionEmbedding(new float[] {1, Float.NaN, 0}));
            assertThrows(InvalidInputException.class, () -> decap.captionAll(List.of()));
            assertThrows(InvalidInputException.class, () -> decap.caption((BufferedImage) null));
        }
    }

    @Test
    void close_is_idempotent_closes_components_once_and_refuses_later_calls() {
        ColourEncoder encoder = new ColourEncoder();
        AxisDecoder decoder = new AxisDecoder(D);
        DeCap decap = complete().imageEncoder(encoder).decoder(decoder).build();
        decap.close();
        decap.close();
        assertTrue(decap.isClosed());
        assertEquals(1, encoder.closes.get());
        assertEquals(1, decoder.closes.get());
        assertThrows(ClosedException.class, () -> decap.caption(solid(0)));
        assertThrows(ClosedException.class, () -> decap.captionEmbedding(new float[] {1, 0, 0}));
    }

    /** A snapping projector that counts its closes. */
    static final class ClosingProjector extends SnapProjector implements AutoCloseable {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    /** The axis bank that counts its closes. */
    static final class ClosingBank implements MemoryBank, AutoCloseable {
        final AxisBank inner = new AxisBank();
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public String caption(int index) {
            return inner.caption(index);
        }

        @Override
        public float[] embedding(int index) {
            return inner.embedding(index);
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    /** A bank whose rows are scaled or poisoned: what a user gets from raw encoder outputs or a broken file. */
    static class BadBank implements MemoryBank {
        private final float value;
        private final int badRow;

        BadBank(float value, int badRow) {
            this.value = value;
            this.badRow = badRow;
        }

        @Override
        public int size() {
            return 100;
        }

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public String caption(int index) {
            return "entry " + index;
        }

        @Override
        public float[] embedding(int index) {
            float[] v = new float[D];
            v[index % D] = index == badRow ? value : 1f;
            return v;
        }
    }

    @Test
    void a_projector_or_bank_supplied_by_the_caller_is_never_closed_by_the_captioner() {
        ClosingProjector projector = new ClosingProjector();
        ClosingBank bank = new ClosingBank();
        DeCap decap = complete().projector(projector).memoryBank(bank).build();
        decap.close();
        decap.close();
        assertEquals(0, projector.closes.get());
        assertEquals(0, bank.closes.get());
    }

    @Test
    void resources_handed_over_are_closed_once_with_the_captioner() {
        ClosingProjector handedOver = new ClosingProjector();
        DeCap decap = complete().owning(handedOver).build();
        decap.close();
        decap.close();
        assertEquals(1, handedOver.closes.get());
    }

    @Test
    void components_are_not_closed_when_the_captioner_does_not_own_them() {
        ColourEncoder encoder = new ColourEncoder();
        AxisDecoder decoder = new AxisDecoder(D);
        complete().imageEncoder(encoder).decoder(decoder).ownsComponents(false).build().close();
        assertEquals(0, encoder.closes.get());
        assertEquals(0, decoder.closes.get());
    }

    @Test
    void derived_captioners_share_the_components_and_the_last_close_releases_them() {
        ColourEncoder encoder = new ColourEncoder();
        AxisDecoder decoder = new AxisDecoder(D);
        DeCap original = complete().imageEncoder(encoder).decoder(decoder).build();
        ClosingBank otherBank = new ClosingBank();
        DeCap swapped = original.withMemoryBank(otherBank);
        DeCap greedy5 = swapped.withDecodingOptions(DecodingOptions.greedy(5));
        DeCap nearest = original.withProjector(new SnapProjector());
        assertEquals(DecodingOptions.greedy(5), greedy5.decodingOptions());
        assertEquals(otherBank, swapped.memoryBank());
        assertEquals("a red thing", swapped.caption(solid(0xff0000)).text());

        original.close();
        assertThrows(ClosedException.class, () -> original.caption(solid(0xff0000)));
        assertThrows(ClosedException.class, () -> original.withMemoryBank(new AxisBank()));
        // Derived captioners keep working after the original is closed: the components are reference-counted.
        assertEquals("a green thing", swapped.caption(solid(0x00ff00)).text());
        assertEquals(0, encoder.closes.get());
        swapped.close();
        nearest.close();
        assertEquals(0, encoder.closes.get());
        assertEquals("a blue thing", greedy5.caption(solid(0x0000ff)).text());
        greedy5.close();
        assertEquals(1, encoder.closes.get());
        assertEquals(1, decoder.closes.get());
        assertEquals(0, otherBank.closes.get());
    }

    @Test
    void a_swapped_bank_is_checked_like_a_built_one() {
        try (DeCap decap = complete().build()) {
            ConfigurationException dim = assertThrows(ConfigurationException.class,
                    () -> decap.withMemoryBank(new DeCapTest.BadBank(1f, -1) {
                        @Override
                        public int dimension() {
                            return 4;
                        }
                    }));
            assertTrue(dim.getMessage().contains("expected 3, found 4"), dim.getMessage());
            ConfigurationException scaled = assertThrows(ConfigurationException.class,
                    () -> decap.withMemoryBank(new BadBank(15.9f, 0)));
            assertTrue(scaled.getMessage().contains("length 15.9"), scaled.getMessage());
            assertTrue(scaled.getMessage().contains("Vectors.normalized"), scaled.getMessage());
            assertThrows(ConfigurationException.class, () -> decap.withMemoryBank(null));
        }
    }

    @Test
    void a_bank_of_unnormalised_vectors_is_refused_at_build_with_what_to_do() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> complete().memoryBank(new BadBank(15.9f, 99)).build());
        assertTrue(e.getMessage().contains("entry 99"), e.getMessage());
        assertTrue(e.getMessage().contains("unit vector"), e.getMessage());
        assertTrue(e.getMessage().contains("Vectors.normalized"), e.getMessage());
    }

    @Test
    void nan_in_a_bank_is_reported_as_nan_at_build() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> complete().memoryBank(new BadBank(Float.NaN, 0)).build());
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertFalse(e.getMessage().contains("temperature"), e.getMessage());
    }

    @Test
    void bad_rows_that_the_build_sample_misses_are_refused_at_use() {
        // Row 50 is not among the 32 sampled rows of a 100-row bank (0, 3, 6, ..., 99), so it is caught at use.
        try (DeCap nan = DeCap.builder().memoryBank(new BadBank(Float.NaN, 50)).decoder(new AxisDecoder(D)).build();
             DeCap scaled = DeCap.builder().memoryBank(new BadBank(15.9f, 50)).decoder(new AxisDecoder(D)).build()) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> nan.captionEmbedding(new float[] {0, 0, 1}));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertTrue(e.getMessage().contains("entry 50"), e.getMessage());
            assertFalse(e.getMessage().contains("temperature"), e.getMessage());
            InvalidInputException s = assertThrows(InvalidInputException.class,
                    () -> scaled.captionEmbedding(new float[] {0, 0, 1}));
            assertTrue(s.getMessage().contains("not of unit length"), s.getMessage());
            assertTrue(s.getMessage().contains("Vectors.normalized"), s.getMessage());
            InvalidInputException r = assertThrows(InvalidInputException.class,
                    () -> scaled.nearestCaptions(new float[] {0, 0, 1}, 3));
            assertTrue(r.getMessage().contains("entry 50"), r.getMessage());
        }
    }

    @Test
    void encode_text_and_encode_image_return_unit_vectors() {
        TextEncoder text = new TextEncoder() {
            @Override
            public int dimension() {
                return D;
            }

            @Override
            public float[] encode(String t) {
                return new float[] {3, 4, 0};
            }
        };
        try (DeCap decap = complete().textEncoder(text).build()) {
            assertArrayEquals(new float[] {0.6f, 0.8f, 0}, decap.encodeText("a cat"), 1e-6f);
            float[] image = decap.encodeImage(solid(0x808000));
            assertEquals(1.0, Vectors.norm(image), 1e-6);
        }
    }

    @Test
    void text_encoder_dimension_is_checked_too() {
        TextEncoder text = new TextEncoder() {
            @Override
            public int dimension() {
                return 4;
            }

            @Override
            public float[] encode(String t) {
                return new float[4];
            }
        };
        assertThrows(ConfigurationException.class, () -> complete().textEncoder(text).build());
        DeCap noText = complete().build();
        assertThrows(ConfigurationException.class, () -> noText.encodeText("a cat"));
        assertFalse(noText.isClosed());
        noText.close();
    }
}
