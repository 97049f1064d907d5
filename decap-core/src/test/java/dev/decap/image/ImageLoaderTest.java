package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.ImageDecodingException;
import dev.decap.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageLoaderTest {
    private final ImageLoader loader = ImageLoader.defaults();

    /** A noisy RGB image, so that encoders cannot compress it to nothing. */
    static BufferedImage noise(int w, int h, long seed) {
        Random rnd = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rnd.nextInt(0x1000000));
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out), "no ImageIO writer for " + format);
        return out.toByteArray();
    }

    private static void assertDecodingFailure(ImageLoader l, byte[] bytes, String name, String... words) {
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> l.load(bytes, name));
        assertTrue(e.getMessage().contains(name), "message should name the input: " + e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message should say '" + w + "': " + e.getMessage());
        }
    }

    @Test
    void null_inputs_are_refused_with_invalid_input() {
        assertThrows(InvalidInputException.class, () -> loader.load((byte[]) null, "x.png"));
        assertThrows(InvalidInputException.class, () -> loader.load((Path) null));
        assertThrows(InvalidInputException.class, () -> loader.load((InputStream) null, "s"));
    }

    @Test
    void empty_bytes_are_refused_naming_the_input() {
        assertDecodingFailure(loader, new byte[0], "empty.jpg", "empty");
    }

    @Test
    void unknown_formats_are_refused_naming_the_input() {
        assertDecodingFailure(loader, "hello, world".getBytes(), "hello.txt", "unknown format");
        assertDecodingFailure(loader, new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}, "photo.tif", "unknown format");
        assertDecodingFailure(loader, new byte[] {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P'},
                "photo.webp", "unknown format");
    }

    @Test
    void a_file_cut_inside_its_signature_is_reported_as_truncated() {
        assertDecodingFailure(loader, new byte[] {(byte) 0x89, 'P', 'N', 'G'}, "cut.png", "truncated");
        assertDecodingFailure(loader, new byte[] {(byte) 0xFF, (byte) 0xD8}, "cut.jpg", "truncated");
        assertDecodingFailure(loader, new byte[] {'G', 'I', 'F'}, "cut.gif", "truncated");
    }

    @Test
    void a_missing_file_is_a_decoding_error_naming_the_path() {
        Path missing = Path.of("does-not-exist-" + System.nanoTime() + ".png");
        ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> loader.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpeg", "png", "gif", "bmp"})
    void truncated_files_are_refused_in_every_format(String format) throws IOException {
        byte[] full = encode(noise(64, 48, 7), format);
        assertEquals(64, loader.load(full, "full." + format).getWidth());
        for (int keep : new int[] {full.length / 2, full.length - 40, 20, 5}) {
            byte[] cut = Arrays.copyOf(full, keep);
            assertDecodingFailure(loader, cut, "cut-" + keep + "." + format);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jpeg", "png", "gif", "bmp"})
    void corrupt_headers_and_random_bodies_are_refused(String format) throws IOException {
        byte[] full = encode(noise(32, 32, 3), format);
        byte[] corrupt = full.clone();
        Random rnd = new Random(11);
        // Keep only the magic bytes; everything after them is noise.
        for (int i = format.equals("png") ? 8 : format.equals("gif") ? 6 : format.equals("jpeg") ? 3 : 2;
             i < corrupt.length; i++) {
            corrupt[i] = (byte) rnd.nextInt(256);
        }
        ImageLoader small = ImageLoader.builder().maxPixels(10_000_000).build();
        assertThrows(ImageDecodingException.class, () -> small.load(corrupt, "noise." + format));
    }

    @Test
    void a_png_with_a_broken_data_stream_is_refused() throws IOException {
        byte[] png = encode(noise(40, 40, 5), "png");
        int idat = indexOf(png, "IDAT".getBytes());
        for (int i = idat + 10; i < idat + 60; i++) {
            png[i] ^= 0x5A;
        }
        assertDecodingFailure(loader, png, "broken.png");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    // ---- decompression bombs: headers that claim 50000 x 50000 pixels, refused before any allocation ----

    static byte[] pngBomb(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        out.writeBytes(chunk("IHDR", ihdr.array()));
        out.writeBytes(chunk("IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    private static byte[] chunk(String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes());
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(type.getBytes()).put(data)
                .putInt((int) crc.getValue()).array();
    }

    static byte[] gifBomb(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GIF89a".getBytes()).putShort((short) w).putShort((short) h).put((byte) 0x80).put((byte) 0)
                .put((byte) 0);
        b.put(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
        b.put((byte) 0x2C).putShort((short) 0).putShort((short) 0).putShort((short) w).putShort((short) h)
                .put((byte) 0);
        b.put((byte) 2).put((byte) 2).put((byte) 0x4C).put((byte) 0x01).put((byte) 0).put((byte) 0x3B);
        return Arrays.copyOf(b.array(), b.position());
    }

    static byte[] bmpBomb(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(54 + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'B').put((byte) 'M').putInt(54 + 16).putInt(0).putInt(54);
        b.putInt(40).putInt(w).putInt(h).putShort((short) 1).putShort((short) 24).putInt(0).putInt(0)
                .putInt(2835).putInt(2835).putInt(0).putInt(0);
        return b.array();
    }

    static byte[] jpegBomb(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.put((byte) 0xFF).put((byte) 0xD8);
        b.put((byte) 0xFF).put((byte) 0xC0).putShort((short) 17).put((byte) 8).putShort((short) h)
                .putShort((short) w).put((byte) 3);
        for (int c = 1; c <= 3; c++) {
            b.put((byte) c).put((byte) 0x11).put((byte) 0);
        }
        b.put((byte) 0xFF).put((byte) 0xD9);
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void decompression_bombs_are_refused_from_their_headers_in_every_format() {
        int side = 50_000;
        for (Object[] c : new Object[][] {{"bomb.png", pngBomb(side, side)}, {"bomb.gif", gifBomb(side, side)},
                {"bomb.bmp", bmpBomb(side, side)}, {"bomb.jpg", jpegBomb(side, side)}}) {
            byte[] bytes = (byte[]) c[1];
            assertTrue(bytes.length < 200, "bomb files are tiny");
            assertDecodingFailure(loader, bytes, (String) c[0], "50000x50000", "over the limit");
        }
    }

    @Test
    void the_pixel_limit_is_configurable() throws IOException {
        byte[] png = encode(noise(100, 80, 1), "png");
        ImageLoader strict = ImageLoader.builder().maxPixels(7_999).build();
        assertDecodingFailure(strict, png, "photo.png", "100x80", "over the limit of 7999");
        assertEquals(80, ImageLoader.builder().maxPixels(8_000).build().load(png, "photo.png").getHeight());
        assertEquals(7_999, strict.maxPixels());
        assertThrows(ConfigurationException.class, () -> ImageLoader.builder().maxPixels(0).build());
    }

    @Test
    void a_gif_frame_larger_than_its_screen_is_checked_against_the_limit() {
        byte[] gif = gifBomb(10, 10);
        // Patch the frame descriptor (after 13-byte header + 6-byte palette) to 40000 x 40000.
        ByteBuffer.wrap(gif).order(ByteOrder.LITTLE_ENDIAN).putShort(19 + 5, (short) 40000)
                .putShort(19 + 7, (short) 40000);
        assertDecodingFailure(loader, gif, "frame.gif", "40000x40000", "over the limit");
    }

    @Test
    void streams_are_read_fully_and_decoded() throws IOException {
        byte[] png = encode(noise(20, 10, 2), "png");
        BufferedImage fromStream = loader.load(new ByteArrayInputStream(png), "stream.png");
        BufferedImage fromBytes = loader.load(png, "bytes.png");
        assertEquals(20, fromStream.getWidth());
        assertArrayEquals(fromBytes.getRaster().getPixels(0, 0, 20, 10, (int[]) null),
                fromStream.getRaster().getPixels(0, 0, 20, 10, (int[]) null));
    }

    @Test
    void rgba_png_pixels_keep_their_colour_where_alpha_is_zero() throws IOException {
        // Pillow's convert("RGB") drops alpha without compositing: a transparent red pixel stays red.
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF0000);
        img.setRGB(1, 0, 0x8000FF00);
        BufferedImage back = loader.load(encode(img, "png"), "alpha.png");
        assertEquals(4, back.getRaster().getNumBands());
        assertArrayEquals(new int[] {255, 0, 0, 0}, back.getRaster().getPixel(0, 0, (int[]) null));
        assertArrayEquals(new int[] {0, 255, 0, 128}, back.getRaster().getPixel(1, 0, (int[]) null));
        assertSame(BufferedImage.TYPE_4BYTE_ABGR, back.getType());
    }
}
