package dev.decap.internal.kernels;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which kernels a JVM gets, each in a fresh JVM (the choice is made once per JVM): the vector kernels with the
 * module, the scalar ones without it, with {@code -Ddecap.vector=false}, and where the CPU's vectors are narrower
 * than 256 bits (simulated with {@code -XX:MaxVectorSize=16}); the reason is in the description, and no warning is
 * logged for any of these.
 */
class VectorKernelsSelectionTest {

    /** Prints the kernels' description (run in the child JVMs). */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) {
            System.out.println("kernels: " + VectorKernels.description());
        }
    }

    private static String run(String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(jvmOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Probe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String kernels(String output) {
        return output.lines().filter(l -> l.startsWith("kernels: ")).findFirst().orElseThrow().substring(9);
    }

    @Test
    void each_jvm_gets_the_kernels_its_options_allow_and_says_why() throws Exception {
        assertEquals("jdk.incubator.vector (256-bit)", kernels(run("--add-modules", "jdk.incubator.vector")));
        String without = kernels(run());
        assertTrue(without.startsWith("scalar (start the JVM with --add-modules jdk.incubator.vector"), without);
        assertEquals("scalar (-Ddecap.vector=false)",
                kernels(run("--add-modules", "jdk.incubator.vector", "-Ddecap.vector=false")));
        String narrow = run("--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=16");
        assertEquals("scalar (this CPU's vectors are 128 bits wide; the vector kernels need 256)", kernels(narrow));
        assertFalse(narrow.contains("not using the vector kernels"), narrow);
    }
}
