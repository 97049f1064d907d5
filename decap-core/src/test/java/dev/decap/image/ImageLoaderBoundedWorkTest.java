package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.ImageDecodingException;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loader's work is bounded: by the pixel limit, checked from the header before decoding (with a message saying
 * how to raise it), by the size of one Java array, and by an optional per-call deadline.
 */
class ImageLoaderBoundedWorkTest {

    /** A 1500 x 1200 image (1.8 MP) in {@code format}: enough rows that a decode spans many deadline checks. */
    private static byte[] image(String format) throws IOException {
        BufferedImage img;
        if (format.equals("gif")) {
            byte[] ramp = new byte[256];
            for (int i = 0; i < 256; i++) {
                ramp[i] = (byte) (255 - i);
            }
            img = new BufferedImage(1500, 1200, BufferedImage.TYPE_BYTE_INDEXED,
                    new IndexColorModel(8, 256, ramp, ramp, ramp));
        } else {
            img = new BufferedImage(1500, 1200, BufferedImage.TYPE_3BYTE_BGR);
        }
        new Random(5).nextBytes(((DataBufferByte) img.getRaster().getDataBuffer()).getData());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    @Test
    void a_decode_that_outlives_its_deadline_is_stopped_and_refused_in_every_format() throws IOException {
        // One nanosecond has passed by the first row, whatever the machine: the verdict does not depend on speed.
        ImageLoader hurried = ImageLoader.builder().decodeDeadline(Duration.ofNanos(1)).build();
        ImageLoader patient = ImageLoader.builder().decodeDeadline(Duration.ofMinutes(10)).build();
        for (String format : new String[] {"png", "jpeg", "gif", "bmp"}) {
            byte[] bytes = image(format);
            String name = "slow." + format;
            ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> hurried.decode(bytes, name),
                    format);
            assertTrue(e.getMessage().contains(name) && e.getMessage().contains("deadline")
                    && e.getMessage().contains("decodeDeadline"), e.getMessage());
            assertEquals(1500, patient.decode(bytes, name).width(), format);
        }
        assertEquals(Duration.ofNanos(1), hurried.decodeDeadline().orElseThrow());
        assertTrue(ImageLoader.defaults().decodeDeadline().isEmpty());
    }

    @Test
    void the_decode_deadline_must_be_positive() {
        assertThrows(ConfigurationException.class, () -> ImageLoader.builder().decodeDeadline(Duration.ZERO).build());
        assertThrows(ConfigurationException.class,
                () -> ImageLoader.builder().decodeDeadline(Duration.ofSeconds(-1)).build());
        assertTrue(ImageLoader.builder().decodeDeadline(null).build().decodeDeadline().isEmpty());
    }

    @Test
    void a_valid_png_over_the_limit_is_refused_from_its_header_saying_how_to_raise_the_limit() throws IOException {
        ImageLoader small = ImageLoader.builder().maxPixels(1_000_000).build();
        byte[] png = image("png");
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> small.decode(png, "big.png"));
        String m = e.getMessage();
        assertTrue(m.contains("big.png") && m.contains("1500x1200") && m.contains("over the limit of 1000000")
                && m.contains("maxPixels") && m.contains("before decoding"), m);
        assertFalse(m.contains("corrupt") || m.contains("truncated"), m);
    }

    @Test
    void a_png_too_large_for_one_array_is_refused_as_too_large_not_as_corrupt() {
        // 50000 x 50000 RGB: 7.5 G samples, more than one array holds, even with the pixel limit lifted.
        ImageLoader unlimited = ImageLoader.builder().maxPixels(Long.MAX_VALUE).build();
        for (int[] size : new int[][] {{50_000, 50_000}, {2_000_000_000, 2}}) {
            byte[] png = ImageLoaderTest.pngBomb(size[0], size[1]);
            ImageDecodingException e = assertThrows(ImageDecodingException.class,
                    () -> unlimited.decode(png, "huge.png"));
            String m = e.getMessage();
            assertTrue(m.contains("huge.png") && m.contains(size[0] + "x" + size[1]) && m.contains("too large"), m);
            assertFalse(m.contains("corrupt") || m.contains("truncated"), m);
        }
    }

    @Test
    void the_probes_100_megapixel_png_is_refused_by_default_from_its_header() {
        // The probe's 389 KB PNG decoding to 100 MP was under the old 100 MP default and took 11-13 s; the default
        // is now chosen from the measured worst case, and such a file is refused before any decoding.
        byte[] png = ImageLoaderTest.pngBomb(10_000, 10_000);
        ImageDecodingException e = assertThrows(ImageDecodingException.class,
                () -> ImageLoader.defaults().decode(png, "probe.png"));
        assertTrue(e.getMessage().contains("10000x10000 = 100000000 pixels, over the limit of "
                + ImageLoader.DEFAULT_MAX_PIXELS), e.getMessage());
    }

    @Test
    void the_default_pixel_limit_is_the_documented_one() {
        assertEquals(ImageLoader.DEFAULT_MAX_PIXELS, ImageLoader.defaults().maxPixels());
        assertTrue(ImageLoader.DEFAULT_MAX_PIXELS * 4 < ImageLoader.MAX_ARRAY,
                "the default must leave every format's pixels within one array");
    }
}
