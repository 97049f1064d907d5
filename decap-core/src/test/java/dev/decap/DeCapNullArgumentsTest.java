package dev.decap;

import dev.decap.decoding.DecodingOptions;
import dev.decap.encoding.TextEncoder;
import dev.decap.image.DecodedImage;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Projector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, one exception story: a null argument to any public method of {@link DeCap} fails with the library's
 * {@link InvalidInputException} naming the parameter (never a bare {@link NullPointerException}).
 */
class DeCapNullArgumentsTest {

    private static DeCap captioner() {
        TextEncoder text = new TextEncoder() {
            @Override
            public int dimension() {
                return 3;
            }

            @Override
            public float[] encode(String t) {
                return new float[] {1, 0, 0};
            }

            @Override
            public void close() {
            }
        };
        return DeCap.builder()
                .imageEncoder(new DeCapTest.ColourEncoder())
                .textEncoder(text)
                .memoryBank(new DeCapTest.AxisBank())
                .projector(new DeCapTest.SnapProjector())
                .decoder(new DeCapTest.AxisDecoder(3))
                .build();
    }

    private static void assertNamed(String parameter, Executable call) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call);
        assertTrue(e.getMessage().contains(parameter), "message should name '" + parameter + "': " + e.getMessage());
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void every_public_method_refuses_a_null_argument_with_invalid_input_naming_the_parameter() {
        DecodingOptions options = DecodingOptions.greedy(10);
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        try (DeCap decap = captioner()) {
            assertNamed("image", () -> decap.caption((BufferedImage) null));
            assertNamed("image", () -> decap.caption((BufferedImage) null, options));
            assertNamed("options", () -> decap.caption(image, null));
            assertNamed("imageFile", () -> decap.caption((Path) null));
            assertNamed("imageBytes", () -> decap.caption((byte[]) null));
            assertNamed("imageStream", () -> decap.caption((InputStream) null));
            assertNamed("image", () -> decap.caption((DecodedImage) null));
            assertNamed("images", () -> decap.captionAll(null));
            assertNamed("images", () -> decap.captionAll(null, options));
            assertNamed("image 1", () -> decap.captionAll(Arrays.asList(image, null)));
            assertNamed("options", () -> decap.captionAll(List.of(image), null));
            assertNamed("frames", () -> decap.captionVideo(null));
            assertNamed("image 0", () -> decap.captionVideo(Arrays.asList((BufferedImage) null)));
            assertNamed("imageEmbedding", () -> decap.captionEmbedding(null));
            assertNamed("imageEmbedding", () -> decap.captionEmbedding(null, options));
            assertNamed("options", () -> decap.captionEmbedding(new float[] {1, 0, 0}, null));
            assertNamed("imageEmbeddings", () -> decap.captionEmbeddings(null, options));
            List<float[]> withNull = new ArrayList<>();
            withNull.add(null);
            assertNamed("image embedding", () -> decap.captionEmbeddings(withNull, options));
            assertNamed("options", () -> decap.captionEmbeddings(List.of(new float[] {1, 0, 0}), null));
            assertNamed("image", () -> decap.retrieve((BufferedImage) null));
            assertNamed("imageFile", () -> decap.retrieve((Path) null));
            assertNamed("imageEmbedding", () -> decap.retrieveEmbedding(null));
            assertNamed("imageEmbedding", () -> decap.nearestCaptions(null, 1));
            assertNamed("text", () -> decap.encodeText(null));
            assertNamed("image", () -> decap.encodeImage((BufferedImage) null));
            assertNamed("imageFile", () -> decap.encodeImage((Path) null));
            assertNamed("projector", () -> decap.withProjector((Projector) null));
            assertNamed("options", () -> decap.withDecodingOptions(null));
            // withMemoryBank(null) is meaningful for a projector without memory; with this one it is refused.
            assertThrows(ConfigurationException.class, () -> decap.withMemoryBank((MemoryBank) null));
            assertNamed("resource", () -> DeCap.builder().owning(null));
            assertFalse(decap.isClosed(), "a refused call leaves the captioner usable");
            decap.captionEmbedding(new float[] {1, 0, 0});
        }
    }

    @Test
    void image_bytes_and_stream_errors_read_as_one_phrase_without_a_doubled_word() {
        try (DeCap decap = captioner()) {
            ImageDecodingException bytes = assertThrows(ImageDecodingException.class, () -> decap.caption(new byte[0]));
            assertTrue(bytes.getMessage().startsWith("image passed as bytes is empty"), bytes.getMessage());
            ImageDecodingException stream = assertThrows(ImageDecodingException.class,
                    () -> decap.caption(new java.io.ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                            11, 12, 13, 14, 15, 16})));
            assertTrue(stream.getMessage().startsWith("image read from the stream "), stream.getMessage());
            assertFalse(bytes.getMessage().contains("image image") || stream.getMessage().contains("image image"));
        }
    }
}
