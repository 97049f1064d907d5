package dev.decap.reliability.faults;

import dev.decap.DecapException;
import dev.decap.image.ImageLoader;
import dev.decap.memory.file.Corpus;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBanks;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.onnx.bundle.ModelBundle;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Reads under injected faults (an I/O error at each operation in turn, and short reads throughout): each read either
 * returns exactly what a healthy disk gives, or throws a library exception whose message names the file.
 */
class ReadFaultsTest {
    private static final FaultCounts COUNTS = new FaultCounts("reads");

    @TempDir
    Path tmp;

    @AfterAll
    static void report() {
        COUNTS.print();
    }

    /**
     * Runs {@code read} on the faulty file system with an I/O error at every operation it makes (and short reads),
     * comparing each result with the healthy one.
     */
    private <T> void atEveryOperation(String scenario, Path dir, String fileName, Function<Path, T> read) {
        T expected = read.apply(new FaultyFileSystem(dir, 0).root());
        // an I/O error at operation 1, 2, ... until a run gets through without one
        for (long at = 1, injected = 1; injected > 0; at++) {
            assertTrue(at < 100_000, scenario + " never completed");
            FaultyFileSystem fs = new FaultyFileSystem(dir, 1).failAt(at).shortIo(0.5);
            try {
                T found = read.apply(fs.root());
                assertEquals(expected, found, scenario + ": fault at operation " + at + " changed the result");
            } catch (DecapException e) {
                assertTrue(e.getMessage().contains(fileName), scenario + ": the message names " + fileName + ": "
                        + e.getMessage());
            } catch (RuntimeException e) {
                fail(scenario + ": fault at operation " + at + " let " + e + " escape", e);
            }
            COUNTS.record(scenario, fs);
            injected = fs.faultsInjected;
        }
    }

    @Test
    void bank_reads_under_faults_give_the_bank_or_name_the_file() throws IOException {
        BankWriteFaultsTest.writeBank(tmp.resolve("bank.dmb"), "entry", 200, 16, 4);
        atEveryOperation("MemoryBankFile.openVerified", tmp, "bank.dmb", root -> {
            try (MemoryBankFile bank = MemoryBankFile.openVerified(root.resolve("bank.dmb"))) {
                StringBuilder all = new StringBuilder(bank.contentSha256());
                for (int i = 0; i < bank.size(); i++) {
                    all.append(bank.caption(i)).append(java.util.Arrays.toString(bank.embedding(i)));
                    all.append(bank.metadata(i));
                }
                return all.toString();
            }
        });
    }

    @Test
    void shard_manifest_reads_under_faults_give_the_shards_or_name_the_file() throws IOException {
        BankWriteFaultsTest.writeBank(tmp.resolve("bank.dmb"), "entry", 50, 8, 6);
        MemoryBanks.split(tmp.resolve("bank.dmb"), 3, tmp.resolve("shards.json"));
        atEveryOperation("ShardedMemoryBank.open", tmp, "shards", root -> {
            try (ShardedMemoryBank bank = ShardedMemoryBank.open(root.resolve("shards.json"), true)) {
                StringBuilder all = new StringBuilder();
                for (int i = 0; i < bank.size(); i++) {
                    all.append(bank.caption(i)).append(java.util.Arrays.toString(bank.embedding(i)));
                }
                return all.toString();
            }
        });
    }

    @Test
    void corpus_reads_under_faults_give_the_captions_or_name_the_file() throws IOException {
        Files.writeString(tmp.resolve("corpus.jsonl"), "{\"caption\": \"a dog\"}\n".repeat(3000));
        atEveryOperation("Corpus.read", tmp, "corpus.jsonl", root -> Corpus.read(root.resolve("corpus.jsonl")));
    }

    @Test
    void image_reads_under_faults_give_the_pixels_or_name_the_file() throws IOException {
        Files.copy(Path.of("src/test/resources/dev/decap/reliability/fuzz/ImageLoaderFuzzTestInputs/"
                + "decoding_any_bytes_gives_pixels_or_an_image_decoding_exception/pil-cmyk_53x37.jpg"),
                tmp.resolve("photo.jpg"));
        atEveryOperation("ImageLoader.decode(Path)", tmp, "photo.jpg", root -> {
            float[] pixels = dev.decap.image.ClipPreprocessor.builder().size(16).build()
                    .preprocess(ImageLoader.defaults().decode(root.resolve("photo.jpg")));
            return java.util.Arrays.toString(pixels);
        });
    }

    @Test
    void bundle_reads_under_faults_give_the_bundle_or_name_the_file() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bundle"));
        for (String name : List.of("decap-bundle.json", "vocab.txt", "decoder.onnx", "text_encoder.onnx",
                "image_encoder.onnx", "decoder-int8.onnx", "decoder-int4.onnx", "image_encoder-int8.onnx")) {
            try (InputStream in = getClass().getClassLoader()
                    .getResourceAsStream("dev/decap/miniature/bundle/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        atEveryOperation("ModelBundle.open (verified)", tmp, "bundle", root -> {
            ModelBundle b = ModelBundle.open(root.resolve("bundle"), true);
            return b.name() + b.textEncoderIdentity() + b.maxTokens();
        });
    }
}
