package dev.decap.examples.reliability;

import dev.decap.DeCap;
import dev.decap.DecapException;
import dev.decap.InvalidInputException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.eval.CaptionMetrics;
import dev.decap.image.ClipPreprocessor;
import dev.decap.image.ImageLoader;
import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.miniature.Miniature;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.projection.Projectors;
import dev.decap.tokenization.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, one exception story: every public constructor and method of the public API of decap-core, decap-onnx,
 * decap-lucene, decap-eval and decap-miniature is called with null for each reference parameter in turn (the others
 * given sample values). A null must either be accepted because the parameter is documented as nullable
 * ({@link #NULLABLE}, and builder setters, where null means "not set") or be refused with an
 * {@link InvalidInputException} whose message names the parameter. Never a bare {@link NullPointerException} or any
 * other exception. The test reports how many calls it made.
 */
class NullPolicyTest {
    /** Documented nullable parameters: "Class#method(parameter)" (constructors as "Class#new(parameter)"). */
    private static final Set<String> NULLABLE = Set.of(
            "DeCap#withMemoryBank(bank)",                  // no memory, for a projector that reads none
            "Caption#new(text)",                           // no text without a tokenizer
            "DecodedCaption#new(text)",
            "DecodedSequence#new(text)",
            "SearchConstraints#new(masked)",               // masks nothing
            "BuildProgress#new(remaining)",                // not known yet
            "Projector#project(memory)",                   // a projector that reads no memory (visual decoding)
            "Projector#projectAll(memory)",
            "IdentityProjector#project(memory)",
            "BundleTokenizers#load(vocabulary)",           // the bundle directory
            "ModelBundle#findVocabulary(userPath)",
            "ClipLayout#detect(fileName)",                 // the file name is a hint
            "Vectors#isUnit(v)",                           // a predicate: null is not a unit vector
            "MemoryBankWriter#add(metadata)",              // none
            "ModelBundle#file(precision)",                 // null asks for the default file
            "ModelBundle#precision(requested)",
            "ModelBundle#requirePrecision(requested)");    // nothing requested, nothing to check

    @TempDir
    static Path dir;

    private static final Map<Class<?>, Object> SAMPLES = new LinkedHashMap<>();
    private static final List<AutoCloseable> OPENED = new ArrayList<>();

    @BeforeAll
    static void samples() throws IOException {
        Path text = Files.writeString(dir.resolve("sample.txt"), "a red circle\n");
        SAMPLES.put(String.class, "a");
        SAMPLES.put(CharSequence.class, "a");
        SAMPLES.put(Object.class, "a");
        SAMPLES.put(Path.class, text);
        SAMPLES.put(float[].class, new float[] {1, 0, 0});
        SAMPLES.put(int[].class, new int[] {1});
        SAMPLES.put(long[].class, new long[] {1});
        SAMPLES.put(double[].class, new double[] {1});
        SAMPLES.put(byte[].class, new byte[] {1, 2});
        SAMPLES.put(float[][].class, new float[][] {{1, 0, 0}});
        SAMPLES.put(String[].class, new String[] {"a"});
        SAMPLES.put(List.class, List.of());
        SAMPLES.put(Collection.class, List.of());
        SAMPLES.put(Iterable.class, List.of());
        SAMPLES.put(Map.class, Map.of());
        SAMPLES.put(Set.class, Set.of());
        SAMPLES.put(Integer.class, 1);
        SAMPLES.put(Long.class, 1L);
        SAMPLES.put(Float.class, 1f);
        SAMPLES.put(Double.class, 1d);
        SAMPLES.put(Boolean.class, Boolean.TRUE);
        SAMPLES.put(InputStream.class, new ByteArrayInputStream(new byte[] {1, 2}));
        SAMPLES.put(BufferedImage.class, new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB));
        SAMPLES.put(java.time.Duration.class, java.time.Duration.ofSeconds(1));
        SAMPLES.put(DecodingOptions.class, DecodingOptions.DEFAULT);
        SAMPLES.put(ImageLoader.class, ImageLoader.defaults());
        SAMPLES.put(ClipPreprocessor.class, ClipPreprocessor.builder().build());
        SAMPLES.put(OnnxOptions.class, OnnxOptions.DEFAULT);
        InMemoryMemoryBank bank = InMemoryMemoryBank.builder().dimension(3)
                .add("a", new float[] {1, 0, 0}).add("b", new float[] {0, 1, 0}).build();
        SAMPLES.put(InMemoryMemoryBank.class, bank);
        SAMPLES.put(MemoryBank.class, bank);
        SAMPLES.put(dev.decap.projection.Projector.class, Projectors.nearestNeighbour());
        SAMPLES.put(dev.decap.projection.ProjectionDecoding.class, Projectors.pureJavaProjectionDecoding(
                dev.decap.projection.ProjectionSettings.DEFAULT));
        SAMPLES.put(dev.decap.projection.IdentityProjector.class, Projectors.visual());
        SAMPLES.put(dev.decap.memory.BlockConsumer.class, (dev.decap.memory.BlockConsumer) (f, r, d, o) -> { });
        SAMPLES.put(dev.decap.memory.ProgressListener.class, (dev.decap.memory.ProgressListener) (d, t) -> { });
        SAMPLES.put(dev.decap.memory.file.BuildProgress.Listener.class, dev.decap.memory.file.BuildProgress.Listener.NONE);
        SAMPLES.put(java.util.concurrent.Executor.class, (java.util.concurrent.Executor) Runnable::run);
        dev.decap.memory.file.EncoderIdentity identity = new dev.decap.memory.file.EncoderIdentity("test", "0".repeat(64));
        SAMPLES.put(dev.decap.memory.file.EncoderIdentity.class, identity);
        Path bankFile = dir.resolve("sample.dmb");
        try (dev.decap.memory.file.MemoryBankWriter w = dev.decap.memory.file.MemoryBankWriter.builder()
                .output(bankFile).dimension(3).encoder(identity).build()) {
            w.add("a", new float[] {1, 0, 0});
            w.add("b", new float[] {0, 1, 0});
            w.commit();
        }
        dev.decap.memory.file.MemoryBankFile bankOnDisk = dev.decap.memory.file.MemoryBankFile.open(bankFile);
        OPENED.add(bankOnDisk);
        SAMPLES.put(dev.decap.memory.file.MemoryBankFile.class, bankOnDisk);
        dev.decap.memory.file.MemoryBankWriter writer = dev.decap.memory.file.MemoryBankWriter.builder()
                .output(dir.resolve("open.dmb")).dimension(3).encoder(identity).build();
        OPENED.add(writer);
        SAMPLES.put(dev.decap.memory.file.MemoryBankWriter.class, writer);
        LuceneMemoryBank lucene = LuceneMemoryBank.builder().directory(dir.resolve("lucene")).build(bank);
        OPENED.add(lucene);
        SAMPLES.put(LuceneMemoryBank.class, lucene);
        Path clipVocab = Path.of(System.getProperty("decap.shared.dir", "../shared"))
                .resolve("data/clip/bpe_simple_vocab_16e6.txt.gz");
        if (Files.isRegularFile(clipVocab)) {
            SAMPLES.put(dev.decap.tokenization.ClipTokenizer.class,
                    dev.decap.tokenization.ClipTokenizer.fromOpenAiVocabulary(clipVocab));
        }
        if (Miniature.isAvailable()) {
            Path bundleDir = Miniature.bundleDirectory();
            ModelBundle bundle = ModelBundle.open(bundleDir);
            SAMPLES.put(ModelBundle.class, bundle);
            DecapModel model = OnnxDeCap.fromBundle(bundleDir).load();
            OPENED.add(model);
            SAMPLES.put(DecapModel.class, model);
            SAMPLES.put(Tokenizer.class, model.tokenizer().orElseThrow());
            DeCap decap = Miniature.captioner();
            OPENED.add(decap);
            SAMPLES.put(DeCap.class, decap);
            model.imageEncoder().ifPresent(e -> {
                SAMPLES.put(e.getClass(), e);
                SAMPLES.put(dev.decap.encoding.ImageEncoder.class, e);
            });
            model.textEncoder().ifPresent(e -> {
                SAMPLES.put(e.getClass(), e);
                SAMPLES.put(dev.decap.encoding.TextEncoder.class, e);
            });
            model.decoder().ifPresent(d -> {
                SAMPLES.put(d.getClass(), d);
                SAMPLES.put(dev.decap.decoding.CaptionDecoder.class, d);
                SAMPLES.put(dev.decap.decoding.LanguageModel.class, d.languageModel());
                SAMPLES.put(d.languageModel().getClass(), d.languageModel());
            });
        }
    }

    @AfterAll
    static void close() throws Exception {
        for (AutoCloseable c : OPENED) {
            c.close();
        }
    }

    /** The public top-level and nested classes of the modules' public packages. */
    private static List<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> anchor : List.of(DeCap.class, OnnxDeCap.class, LuceneMemoryBank.class, CaptionMetrics.class,
                Miniature.class)) {
            Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> entries = new ArrayList<>();
            if (Files.isDirectory(root)) {
                try (Stream<Path> files = Files.walk(root)) {
                    files.forEach(f -> entries.add(root.relativize(f).toString().replace('\\', '/')));
                }
            } else {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                    jar.stream().forEach(e -> entries.add(e.getName()));
                }
            }
            for (String f : entries.stream().filter(p -> p.endsWith(".class")).sorted().toList()) {
                String name = f.replace('/', '.').replace(".class", "");
                if (name.contains(".internal.") || name.endsWith("package-info") || name.endsWith("module-info")
                        || name.contains("$$")) {
                    continue;
                }
                Class<?> c = Class.forName(name, false, anchor.getClassLoader());
                if (isApi(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isSynthetic()) {
                return false;
            }
        }
        return true;
    }

    /** A receiver for instance methods of {@code c}, or null when the test cannot make one. */
    private static Object receiver(Class<?> c) {
        Object sample = sample(c);
        if (sample != null) {
            return sample;
        }
        try {
            if (c.getSimpleName().equals("Builder") && c.getEnclosingClass() != null) {
                Method builder = c.getEnclosingClass().getMethod("builder");
                if (Modifier.isStatic(builder.getModifiers()) && builder.getReturnType() == c) {
                    return builder.invoke(null);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
        return null;
    }

    private static Object sample(Class<?> type) {
        Object s = SAMPLES.get(type);
        if (s != null) {
            return s;
        }
        if (type.isEnum() && type.getEnumConstants().length > 0) {
            return type.getEnumConstants()[0];
        }
        for (Map.Entry<Class<?>, Object> e : SAMPLES.entrySet()) {
            if (type != Object.class && (type.isAssignableFrom(e.getKey()) || type.isInstance(e.getValue()))) {
                return e.getValue();
            }
        }
        return null;
    }

    private static Object primitive(Class<?> t) {
        if (t == boolean.class) {
            return true;
        } else if (t == char.class) {
            return 'a';
        } else if (t == byte.class) {
            return (byte) 1;
        } else if (t == short.class) {
            return (short) 1;
        } else if (t == int.class) {
            return 1;
        } else if (t == long.class) {
            return 1L;
        } else if (t == float.class) {
            return 1f;
        }
        return 1d;
    }

    private static boolean isBuilderSetter(Executable m) {
        return m instanceof Method method && method.getDeclaringClass().getSimpleName().equals("Builder")
                && method.getReturnType() == method.getDeclaringClass();
    }

    /** "InMemoryMemoryBank.Builder": the class's name inside its package. */
    private static String nestedName(Class<?> c) {
        return c.getEnclosingClass() == null ? c.getSimpleName() : nestedName(c.getEnclosingClass()) + "."
                + c.getSimpleName();
    }

    private static boolean skipped(Class<?> c, Executable m) {
        if (c == dev.decap.spi.Arguments.class) {
            return true;   // the policy itself: its value parameter is what it checks
        }
        if (c == dev.decap.memory.BlockConsumer.class || c == dev.decap.memory.ProgressListener.class
                || c == dev.decap.memory.file.BuildProgress.Listener.class) {
            return true;   // callbacks the caller implements (the receiver here is the test's own lambda)
        }
        if (Throwable.class.isAssignableFrom(c)) {
            return true;   // exceptions take a null message or cause, as every Java exception does
        }
        if (c.isEnum() && m instanceof Method e && e.getName().equals("valueOf")) {
            return true;   // the compiler's Enum.valueOf
        }
        if (m instanceof Method method) {
            String n = method.getName();
            if (method.isSynthetic() || method.isBridge() || method.getDeclaringClass() == Object.class
                    || n.equals("equals") || n.equals("compareTo") || n.equals("main")) {
                return true;   // equals(null) is false by contract; main is a program
            }
            if (method.getDeclaringClass() != c) {
                return true;   // probed on the class that declares it
            }
        }
        // records of parsed JSON (absent members are null by design)
        return c.getName().startsWith("dev.decap.onnx.bundle.BundleManifest");
    }

    @Test
    void every_public_method_refuses_null_with_invalid_input_naming_the_parameter_or_documents_it_as_nullable()
            throws Exception {
        List<String> wrong = new ArrayList<>();
        Set<String> uncovered = new TreeSet<>();
        int calls = 0;
        int refused = 0;
        int inconclusive = 0;
        for (Class<?> c : apiClasses()) {
            List<Executable> members = new ArrayList<>(List.of(c.getDeclaredMethods()));
            if (!Modifier.isAbstract(c.getModifiers())) {
                members.addAll(List.of(c.getConstructors()));
            }
            for (Executable m : members) {
                if (!Modifier.isPublic(m.getModifiers()) || skipped(c, m)) {
                    continue;
                }
                boolean isStatic = m instanceof Constructor<?> || Modifier.isStatic(m.getModifiers());
                Object target = isStatic ? null : receiver(c);
                Parameter[] ps = m.getParameters();
                for (int i = 0; i < ps.length; i++) {
                    if (ps[i].getType().isPrimitive()) {
                        continue;
                    }
                    String id = nestedName(c) + "#" + (m instanceof Constructor<?> ? "new" : m.getName()) + "("
                            + ps[i].getName() + ")";
                    if (NULLABLE.contains(id)) {
                        continue;
                    }
                    if (!isStatic && target == null) {
                        uncovered.add(c.getName() + " (no instance)");
                        break;
                    }
                    Object[] args = new Object[ps.length];
                    boolean complete = true;
                    for (int j = 0; j < ps.length; j++) {
                        if (j == i) {
                            continue;
                        }
                        Class<?> t = ps[j].getType();
                        args[j] = t.isPrimitive() ? primitive(t) : sample(t);
                        complete &= args[j] != null;
                    }
                    if (!complete) {
                        uncovered.add(id + " (no sample for another parameter)");
                        continue;
                    }
                    calls++;
                    try {
                        if (m instanceof Constructor<?> k) {
                            k.newInstance(args);
                        } else {
                            ((Method) m).invoke(target, args);
                        }
                        if (!isBuilderSetter(m)) {
                            wrong.add(c.getName() + " " + id + ": null accepted (document it as nullable, or refuse it)");
                        }
                    } catch (InvocationTargetException e) {
                        Throwable t = e.getCause();
                        boolean labelled = Stream.of(ps).anyMatch(p -> p.getName().equals("what"));
                        if (t instanceof InvalidInputException && t.getMessage() != null
                                && (t.getMessage().contains(ps[i].getName())
                                || (labelled && t.getMessage().startsWith("a is null")))) {
                            // named by the parameter, or by the caller's label for it ("what", here "a")
                            refused++;
                        } else if (t instanceof DecapException && t.getMessage() != null
                                && !t.getMessage().contains("null")) {
                            inconclusive++;   // refused for another reason first (the samples are not its inputs)
                        } else {
                            wrong.add(c.getName() + " " + id + ": " + t);
                        }
                    }
                }
            }
        }
        if (Boolean.getBoolean("decap.nullpolicy.report")) {
            System.err.println("null probes: " + calls + " calls, " + refused + " refused naming the parameter, "
                    + inconclusive + " refused for another reason first, " + wrong.size() + " wrong; not probed: "
                    + uncovered.size());
        }
        assertTrue(calls > 250, "calls: " + calls);
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + calls + " null probes break the policy (" + refused
                + " refused as they should, " + inconclusive + " refused for another reason; not probed: "
                + uncovered.size() + "):\n" + String.join("\n", wrong) + "\nnot probed:\n"
                + String.join("\n", uncovered));
    }
}
