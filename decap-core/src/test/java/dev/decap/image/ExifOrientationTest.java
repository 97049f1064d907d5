package dev.decap.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExifOrientationTest {
    /** Six 16x16 blocks, 3 across and 2 down, each its own colour. */
    private static final int[][] COLOURS = {
            {0xFF0000, 0x00FF00, 0x0000FF},
            {0xFFFF00, 0x00FFFF, 0xFF00FF},
    };
    private static final int B = 16;

    private static BufferedImage blocks() {
        BufferedImage img = new BufferedImage(3 * B, 2 * B, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 2 * B; y++) {
            for (int x = 0; x < 3 * B; x++) {
                img.setRGB(x, y, COLOURS[y / B][x / B]);
            }
        }
        return img;
    }

    /** An EXIF APP1 segment (marker included) carrying only the orientation tag. */
    static byte[] exifApp1(int orientation, boolean littleEndian) {
        ByteOrder order = littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(order);
        tiff.put(littleEndian ? (byte) 'I' : (byte) 'M').put(littleEndian ? (byte) 'I' : (byte) 'M')
                .putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] payload = tiff.array();
        ByteBuffer seg = ByteBuffer.allocate(4 + 6 + payload.length);
        seg.put((byte) 0xFF).put((byte) 0xE1).putShort((short) (2 + 6 + payload.length));
        seg.put(new byte[] {'E', 'x', 'i', 'f', 0, 0}).put(payload);
        return seg.array();
    }

    /** A JPEG of the block pattern with an EXIF segment inserted right after SOI. */
    static byte[] jpegWithOrientation(int orientation, boolean littleEndian) throws IOException {
        byte[] jpeg = ImageLoaderTest.encode(blocks(), "jpeg");
        byte[] app1 = exifApp1(orientation, littleEndian);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(app1);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** Where source block (bx, by) of a 3x2 grid lands, per Pillow's exif_transpose. */
    private static int[] expectedBlock(int orientation, int bx, int by) {
        int w = 3;
        int h = 2;
        return switch (orientation) {
            case 1 -> new int[] {bx, by};
            case 2 -> new int[] {w - 1 - bx, by};
            case 3 -> new int[] {w - 1 - bx, h - 1 - by};
            case 4 -> new int[] {bx, h - 1 - by};
            case 5 -> new int[] {by, bx};
            case 6 -> new int[] {h - 1 - by, bx};
            case 7 -> new int[] {h - 1 - by, w - 1 - bx};
            default -> new int[] {by, w - 1 - bx};
        };
    }

    private static void assertColour(int expected, int actual, String where) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = (expected >> shift) & 0xFF;
            int a = (actual >> shift) & 0xFF;
            assertTrue(Math.abs(e - a) <= 40, where + ": expected " + Integer.toHexString(expected) + ", found "
                    + Integer.toHexString(actual & 0xFFFFFF));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void orientation_is_applied_when_enabled(int orientation) throws IOException {
        for (boolean little : new boolean[] {true, false}) {
            byte[] jpeg = jpegWithOrientation(orientation, little);
            BufferedImage img = ImageLoader.builder().applyExifOrientation(true).build().load(jpeg, "o.jpg");
            boolean swapped = orientation >= 5;
            assertEquals(swapped ? 2 * B : 3 * B, img.getWidth(), "width for orientation " + orientation);
            assertEquals(swapped ? 3 * B : 2 * B, img.getHeight(), "height for orientation " + orientation);
            for (int by = 0; by < 2; by++) {
                for (int bx = 0; bx < 3; bx++) {
                    int[] t = expectedBlock(orientation, bx, by);
                    int centre = img.getRGB(t[0] * B + B / 2, t[1] * B + B / 2);
                    assertColour(COLOURS[by][bx], centre, "orientation " + orientation + " block " + bx + "," + by);
                }
            }
        }
    }

    @Test
    void orientation_is_ignored_by_default_as_clips_reference_does() throws IOException {
        BufferedImage img = ImageLoader.defaults().load(jpegWithOrientation(6, true), "o.jpg");
        assertEquals(3 * B, img.getWidth());
        assertEquals(2 * B, img.getHeight());
        assertColour(COLOURS[0][0], img.getRGB(B / 2, B / 2), "top-left block");
    }

    @Test
    void orientation_is_read_from_both_byte_orders_and_broken_exif_is_ignored() {
        for (boolean little : new boolean[] {true, false}) {
            byte[] seg = exifApp1(8, little);
            assertEquals(8, ExifOrientation.parseApp1(seg, 4, seg.length - 4));
        }
        byte[] seg = exifApp1(6, true);
        assertEquals(0, ExifOrientation.parseApp1(seg, 4, 12), "cut short");
        seg[4] = 'X';
        assertEquals(0, ExifOrientation.parseApp1(seg, 4, seg.length - 4), "not EXIF");
        byte[] bad = exifApp1(9, false);
        assertEquals(0, ExifOrientation.parseApp1(bad, 4, bad.length - 4), "out-of-range value");
    }

    @Test
    void orientation_works_on_every_image_mode() {
        // Mode-preserving: a palette image stays a palette image, rotated.
        PilPixels p = PilPixels.indexed(3, 2, new byte[] {0, 1, 2, 3, 4, 5}, new int[] {1, 2, 3, 4, 5, 6});
        BufferedImage rotated = ExifOrientation.apply(p.toBufferedImage(), 6);
        PilPixels back = PilPixels.of(rotated);
        assertEquals(PilMode.P, back.mode);
        assertEquals(2, back.width);
        assertEquals(3, back.height);
        // Rotate 90 clockwise: the new first row is the old first column, bottom to top.
        assertEquals(3, back.bytes[0]);
        assertEquals(0, back.bytes[1]);
        assertEquals(4, back.bytes[2]);
    }
}
