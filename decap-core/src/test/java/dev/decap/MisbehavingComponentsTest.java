package dev.decap;

import dev.decap.decoding.CaptionDecoder;
import dev.decap.decoding.DecodedCaption;
import dev.decap.decoding.DecodingOptions;
import dev.decap.decoding.LanguageModel;
import dev.decap.decoding.StepCaptionDecoder;
import dev.decap.encoding.ImageEncoder;
import dev.decap.encoding.TextEncoder;
import dev.decap.memory.BlockConsumer;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projection;
import dev.decap.projection.Projectors;
import dev.decap.projection.Projector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, one exception story: a component the caller supplies (memory bank, image or text encoder, projector,
 * caption decoder, language model) that throws a {@link RuntimeException} of its own surfaces as an
 * {@link InferenceException} naming the component's role and class and the call or row, with the original as its
 * cause; a {@link DecapException} it throws passes through unchanged; what it returns is checked ("expected N,
 * found M").
 */
class MisbehavingComponentsTest {
    private static final int D = 3;
    private static final BufferedImage IMAGE = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    private static final float[] EMBEDDING = {0.2f, 0.9f, 0.1f};

    static {
        IMAGE.setRGB(0, 0, 0xff0000);
    }

    /** A bank of three axis captions that misbehaves once {@link #broken} is set (after the captioner is built). */
    static class FlakyBank implements MemoryBank {
        volatile IntFunction<float[]> broken;
        volatile RuntimeException captionFailure;

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
            if (captionFailure != null) {
                throw captionFailure;
            }
            return "caption " + index;
        }

        @Override
        public float[] embedding(int index) {
            if (broken != null) {
                return broken.apply(index);
            }
            float[] v = new float[D];
            v[index] = 1;
            return v;
        }
    }

    private static DeCap captioner(MemoryBank bank) {
        return DeCap.builder().imageEncoder(new DeCapTest.ColourEncoder()).memoryBank(bank)
                .projector(Projectors.projectionDecoding()).decoder(new DeCapTest.AxisDecoder(D)).build();
    }

    private static InferenceException assertWrapped(Executable call, Class<?> component, String... parts) {
        InferenceException e = assertThrows(InferenceException.class, call);
        assertTrue(e.getMessage().contains(component.getName()), "should name " + component.getName() + ": "
                + e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "should mention '" + p + "': " + e.getMessage());
        }
        return e;
    }

    // ------------------------------------------------------------ memory bank

    @Test
    void a_bank_that_throws_is_wrapped_naming_the_bank_and_the_entry_with_the_cause() {
        FlakyBank bank = new FlakyBank();
        try (DeCap decap = captioner(bank)) {
            IllegalStateException boom = new IllegalStateException("disk gone");
            bank.broken = i -> {
                if (i == 2) {
                    throw boom;
                }
                float[] v = new float[D];
                v[i] = 1;
                return v;
            };
            InferenceException e = assertWrapped(() -> decap.captionEmbedding(EMBEDDING), FlakyBank.class,
                    "memory bank", "embedding(2)", "disk gone");
            assertSame(boom, e.getCause());
        }
    }

    @Test
    void a_bank_row_of_the_wrong_dimension_or_null_is_refused_with_expected_and_found() {
        FlakyBank bank = new FlakyBank();
        try (DeCap decap = captioner(bank)) {
            bank.broken = i -> new float[D - 1];
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), FlakyBank.class, "entry 0", "expected 3, found 2");
            bank.broken = i -> null;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), FlakyBank.class, "entry 0", "found null");
        }
    }

    @Test
    void a_failing_caption_lookup_names_the_entry_and_retrieval_is_guarded_too() {
        FlakyBank bank = new FlakyBank();
        try (DeCap decap = captioner(bank)) {
            bank.captionFailure = new IndexOutOfBoundsException("Index 7 out of bounds for length 3");
            assertWrapped(() -> decap.retrieveEmbedding(EMBEDDING), FlakyBank.class, "caption(1)", "Index 7");
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), FlakyBank.class, "caption(");
        }
    }

    @Test
    void a_library_exception_from_the_bank_passes_through_unchanged() {
        FlakyBank bank = new FlakyBank();
        try (DeCap decap = captioner(bank)) {
            InvalidInputException own = new InvalidInputException("the bank's own words");
            bank.broken = i -> {
                throw own;
            };
            assertSame(own, assertThrows(InvalidInputException.class, () -> decap.captionEmbedding(EMBEDDING)));
        }
    }

    @Test
    void a_custom_scan_that_delivers_a_short_block_too_few_rows_or_rows_outside_the_range_is_refused() {
        class ScanningBank extends FlakyBank {
            volatile int mode;

            @Override
            public void scan(int from, int to, int blockRows, BlockConsumer consumer) {
                float[] block = new float[(to - from) * D];
                for (int r = from; r < to; r++) {
                    block[(r - from) * D + r] = 1;
                }
                switch (mode) {
                    case 1 -> consumer.accept(from, to - from, new float[D], 0);
                    case 2 -> consumer.accept(from, to - from - 1, block, 0);
                    case 3 -> consumer.accept(from + 1, to - from, block, 0);
                    default -> consumer.accept(from, to - from, block, 0);
                }
            }
        }
        ScanningBank bank = new ScanningBank();
        try (DeCap decap = captioner(bank)) {
            decap.captionEmbedding(EMBEDDING);
            bank.mode = 1;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), ScanningBank.class, "expected at least 9",
                    "found 3");
            bank.mode = 2;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), ScanningBank.class, "wrong number of rows",
                    "expected 3, found 2");
            bank.mode = 3;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), ScanningBank.class, "outside the range");
        }
    }

    @Test
    void a_bank_whose_size_fails_is_named_when_the_captioner_is_built() {
        FlakyBank bank = new FlakyBank() {
            @Override
            public int size() {
                throw new NullPointerException("no index loaded");
            }
        };
        assertWrapped(() -> captioner(bank), bank.getClass(), "memory bank", "size()", "no index loaded");
    }

    @Test
    void the_default_scan_of_a_bank_names_a_row_of_the_wrong_dimension() {
        FlakyBank bank = new FlakyBank();
        bank.broken = i -> new float[D + 1];
        InferenceException e = assertThrows(InferenceException.class, () -> bank.scan(8, (f, r, d, o) -> { }));
        assertTrue(e.getMessage().contains("expected 3, found 4") && e.getMessage().contains(FlakyBank.class.getName()),
                e.getMessage());
    }

    // ------------------------------------------------------------ encoders

    /** An image encoder answering what {@link #answer} says. */
    static final class OddImageEncoder implements ImageEncoder {
        volatile java.util.function.Supplier<float[]> answer = () -> EMBEDDING.clone();

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public float[] encode(BufferedImage image) {
            return answer.get();
        }

        @Override
        public void close() {
        }
    }

    @Test
    void an_image_encoder_that_throws_or_returns_a_bad_embedding_is_named() {
        OddImageEncoder encoder = new OddImageEncoder();
        try (DeCap decap = DeCap.builder().imageEncoder(encoder).memoryBank(new DeCapTest.AxisBank())
                .decoder(new DeCapTest.AxisDecoder(D)).build()) {
            decap.caption(IMAGE);
            encoder.answer = () -> {
                throw new ArrayIndexOutOfBoundsException("pixel 9");
            };
            // one image goes through the batch path too: the guarded call is encodePrepared
            assertWrapped(() -> decap.caption(IMAGE), OddImageEncoder.class, "image encoder",
                    "encodePrepared(1 images)", "pixel 9");
            encoder.answer = () -> new float[] {1, Float.NaN, 0};
            assertWrapped(() -> decap.caption(IMAGE), OddImageEncoder.class, "non-finite", "element 1");
            encoder.answer = () -> new float[] {1, 0, 0, 0};
            assertWrapped(() -> decap.caption(IMAGE), OddImageEncoder.class, "expected 3, found 4");
            assertWrapped(() -> decap.captionAll(List.of(IMAGE, IMAGE)), OddImageEncoder.class, "image 0",
                    "expected 3, found 4");
            encoder.answer = () -> new float[D];
            assertWrapped(() -> decap.encodeImage(IMAGE), OddImageEncoder.class, "all-zero");
            encoder.answer = () -> null;
            assertWrapped(() -> decap.captionVideo(List.of(IMAGE)), OddImageEncoder.class, "null");
        }
    }

    @Test
    void an_image_encoder_returning_the_wrong_number_of_embeddings_for_a_batch_is_named() {
        ImageEncoder batchy = new ImageEncoder() {
            @Override
            public int dimension() {
                return D;
            }

            @Override
            public float[] encode(BufferedImage image) {
                return EMBEDDING.clone();
            }

            @Override
            public List<float[]> encodeAll(List<BufferedImage> images) {
                return List.of(EMBEDDING.clone());
            }

            @Override
            public void close() {
            }
        };
        try (DeCap decap = DeCap.builder().imageEncoder(batchy).memoryBank(new DeCapTest.AxisBank())
                .decoder(new DeCapTest.AxisDecoder(D)).build()) {
            assertWrapped(() -> decap.captionAll(List.of(IMAGE, IMAGE)), batchy.getClass(), "expected 2, found 1");
        }
    }

    @Test
    void a_text_encoder_that_throws_or_returns_the_wrong_length_is_named() {
        TextEncoder text = new TextEncoder() {
            @Override
            public int dimension() {
                return D;
            }

            @Override
            public float[] encode(String t) {
                if (t.isEmpty()) {
                    throw new IllegalArgumentException("empty text");
                }
                return new float[] {1, 0};
            }

            @Override
            public void close() {
            }
        };
        try (DeCap decap = DeCap.builder().textEncoder(text).memoryBank(new DeCapTest.AxisBank())
                .decoder(new DeCapTest.AxisDecoder(D)).build()) {
            assertWrapped(() -> decap.encodeText(""), text.getClass(), "text encoder", "encode(text)", "empty text");
            assertWrapped(() -> decap.encodeText("a cat"), text.getClass(), "expected 3, found 2");
        }
    }

    // ------------------------------------------------------------ projector and decoder

    @Test
    void a_projector_that_throws_or_returns_a_bad_prefix_is_named() {
        class OddProjector implements Projector {
            volatile int mode;

            @Override
            public Projection project(float[] unit, MemoryBank memory) {
                return switch (mode) {
                    case 0 -> throw new IllegalStateException("not initialised");
                    case 1 -> new Projection(new float[] {1, 0}, List.of());
                    default -> null;
                };
            }
        }
        OddProjector projector = new OddProjector();
        try (DeCap decap = DeCap.builder().memoryBank(new DeCapTest.AxisBank()).projector(projector)
                .decoder(new DeCapTest.AxisDecoder(D)).build()) {
            InferenceException e = assertWrapped(() -> decap.captionEmbedding(EMBEDDING), OddProjector.class,
                    "projector", "projectAll(1 embedding)", "not initialised");
            assertTrue(e.getCause() instanceof IllegalStateException);
            projector.mode = 1;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), OddProjector.class, "expected 3, found 2");
            projector.mode = 2;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), OddProjector.class, "null");
        }
    }

    @Test
    void a_decoder_that_throws_or_returns_too_few_captions_is_named() {
        class OddDecoder implements CaptionDecoder {
            volatile boolean fewer;

            @Override
            public int prefixDimension() {
                return D;
            }

            @Override
            public DecodedCaption decode(float[] prefix, DecodingOptions options) {
                throw new UnsupportedOperationException("no GPU");
            }

            @Override
            public List<DecodedCaption> decodeAll(List<float[]> prefixes, DecodingOptions options) {
                if (fewer) {
                    return new ArrayList<>();
                }
                return CaptionDecoder.super.decodeAll(prefixes, options);
            }

            @Override
            public void close() {
            }
        }
        OddDecoder decoder = new OddDecoder();
        try (DeCap decap = DeCap.builder().memoryBank(new DeCapTest.AxisBank()).decoder(decoder).build()) {
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), OddDecoder.class, "caption decoder",
                    "decodeAll(1 prefixes)", "no GPU");
            decoder.fewer = true;
            assertWrapped(() -> decap.captionEmbedding(EMBEDDING), OddDecoder.class, "expected 1, found 0");
        }
    }

    /** A language model of 5 ids whose session misbehaves as {@link #mode} says. */
    static final class OddLanguageModel implements LanguageModel {
        volatile int mode;

        @Override
        public int prefixDimension() {
            return D;
        }

        @Override
        public int vocabularySize() {
            return 5;
        }

        @Override
        public Session start(float[][] prefixes) {
            int rows = prefixes.length;
            return new Session() {
                int r = rows;

                @Override
                public int rows() {
                    return r;
                }

                @Override
                public float[][] logits() {
                    if (mode == 1) {
                        throw new IllegalStateException("cache overflow");
                    }
                    float[][] out = new float[r][mode == 2 ? 4 : 5];
                    for (float[] row : out) {
                        row[row.length - 1] = 10; // end of text (id 4 when the row is right)
                    }
                    return out;
                }

                @Override
                public void advance(int[] nextTokens, int[] parentRows) {
                    r = nextTokens.length;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void a_language_model_that_throws_or_returns_logits_of_the_wrong_length_is_named() {
        OddLanguageModel model = new OddLanguageModel();
        try (StepCaptionDecoder decoder = StepCaptionDecoder.builder().languageModel(model).endOfText(4).build()) {
            assertTrue(decoder.decode(EMBEDDING, DecodingOptions.greedy(5)).endedWithEndOfText());
            model.mode = 1;
            assertWrapped(() -> decoder.decode(EMBEDDING, DecodingOptions.greedy(5)), OddLanguageModel.class,
                    "language model", "greedy search of prefixes 0..0", "cache overflow");
            model.mode = 2;
            InferenceException e = assertThrows(InferenceException.class,
                    () -> decoder.decode(EMBEDDING, DecodingOptions.builder().beam(2).maxTokens(5).build()));
            assertTrue(e.getMessage().contains("expected 5, found 4"), e.getMessage());
        }
    }
}
