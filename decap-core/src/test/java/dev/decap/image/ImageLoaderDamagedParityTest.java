package dev.decap.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.ImageDecodingException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loader's verdict on damaged images matches Pillow 9.4's: each file of {@code damaged/} (written by
 * {@code tools/make_damaged_images.py}: corrupt and truncated GIF, PNG and JPEG data, and the probe's crashers) is
 * refused where Pillow refuses it, with an {@link ImageDecodingException} naming the file and saying what is wrong,
 * and decoded to Pillow's pixels where Pillow accepts it (same mode and size; for lossless formats the same raw
 * pixels, for JPEG the CLIP tensor within one 8-bit level).
 */
class ImageLoaderDamagedParityTest {
    private static final String DIR = "damaged/";
    private static final double ONE_LEVEL = 1.0 / 255 / 0.26130258 + 1e-6;

    static byte[] resource(String name) throws IOException {
        try (InputStream in = ImageLoaderDamagedParityTest.class.getResourceAsStream(DIR + name)) {
            assertNotNull(in, "missing test resource " + DIR + name + "; run tools/make_damaged_images.py");
            return in.readAllBytes();
        }
    }

    static JsonNode verdicts() throws IOException {
        return new ObjectMapper().readTree(resource("verdicts.json"));
    }

    /** The raw pixels in the layout of Pillow's {@code Image.tobytes()} for the 8-bit modes and P. */
    static String sha256(DecodedImage image) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image.pixels().bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Words the loader's refusal must contain, by the kind of damage Pillow names. */
    private static List<String> expectedWords(String file, String pillowMessage) {
        List<String> words = new ArrayList<>(List.of(file));
        if (pillowMessage.contains("exceeds limit")) {
            words.add("over the limit");
        } else if (pillowMessage.contains("truncated") || pillowMessage.contains("Truncated")) {
            words.add("truncated");
        } else if (pillowMessage.contains("broken data stream") || pillowMessage.contains("unrecognized data")
                || pillowMessage.contains("configuration")) {
            words.add("corrupt");
        }
        return words;
    }

    @Test
    void every_damaged_image_gets_pillows_verdict() throws IOException {
        JsonNode root = verdicts();
        ImageLoader loader = ImageLoader.defaults();
        ClipPreprocessor pre = ClipPreprocessor.builder().size(root.get("tensor_size").asInt()).build();
        List<String> failures = new ArrayList<>();
        int refused = 0;
        int accepted = 0;
        for (JsonNode c : root.get("cases")) {
            String file = c.get("file").asText();
            JsonNode pillow = c.get("pillow");
            byte[] bytes = resource(file);
            DecodedImage image;
            try {
                image = loader.decode(bytes, file);
            } catch (ImageDecodingException e) {
                if (pillow.get("verdict").asText().equals("accepted")) {
                    failures.add(file + " (" + c.get("damage").asText() + "): Pillow accepts it, the loader says: "
                            + e.getMessage());
                    continue;
                }
                refused++;
                if ((file.endsWith(".gif") || file.endsWith(".png")) && e.getMessage().startsWith("cannot decode image")) {
                    failures.add(file + ": the loader's own decoders say what is wrong, not: " + e.getMessage());
                }
                for (String w : expectedWords(file, pillow.get("message").asText())) {
                    if (!e.getMessage().contains(w)) {
                        failures.add(file + ": the refusal should say '" + w + "' (Pillow: "
                                + pillow.get("message").asText() + "): " + e.getMessage());
                    }
                }
                continue;
            } catch (RuntimeException e) {
                failures.add(file + ": raw " + e);
                continue;
            }
            if (pillow.get("verdict").asText().equals("refused")) {
                failures.add(file + " (" + c.get("damage").asText() + "): Pillow refuses it ("
                        + pillow.get("message").asText() + "), the loader decoded " + image);
                continue;
            }
            accepted++;
            String mode = pillow.get("mode").asText();
            int w = pillow.get("size").get(0).asInt();
            int h = pillow.get("size").get(1).asInt();
            if (!image.mode().equals(mode) || image.width() != w || image.height() != h) {
                failures.add(file + ": Pillow gives " + mode + " " + w + "x" + h + ", the loader " + image);
                continue;
            }
            boolean jpeg = file.endsWith(".jpg");
            if (!jpeg && !sha256(image).equals(pillow.get("sha256").asText())) {
                failures.add(file + " (" + c.get("damage").asText() + "): pixels differ from Pillow's");
            }
            byte[] ref = resource(pillow.get("tensor").asText());
            float[] expected = new float[ref.length / 4];
            ByteBuffer.wrap(ref).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(expected);
            double[] d = ClipPreprocessorGoldenTest.diff(expected, pre.preprocess(image));
            if (d[0] > (jpeg ? ONE_LEVEL : 0.0) || d[1] > (jpeg ? ClipPreprocessorGoldenTest.MEAN_ABS : 0.0)) {
                failures.add(file + ": CLIP tensor differs from Pillow's: max " + d[0] + ", mean " + d[1]);
            }
        }
        System.out.println("damaged images: " + refused + " refused and " + accepted + " accepted as Pillow does, "
                + failures.size() + " differ");
        assertTrue(failures.isEmpty(), failures.size() + " verdicts differ from Pillow's:\n" + String.join("\n", failures));
    }

    @Test
    void damage_pillow_decodes_through_is_reported_and_refused_in_strict_mode() throws IOException {
        ImageLoader lenient = ImageLoader.defaults();
        ImageLoader strict = ImageLoader.builder().strict(true).build();
        assertTrue(strict.strict());
        assertFalse(lenient.strict());
        List<String> damaged = new ArrayList<>();
        for (JsonNode c : verdicts().get("cases")) {
            if (!c.get("pillow").get("verdict").asText().equals("accepted")) {
                continue;
            }
            String file = c.get("file").asText();
            byte[] bytes = resource(file);
            List<String> damage = lenient.damageOf(bytes, file);
            if (damage.isEmpty()) {
                assertEquals(sha256(lenient.decode(bytes, file)), sha256(strict.decode(bytes, file)), file);
            } else {
                damaged.add(file);
                ImageDecodingException e = assertThrows(ImageDecodingException.class, () -> strict.decode(bytes, file),
                        file + " is damaged (" + damage + "): the strict loader must refuse it");
                assertTrue(e.getMessage().contains(file) && e.getMessage().contains("damaged")
                        && e.getMessage().contains(damage.get(0)) && e.getMessage().contains("strict"), e.getMessage());
            }
        }
        // Damage the decoders see: libjpeg's corrupt-data warnings, a zlib stream that ends early, wrong CRCs.
        // (Not jpeg_extraneous_bytes.jpg: the JDK's libjpeg stops after the last block and never reads the stray
        // bytes before EOI, so it cannot warn about them.)
        for (String file : List.of("jpeg_stray_restart_marker.jpg",
                "jpeg_scan_zeroed.jpg", "png_idat_data_short.png", "png_bad_crc_idat.png",
                "png_bad_crc_text_after_idat.png")) {
            assertTrue(damaged.contains(file), file + " should be reported as damaged; damaged: " + damaged);
        }
        for (String file : damaged) {
            assertFalse(file.contains("valid"), "an intact file is reported as damaged: " + file);
        }
    }

    @Test
    void mutated_corpus_files_fail_only_with_decoding_exceptions_that_say_what_is_wrong() throws IOException {
        // Bit flips and cuts of every small corpus file: the loader's own GIF and PNG decoders must describe what
        // they refuse (never the generic "cannot decode" that wraps an unexpected exception), and nothing escapes
        // as anything but an ImageDecodingException.
        ImageLoader loader = ImageLoader.defaults();
        Random rnd = new Random(12);
        List<String> failures = new ArrayList<>();
        for (JsonNode c : verdicts().get("cases")) {
            String file = c.get("file").asText();
            byte[] base = resource(file);
            if (base.length > 100_000) {
                continue;
            }
            for (int k = 0; k < 40; k++) {
                byte[] b = base.clone();
                for (int f = 1 + rnd.nextInt(8); f > 0; f--) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                byte[] mutated = rnd.nextInt(4) == 0 ? java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1)) : b;
                try {
                    loader.decode(mutated, file);
                } catch (ImageDecodingException e) {
                    if (e.getMessage().startsWith("cannot decode image") && (file.endsWith(".gif") || file.endsWith(".png"))) {
                        failures.add(file + " mutation " + k + ": " + e.getMessage());
                    }
                } catch (RuntimeException e) {
                    failures.add(file + " mutation " + k + ": raw " + e);
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
