package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipPreprocessorTest {
    private final ClipPreprocessor clip = ClipPreprocessor.defaults();

    @Test
    void defaults_are_openai_clip_vit_b_32() {
        assertEquals(224, clip.size());
        assertEquals(3 * 224 * 224, clip.outputLength());
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, clip.mean());
        assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, clip.std());
        assertArrayEquals(ClipPreprocessor.clipMean(), clip.mean());
    }

    @Test
    void builder_validates_size_mean_and_std() {
        assertThrows(ConfigurationException.class, () -> ClipPreprocessor.builder().size(0).build());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> ClipPreprocessor.builder().mean(0.5f, 0.5f).build());
        assertTrue(e.getMessage().contains("expected 3, found 2"), e.getMessage());
        assertThrows(ConfigurationException.class, () -> ClipPreprocessor.builder().std(0.5f, 0f, 0.5f).build());
        assertThrows(ConfigurationException.class, () -> ClipPreprocessor.builder().std(0.5f, Float.NaN, 0.5f).build());
        assertThrows(ConfigurationException.class, () -> ClipPreprocessor.builder().mean((float[]) null).build());
        ClipPreprocessor other = ClipPreprocessor.builder().size(336).mean(0.5f, 0.5f, 0.5f).std(0.5f, 0.5f, 0.5f)
                .build();
        assertEquals(336, other.size());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, other.mean());
    }

    @Test
    void resized_size_is_torchvisions_short_side_rule() {
        // {w, h, n, new w, new h} from torchvision 0.14's _compute_resized_output_size.
        int[][] cases = {{640, 480, 224, 298, 224}, {480, 640, 224, 224, 298}, {7, 5, 224, 313, 224},
                {225, 301, 224, 224, 299}, {97, 401, 224, 224, 926}, {224, 224, 224, 224, 224},
                {800, 533, 336, 504, 336}, {1, 10000, 224, 224, 2240000}, {10000, 1, 224, 2240000, 224},
                {333, 222, 224, 336, 224}, {641, 427, 224, 336, 224}, {3, 7, 5, 5, 11}};
        for (int[] c : cases) {
            assertArrayEquals(new int[] {c[3], c[4]}, ClipPreprocessor.resizedSize(c[0], c[1], c[2]),
                    Arrays.toString(c));
        }
    }

    @Test
    void crop_offsets_round_half_to_even_as_python_and_pad_when_smaller() {
        assertEquals(0, ClipPreprocessor.cropOffset(225, 224)); // round(0.5) == 0
        assertEquals(2, ClipPreprocessor.cropOffset(227, 224)); // round(1.5) == 2
        assertEquals(38, ClipPreprocessor.cropOffset(299, 224)); // round(37.5) == 38
        assertEquals(38, ClipPreprocessor.cropOffset(301, 224)); // round(38.5) == 38
        assertEquals(37, ClipPreprocessor.cropOffset(298, 224));
        assertEquals(-1, ClipPreprocessor.cropOffset(3, 6)); // torchvision pads (6 - 3) // 2 on the left
        assertEquals(-2, ClipPreprocessor.cropOffset(1, 6));
    }

    @Test
    void an_image_smaller_than_the_crop_is_padded_with_zeros() {
        // 1x1 palette image: nearest resize would fill the crop, so use the internal path with a tiny crop size
        // on a resized size that is smaller than the crop (only reachable through resizeCropRgb directly).
        PilPixels red = PilPixels.bytes(PilMode.RGB, 2, 2, new byte[] {(byte) 255, 0, 0, (byte) 255, 0, 0,
                (byte) 255, 0, 0, (byte) 255, 0, 0});
        ClipPreprocessor two = ClipPreprocessor.builder().size(2).build();
        byte[] rgb = two.resizeCropRgb(red);
        assertEquals(2 * 2 * 3, rgb.length);
        for (int p = 0; p < 4; p++) {
            assertEquals((byte) 255, rgb[p * 3]);
        }
    }

    private static BufferedImage gradient(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255) / Math.max(1, w - 1);
                int g = (y * 255) / Math.max(1, h - 1);
                int b = ((x + y) * 37) & 0xFF;
                img.setRGB(x, y, 0xFF000000 | (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    @Test
    void an_image_at_the_target_size_is_only_normalised() {
        BufferedImage img = gradient(224, 224, BufferedImage.TYPE_INT_RGB);
        float[] out = clip.preprocess(img);
        int plane = 224 * 224;
        float[] mean = clip.mean();
        float[] std = clip.std();
        for (int y = 0; y < 224; y += 37) {
            for (int x = 0; x < 224; x += 41) {
                int rgb = img.getRGB(x, y);
                for (int c = 0; c < 3; c++) {
                    int v = (rgb >> (16 - 8 * c)) & 0xFF;
                    assertEquals(((float) v / 255f - mean[c]) / std[c], out[c * plane + y * 224 + x]);
                }
            }
        }
    }

    @Test
    void batch_form_writes_at_the_offset_and_nothing_else() {
        BufferedImage a = gradient(300, 200, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage b = gradient(97, 401, BufferedImage.TYPE_INT_RGB);
        int n = clip.outputLength();
        float[] batch = new float[2 * n + 10];
        Arrays.fill(batch, 42f);
        clip.preprocess(a, batch, 5);
        clip.preprocess(b, batch, 5 + n);
        assertArrayEquals(clip.preprocess(a), Arrays.copyOfRange(batch, 5, 5 + n));
        assertArrayEquals(clip.preprocess(b), Arrays.copyOfRange(batch, 5 + n, 5 + 2 * n));
        for (int i : new int[] {0, 4, 2 * n + 5, 2 * n + 9}) {
            assertEquals(42f, batch[i]);
        }
        assertArrayEquals(Arrays.copyOfRange(batch, 5, 5 + 2 * n), clip.preprocessBatch(List.of(a, b)));
    }

    @Test
    void bad_arguments_are_invalid_input() {
        BufferedImage img = gradient(10, 10, BufferedImage.TYPE_INT_RGB);
        assertThrows(InvalidInputException.class, () -> clip.preprocess((java.awt.image.BufferedImage) null));
        assertThrows(InvalidInputException.class, () -> clip.preprocess(img, null, 0));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> clip.preprocess(img, new float[clip.outputLength()], 1));
        assertTrue(e.getMessage().contains("expected at least " + (clip.outputLength() + 1)), e.getMessage());
        assertThrows(InvalidInputException.class, () -> clip.preprocess(img, new float[clip.outputLength()], -1));
        assertThrows(InvalidInputException.class, () -> clip.preprocessBatch(null));
        assertThrows(InvalidInputException.class, () -> clip.preprocessBatch(Arrays.asList(img, null)));
    }

    @Test
    void java_image_types_with_the_same_pixels_give_the_same_tensor() {
        BufferedImage intRgb = gradient(300, 200, BufferedImage.TYPE_INT_RGB);
        BufferedImage bgr = gradient(300, 200, BufferedImage.TYPE_3BYTE_BGR);
        assertArrayEquals(clip.preprocess(intRgb), clip.preprocess(bgr));
        BufferedImage argb = gradient(300, 200, BufferedImage.TYPE_INT_ARGB);
        BufferedImage abgr = gradient(300, 200, BufferedImage.TYPE_4BYTE_ABGR);
        assertArrayEquals(clip.preprocess(argb), clip.preprocess(abgr));
        // Opaque RGBA premultiplies to itself, so it resizes like RGB.
        assertArrayEquals(clip.preprocess(bgr), clip.preprocess(abgr));
    }

    @Test
    void greyscale_gives_three_equal_channels() {
        BufferedImage gray = new BufferedImage(300, 200, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 200; y++) {
            for (int x = 0; x < 300; x++) {
                gray.getRaster().setSample(x, y, 0, (x * 7 + y * 3) & 0xFF);
            }
        }
        ClipPreprocessor unit = ClipPreprocessor.builder().mean(0f, 0f, 0f).std(1f, 1f, 1f).build();
        float[] out = unit.preprocess(gray);
        int plane = 224 * 224;
        for (int i = 0; i < plane; i += 97) {
            assertEquals(out[i], out[plane + i]);
            assertEquals(out[i], out[2 * plane + i]);
        }
    }

    private static BufferedImage transparentRed(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_4BYTE_ABGR);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setPixel(x, y, new int[] {255, 0, 0, 0});
            }
        }
        return img;
    }

    @Test
    void alpha_is_dropped_not_composited_and_resizing_is_premultiplied_as_in_pillow() {
        ClipPreprocessor unit = ClipPreprocessor.builder().mean(0f, 0f, 0f).std(1f, 1f, 1f).build();
        int plane = 224 * 224;
        // At the target size there is no resize: the colour under alpha 0 survives (no compositing).
        float[] same = unit.preprocess(transparentRed(224, 224));
        assertEquals(1f, same[0]);
        assertEquals(0f, same[plane]);
        assertEquals(0f, same[2 * plane]);
        // Pillow resizes RGBA premultiplied (RGBa): colour under alpha 0 becomes 0 and stays 0.
        float[] resized = unit.preprocess(transparentRed(300, 200));
        assertEquals(0f, resized[0]);
        assertEquals(0f, resized[plane]);
    }

    @Test
    void extreme_aspect_ratios_resize_only_the_cropped_window() {
        BufferedImage thin = gradient(1, 5000, BufferedImage.TYPE_INT_RGB);
        float[] out = clip.preprocess(thin);
        assertEquals(clip.outputLength(), out.length);
        for (float f : out) {
            assertTrue(Float.isFinite(f));
        }
    }

    @Test
    void concurrent_callers_get_the_same_results() throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            images.add(gradient(200 + 13 * i, 150 + 7 * i, BufferedImage.TYPE_INT_RGB));
        }
        List<float[]> expected = new ArrayList<>();
        for (BufferedImage img : images) {
            expected.add(clip.preprocess(img));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (BufferedImage img : images) {
                    futures.add(pool.submit(() -> clip.preprocess(img)));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertArrayEquals(expected.get(i % images.size()), futures.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
