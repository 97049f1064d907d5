package dev.decap.examples.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shaded {@code decap.jar} run as a user runs it: {@code java -jar decap.jar preprocess ...}. */
class PreprocessCliIT {

    private static String[] java(Path tmp, String... args) throws IOException, InterruptedException {
        Path jar = Path.of("target", "decap.jar");
        Assumptions.assumeTrue(Files.isRegularFile(jar), "target/decap.jar not built; run mvn verify");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("stdout.txt");
        Path err = tmp.resolve("stderr.txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "decap.jar did not finish");
        return new String[] {Integer.toString(p.exitValue()), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8)};
    }

    @Test
    void the_jar_writes_the_reference_tensor_and_fails_cleanly_on_bad_input(@TempDir Path tmp) throws Exception {
        Path dir = PreprocessCommandTest.golden();
        Path out = tmp.resolve("t.f32");
        String[] ok = java(tmp, "preprocess", dir.resolve("images/progressive_500x375.jpg").toString(),
                "--size", "224", "--out", out.toString());
        assertEquals("0", ok[0], ok[2]);
        assertArrayEquals(PreprocessCommandTest.readF32(dir.resolve("preprocessed/progressive_500x375_224.f32")),
                PreprocessCommandTest.readF32(out));

        Path junk = tmp.resolve("junk.png");
        Files.write(junk, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0});
        String[] bad = java(tmp, "preprocess", junk.toString(), "--out", tmp.resolve("x.f32").toString());
        assertNotEquals("0", bad[0]);
        String err = bad[2].strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("error: ") && err.contains("junk.png"), err);
        assertFalse(err.contains("\tat "), err);
    }
}
