package dev.decap.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build-time architecture rules (issue 7 item 6), read from the sources of every module of the repository:
 * <ul>
 *   <li>no Java file outside decap-core uses decap-core's {@code dev.decap.internal} packages (imports, fully
 *       qualified names, or a split package in another module);</li>
 *   <li>no package cycle among the packages of the ONNX, ND4J and examples modules, nor between any of them and
 *       decap-core (the modules stack: core &lt;- onnx &lt;- examples);</li>
 *   <li>within decap-core, the only cycles are those through the root package {@code dev.decap} (the captioner
 *       and the exception types every package uses) and between a package and its own {@code spi} sub-package.</li>
 * </ul>
 * Comments are stripped before reading references, so javadoc links do not count.
 */
class ArchitectureTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A reference to a type of decap: dotted lower-case package segments, then a capitalised type name. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.decap(?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z]");
    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    /** module directory name -> source files (main and test). */
    private static Map<String, List<Path>> sources() {
        Map<String, List<Path>> out = new TreeMap<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path m : modules.filter(p -> p.getFileName().toString().startsWith("decap-")).toList()) {
                Path src = m.resolve("src");
                if (!Files.isDirectory(src)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(src)) {
                    out.put(m.getFileName().toString(),
                            files.filter(f -> f.toString().endsWith(".java")).sorted().toList());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static String code(Path file) {
        try {
            return COMMENTS.matcher(Files.readString(file)).replaceAll(" ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String packageOf(String code) {
        Matcher m = PACKAGE.matcher(code);
        return m.find() ? m.group(1) : "";
    }

    @Test
    void nothing_outside_decap_core_uses_decap_cores_internal_packages() {
        Map<String, List<Path>> modules = sources();
        assertTrue(modules.containsKey("decap-core") && modules.containsKey("decap-onnx"),
                "expected the repository's modules beside decap-examples, found " + modules.keySet());
        List<String> offenders = new ArrayList<>();
        for (Map.Entry<String, List<Path>> module : modules.entrySet()) {
            if (module.getKey().equals("decap-core")) {
                continue;
            }
            for (Path f : module.getValue()) {
                String code = code(f);
                if (packageOf(code).startsWith("dev.decap.internal")) {
                    offenders.add(ROOT.relativize(f) + " (declares package " + packageOf(code) + ")");
                }
                Matcher m = REFERENCE.matcher(code);
                while (m.find()) {
                    if (m.group(1).equals("dev.decap.internal") || m.group(1).startsWith("dev.decap.internal.")) {
                        offenders.add(ROOT.relativize(f) + " (uses " + m.group(1) + ")");
                        break;
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "decap-core's internal packages are not API; make what is shared a "
                + "public spi class instead");
    }

    @Test
    void the_main_packages_have_no_cycle_except_through_the_root_package_or_an_own_spi() {
        Map<String, Set<String>> deps = new TreeMap<>();
        Map<String, String> moduleOf = new HashMap<>();
        for (Map.Entry<String, List<Path>> module : sources().entrySet()) {
            for (Path f : module.getValue()) {
                if (!f.toString().contains("/src/main/java/")) {
                    continue;
                }
                String code = code(f);
                String pkg = packageOf(code);
                moduleOf.put(pkg, module.getKey());
                Set<String> out = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(code);
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        out.add(m.group(1));
                    }
                }
            }
        }
        List<Set<String>> cycles = new ArrayList<>();
        for (Set<String> scc : stronglyConnected(deps)) {
            if (scc.size() > 1) {
                cycles.add(scc);
            }
        }
        List<String> forbidden = new ArrayList<>();
        for (Set<String> cycle : cycles) {
            boolean coreOnly = cycle.stream().allMatch(p -> "decap-core".equals(moduleOf.get(p)));
            if (!coreOnly) {
                forbidden.add("cycle across modules or outside decap-core: " + cycle);
                continue;
            }
        }
        // Inside decap-core: cycles are allowed only through the root package or between a package and its own
        // spi sub-package. Without those, the graph must be acyclic.
        Map<String, Set<String>> strict = new TreeMap<>();
        deps.forEach((a, out) -> {
            if (!a.equals("dev.decap")) {
                Set<String> kept = new TreeSet<>();
                for (String b : out) {
                    if (!b.equals("dev.decap") && !a.equals(b + ".spi") && !b.equals(a + ".spi")) {
                        kept.add(b);
                    }
                }
                strict.put(a, kept);
            }
        });
        for (Set<String> scc : stronglyConnected(strict)) {
            if (scc.size() > 1) {
                forbidden.add("cycle not through dev.decap nor an own spi: " + scc);
            }
        }
        assertEquals(List.of(), forbidden, "package cycles found; packages of " + deps.keySet());
    }

    @Test
    void the_cycle_finder_finds_a_planted_cycle_such_as_bundle_and_decoding_importing_each_other() {
        Map<String, Set<String>> planted = new TreeMap<>();
        planted.put("dev.decap.onnx.bundle", Set.of("dev.decap.onnx.decoding", "dev.decap"));
        planted.put("dev.decap.onnx.decoding", Set.of("dev.decap.onnx.bundle"));
        planted.put("dev.decap", Set.of());
        List<Set<String>> sccs = stronglyConnected(planted);
        assertTrue(sccs.contains(Set.of("dev.decap.onnx.bundle", "dev.decap.onnx.decoding")), sccs.toString());
        assertTrue(sccs.contains(Set.of("dev.decap")), sccs.toString());
    }

    /** Tarjan's strongly connected components. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> deps) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : deps.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, deps, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> deps, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<Set<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : deps.getOrDefault(v, Set.of())) {
            if (!deps.containsKey(w)) {
                continue; // a package of another library, or one without main sources
            }
            if (!index.containsKey(w)) {
                connect(w, deps, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> scc = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                scc.add(w);
            } while (!w.equals(v));
            out.add(scc);
        }
    }
}
