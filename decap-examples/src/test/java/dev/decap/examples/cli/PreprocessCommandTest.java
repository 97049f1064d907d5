package dev.decap.examples.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreprocessCommandTest {

    static Path golden() {
        Path dir = Path.of(System.getProperty("decap.shared.dir", "../shared"), "data", "golden");
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("preprocessed")),
                "../shared/data not found: " + dir.toAbsolutePath() + " (set -Ddecap.shared.dir)");
        return dir;
    }

    static float[] readF32(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Runs the CLI in-process; returns {exit code, stdout, stderr}. */
    static Object[] run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = DecapCli.execute(args);
            return new Object[] {code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void preprocess_writes_the_reference_tensor_for_a_golden_image(@TempDir Path tmp) throws IOException {
        Path dir = golden();
        for (String[] c : new String[][] {{"000000190756.jpg", "224"}, {"000000190756.jpg", "336"},
                {"rgba_256x320.png", "224"}}) {
            Path out = tmp.resolve(c[0] + "_" + c[1] + ".f32");
            Object[] r = run("preprocess", dir.resolve("images").resolve(c[0]).toString(), "--size", c[1],
                    "--out", out.toString());
            assertEquals(0, r[0], "exit code; stderr: " + r[2]);
            assertTrue(((String) r[1]).contains("\"shape\":[3," + c[1] + "," + c[1] + "]"), (String) r[1]);
            String ref = c[0].replace(".jpg", "").replace(".png", "") + "_" + c[1] + ".f32";
            assertArrayEquals(readF32(dir.resolve("preprocessed").resolve(ref)), readF32(out),
                    "tensor of " + c[0] + " at " + c[1]);
        }
    }

    @Test
    void mean_and_std_options_change_the_normalisation(@TempDir Path tmp) throws IOException {
        Path dir = golden();
        Path image = dir.resolve("images").resolve("exact_224x224.png");
        Path unit = tmp.resolve("unit.f32");
        Object[] r = run("preprocess", image.toString(), "--out", unit.toString(), "--mean", "0,0,0",
                "--std", "1,1,1");
        assertEquals(0, r[0], (String) r[2]);
        float[] plain = readF32(unit);
        float[] clip = readF32(dir.resolve("preprocessed").resolve("exact_224x224_224.f32"));
        float[] mean = {0.48145466f, 0.4578275f, 0.40821073f};
        float[] std = {0.26862954f, 0.26130258f, 0.27577711f};
        int plane = 224 * 224;
        for (int i = 0; i < plain.length; i += 101) {
            int c = i / plane;
            assertTrue(plain[i] >= 0f && plain[i] <= 1f, "unnormalised values lie in [0, 1]");
            assertEquals(clip[i], (plain[i] - mean[c]) / std[c], 1e-6f);
        }
    }

    @Test
    void bad_input_exits_non_zero_with_one_line_and_no_stack_trace(@TempDir Path tmp) throws IOException {
        Path junk = tmp.resolve("junk.jpg");
        Files.write(junk, "this is not an image".getBytes(StandardCharsets.UTF_8));
        Path out = tmp.resolve("o.f32");
        for (String[] args : new String[][] {
                {"preprocess", junk.toString(), "--out", out.toString()},
                {"preprocess", tmp.resolve("missing.png").toString(), "--out", out.toString()},
                {"preprocess", junk.toString(), "--out", out.toString(), "--mean", "0.1,0.2"},
                {"preprocess", junk.toString(), "--out", out.toString(), "--size", "0"}}) {
            Object[] r = run(args);
            String err = ((String) r[2]).strip();
            assertNotEquals(0, r[0], "exit code for " + String.join(" ", args));
            assertEquals(1, err.lines().count(), "one line on stderr: " + err);
            assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace: " + err);
            assertTrue(err.startsWith("error: "), err);
        }
        assertFalse(Files.exists(out), "nothing written on failure");
    }
}
