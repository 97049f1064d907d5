package dev.decap;

import dev.decap.image.ImageLoader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The captioner decodes images with the loader it is built with: a strict loader makes a strict captioner. */
class DeCapStrictImagesTest {

    private static DeCap captioner(ImageLoader loader) {
        return DeCap.builder()
                .imageEncoder(new DeCapTest.ColourEncoder())
                .memoryBank(new DeCapTest.AxisBank())
                .projector(new DeCapTest.SnapProjector())
                .decoder(new DeCapTest.AxisDecoder(3))
                .imageLoader(loader)
                .build();
    }

    private static byte[] damagedPng() throws IOException {
        // A PNG whose zlib stream ends after half the rows: Pillow decodes it, leaving the rest black.
        try (InputStream in = DeCapStrictImagesTest.class.getResourceAsStream(
                "/dev/decap/image/damaged/png_idat_data_short.png")) {
            assertNotNull(in, "missing test resource; run tools/make_damaged_images.py");
            return in.readAllBytes();
        }
    }

    @Test
    void a_captioner_with_a_strict_loader_refuses_damaged_images_the_default_one_captions() throws IOException {
        byte[] png = damagedPng();
        try (DeCap lenient = captioner(ImageLoader.defaults());
             DeCap strict = captioner(ImageLoader.builder().strict(true).build())) {
            assertNotNull(lenient.caption(png).text());
            ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> strict.caption(png));
            assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains("strict(true)"), e.getMessage());
        }
    }
}
