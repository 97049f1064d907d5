package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode lastJsonLine(String out) throws IOException {
        String[] lines = out.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    private Path cocoCorpus(int count) throws IOException {
        JsonNode annotations = JSON.readTree(CliRun.shared().resolve("coco/captions_val2017.json").toFile())
                .get("annotations");
        StringBuilder sb = new StringBuilder("{\"annotations\": [");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"caption\": ")
                    .append(JSON.writeValueAsString(annotations.get(i).get("caption").asText())).append("}");
        }
        return Files.writeString(dir.resolve("corpus.json"), sb.append("]}").toString());
    }

    @Test
    void build_info_and_verify_a_bank_and_name_the_section_of_a_corruption() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path vocab = CliRun.shared().resolve("clip");
        Path corpus = cocoCorpus(300);
        Path bank = dir.resolve("coco.dmb");
        CliRun build = CliRun.of("memory", "build", "--bundle", bundle.toString(), "--vocab", vocab.toString(),
                "--corpus", corpus.toString(), "--out", bank.toString(), "--dtype", "fp16", "--resume",
                "--batch", "64", "--chunk", "128");
        assertEquals(0, build.exitCode(), build.err());
        assertTrue(build.err().contains("encoded"), build.err());
        assertFalse(Files.exists(dir.resolve("coco.dmb.partial")));

        CliRun info = CliRun.of("memory", "info", bank.toString(), "--json");
        assertEquals(0, info.exitCode(), info.err());
        JsonNode o = lastJsonLine(info.out());
        assertEquals(64, o.get("dimension").asInt());
        assertEquals("fp16", o.get("dtype").asText());
        assertEquals("tiny-random", o.get("encoder").get("name").asText());
        assertEquals("054e194cb1638996a0178bbd84d217e6c87f5ec5a3be3575ab902125d3dff71f",
                o.get("encoder").get("text_model_sha256").asText());
        assertEquals(64, o.get("content_sha256").asText().length());
        assertTrue(o.get("count").asInt() > 250 && o.get("count").asInt() <= 300);
        assertEquals(lastJsonLine(build.out()), o);

        CliRun verify = CliRun.of("memory", "verify", bank.toString());
        assertEquals(0, verify.exitCode(), verify.err());
        assertTrue(lastJsonLine(verify.out()).get("ok").asBoolean());

        byte[] bytes = Files.readAllBytes(bank);
        bytes[bytes.length - 3] ^= 0x20; // inside the captions
        Path bad = Files.write(dir.resolve("bad.dmb"), bytes);
        CliRun failed = CliRun.of("memory", "verify", bad.toString());
        assertEquals(1, failed.exitCode());
        String[] errLines = failed.err().strip().split("\n");
        assertEquals(1, errLines.length, failed.err());
        assertTrue(errLines[0].contains(bad.toString()) && errLines[0].contains("section \"captions\""),
                errLines[0]);

        CliRun notABank = CliRun.of("memory", "info", corpus.toString());
        assertEquals(1, notABank.exitCode());
        assertTrue(notABank.err().contains("not a decap memory bank"), notABank.err());
    }

    @Test
    void build_refuses_an_empty_or_missing_corpus_with_one_line_and_verify_a_missing_bank() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n  \n");
        CliRun run = CliRun.of("memory", "build", "--bundle", dir.toString(), "--corpus", empty.toString(), "--out",
                dir.resolve("b.dmb").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().strip().startsWith("error: corpus") && run.err().contains("no captions"), run.err());
        CliRun missing = CliRun.of("memory", "build", "--bundle", dir.toString(), "--corpus",
                dir.resolve("nope.jsonl").toString(), "--out", dir.resolve("b.dmb").toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        CliRun dtype = CliRun.of("memory", "build", "--bundle", dir.toString(), "--corpus", empty.toString(),
                "--out", dir.resolve("b.dmb").toString(), "--dtype", "int4");
        assertEquals(2, dtype.exitCode(), dtype.err());
        CliRun verify = CliRun.of("memory", "verify", dir.resolve("none.dmb").toString());
        assertEquals(1, verify.exitCode());
        assertEquals(1, verify.err().strip().split("\n").length, verify.err());
        assertFalse(Files.exists(dir.resolve("b.dmb")));
    }

    @Test
    void caption_refuses_a_bank_from_another_text_encoder() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path vocab = CliRun.shared().resolve("clip");
        Path bank = dir.resolve("foreign.dmb");
        Random r = new Random(1);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(bank).dimension(64)
                .encoder(new EncoderIdentity("another-bundle", "12".repeat(32))).build()) {
            float[] v = new float[64];
            for (int i = 0; i < 64; i++) {
                v[i] = (float) r.nextGaussian();
            }
            w.add("a caption", v);
            w.commit();
        }
        CliRun run = CliRun.of("caption", "--bundle", bundle.toString(), "--vocab", vocab.toString(), "--bank",
                bank.toString(), dir.resolve("x.jpg").toString());
        assertEquals(1, run.exitCode());
        assertTrue(run.err().contains("another-bundle") && run.err().contains("rebuild the bank"), run.err());
        CliRun both = CliRun.of("caption", "--bundle", bundle.toString(), "--bank", bank.toString(), "--memory",
                bank.toString(), dir.resolve("x.jpg").toString());
        assertEquals(2, both.exitCode(), both.err());
    }

    @Test
    void a_bank_of_the_25k_coco_captions_captions_exactly_like_the_in_ram_memory() throws IOException {
        Path bundle = CliRun.fixture("tiny/decap-bundle.json").getParent();
        Path data = CliRun.shared();
        Path vocab = data.resolve("clip");
        Path corpus = data.resolve("coco/captions_val2017.json");
        Path bank = dir.resolve("coco.dmb");
        CliRun build = CliRun.of("memory", "build", "--bundle", bundle.toString(), "--vocab", vocab.toString(),
                "--corpus", corpus.toString(), "--out", bank.toString());
        assertEquals(0, build.exitCode(), build.err());
        assertEquals(0, CliRun.of("memory", "verify", bank.toString()).exitCode());

        // the same captions the bank holds (normalised, duplicates removed), as a --memory file
        JsonNode annotations = JSON.readTree(corpus.toFile()).get("annotations");
        LinkedHashSet<String> unique = new LinkedHashSet<>();
        for (JsonNode a : annotations) {
            unique.add(MemoryBankWriter.normalizeCaption(a.get("caption").asText()));
        }
        try (MemoryBankFile b = MemoryBankFile.open(bank)) {
            assertEquals(unique.size(), b.size());
            assertTrue(unique.size() > 24_000, "the 25k COCO val captions, found " + unique.size());
        }
        Path memory = Files.write(dir.resolve("memory.txt"), new ArrayList<>(unique));

        JsonNode golden = JSON.readTree(CliRun.fixture("golden/pipeline_tiny.json").toFile());
        List<String> images = new ArrayList<>();
        for (JsonNode image : golden.get("images")) {
            images.add(data.resolve(image.get("image").asText()).toString());
        }
        List<String> withBank = new ArrayList<>(List.of("caption", "--bundle", bundle.toString(), "--vocab",
                vocab.toString(), "--bank", bank.toString()));
        withBank.addAll(images);
        List<String> inRam = new ArrayList<>(List.of("caption", "--bundle", bundle.toString(), "--vocab",
                vocab.toString(), "--memory", memory.toString()));
        inRam.addAll(images);
        CliRun a = CliRun.of(withBank.toArray(String[]::new));
        CliRun b = CliRun.of(inRam.toArray(String[]::new));
        assertEquals(0, a.exitCode(), a.err());
        assertEquals(0, b.exitCode(), b.err());
        assertEquals(images.size(), a.out().strip().split("\n").length);
        assertEquals(b.out(), a.out(), "a bank file must caption exactly like the in-RAM memory");
    }
}
