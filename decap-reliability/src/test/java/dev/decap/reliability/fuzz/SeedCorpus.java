package dev.decap.reliability.fuzz;

import dev.decap.memory.file.VectorType;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

/**
 * Writes the committed seed corpus of the fuzz targets (tiny files) into
 * {@code src/test/resources/dev/decap/reliability/fuzz/<Target>Inputs/<method>/}. Re-run after a format change:
 *
 * <pre>
 * ./mvnw -B -q -o -pl decap-reliability -am test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
 * java -cp "$(cat decap-reliability/target/test-classpath.txt):decap-reliability/target/test-classes" \
 *     dev.decap.reliability.fuzz.SeedCorpus .
 * </pre>
 *
 * Inputs the fuzzer found (crashers, once fixed) are kept next to these, named {@code crash-*}.
 */
public final class SeedCorpus {
    private SeedCorpus() {
    }

    public static void main(String[] args) throws IOException {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path inputs = repo.resolve("decap-reliability/src/test/resources/dev/decap/reliability/fuzz");

        Path images = dir(inputs, "ImageLoaderFuzzTest", "decoding_any_bytes_gives_pixels_or_an_image_decoding_exception");
        write(images.resolve("rgb_7x5.png"), image(BufferedImage.TYPE_INT_RGB, 7, 5, "png"));
        write(images.resolve("rgba_6x4.png"), image(BufferedImage.TYPE_INT_ARGB, 6, 4, "png"));
        write(images.resolve("gray_5x3.png"), image(BufferedImage.TYPE_BYTE_GRAY, 5, 3, "png"));
        write(images.resolve("palette_6x6.png"), palette("png"));
        write(images.resolve("palette_6x6.gif"), palette("gif"));
        write(images.resolve("rgb_8x8.jpg"), image(BufferedImage.TYPE_INT_RGB, 8, 8, "jpg"));
        write(images.resolve("gray_9x7.jpg"), image(BufferedImage.TYPE_BYTE_GRAY, 9, 7, "jpg"));
        write(images.resolve("rgb_5x3.bmp"), image(BufferedImage.TYPE_INT_RGB, 5, 3, "bmp"));
        Path pil = repo.resolve("decap-core/src/test/resources/dev/decap/image/pil-cases");
        for (String name : List.of("cmyk_53x37.jpg", "ycck_53x37.jpg", "rgb_adobe_53x37.jpg", "frame_offset_40x30.gif",
                "gray16_13x9.png", "pal8trns_19x13.png", "bw1_53x37.bmp")) {
            Files.copy(pil.resolve(name), images.resolve("pil-" + name),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        Path manifests = dir(inputs, "BundleManifestFuzzTest", "any_manifest_opens_or_is_refused_with_a_model_exception");
        Files.copy(repo.resolve("decap-onnx/src/test/resources/fixtures/tiny/decap-bundle.json"),
                manifests.resolve("tiny.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(repo.resolve("decap-onnx/src/test/resources/fixtures/official-layout/decap-bundle.json"),
                manifests.resolve("official-layout.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(repo.resolve("decap-miniature/src/main/resources/dev/decap/miniature/bundle/decap-bundle.json"),
                manifests.resolve("miniature.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        for (String method : List.of("any_file_opens_and_reads_or_is_refused_as_corrupt",
                "a_file_with_valid_checksums_but_any_structure_is_read_or_refused")) {
            Path banks = dir(inputs, "MemoryBankFileFuzzTest", method);
            FuzzFixtures.writeBank(banks.resolve("fp32_d4_n3.dmb"), 4, VectorType.FP32, false, 3);
            FuzzFixtures.writeBank(banks.resolve("fp16_d3_n6_metadata.dmb"), 3, VectorType.FP16, true, 6);
            FuzzFixtures.writeBank(banks.resolve("fp32_d2_n9.dmb"), 2, VectorType.FP32, true, 9);
        }

        Path corpora = dir(inputs, "CorpusFuzzTest", "any_corpus_file_is_read_or_refused");
        write(corpora.resolve("captions.txt"), "a dog runs\n\n  two cats  \r\nein Hund\n".getBytes(StandardCharsets.UTF_8));
        write(corpora.resolve("coco.json"), ("{\"annotations\": [{\"id\": 1, \"caption\": \"a dog\"}, "
                + "{\"caption\": \"a cat \\u00e9\"}]}").getBytes(StandardCharsets.UTF_8));
        write(corpora.resolve("captions.jsonl"), "{\"caption\": \"a dog\"}\n{\"caption\": \"two cats\", \"id\": 2}\n"
                .getBytes(StandardCharsets.UTF_8));

        Path shards = dir(inputs, "ShardManifestFuzzTest", "any_shard_manifest_opens_its_shards_or_is_refused");
        Path tmp = Files.createTempDirectory("decap-seeds");
        try {
            write(shards.resolve("split-2.json"), Files.readAllBytes(FuzzFixtures.writeShards(tmp)));
        } finally {
            Scratch.deleteTree(tmp);
        }
    }

    private static Path dir(Path inputs, String target, String method) throws IOException {
        return Files.createDirectories(inputs.resolve(target + "Inputs").resolve(method));
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes);
    }

    private static byte[] image(int type, int w, int h, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, type);
        Graphics2D g = img.createGraphics();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                g.setColor(new Color((x * 40) % 256, (y * 60) % 256, ((x + y) * 25) % 256, 128 + (x * 16) % 128));
                g.fillRect(x, y, 1, 1);
            }
        }
        g.dispose();
        return encode(img, format);
    }

    private static byte[] palette(String format) throws IOException {
        byte[] r = {0, (byte) 255, 0, 0};
        byte[] gr = {0, 0, (byte) 255, 0};
        byte[] b = {0, 0, 0, (byte) 255};
        BufferedImage img = new BufferedImage(6, 6, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(2, 4, r, gr, b));
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 6; x++) {
                img.getRaster().setSample(x, y, 0, (x + y) % 4);
            }
        }
        return encode(img, format);
    }

    private static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no ImageIO writer for " + format);
        }
        return out.toByteArray();
    }
}
