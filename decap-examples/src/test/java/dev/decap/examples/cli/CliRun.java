package dev.decap.examples.cli;

import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the CLI in-process, capturing standard output and error. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = DecapCli.execute(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** decap-onnx's test fixtures; skips when a needed one has not been generated. */
    static Path fixture(String relative) {
        Path p = Path.of("..", "decap-onnx", "src", "test", "resources", "fixtures", relative).toAbsolutePath()
                .normalize();
        Assumptions.assumeTrue(Files.exists(p), "fixture not found: " + p + " (generate with tools/make_fixtures.py)");
        return p;
    }

    static Path shared() {
        Path p = Path.of(System.getProperty("decap.shared.dir", "../shared")).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(p.resolve("data")), "../shared/data not found: " + p.resolve("data"));
        return p.resolve("data");
    }
}
