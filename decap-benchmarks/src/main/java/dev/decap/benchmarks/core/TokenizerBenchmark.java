package dev.decap.benchmarks.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.decap.tokenization.ClipTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Tokenizer throughput on COCO val2017 captions (25,014 captions), one caption per operation, so the score is
 * captions per second on one thread.
 *
 * <ul>
 *   <li>{@code encodeContext}: {@link ClipTokenizer#encodeContext(String)} with the default piece cache, warm after
 *       the first pass — the steady state of a captioning service;</li>
 *   <li>{@code encodeContextUncached}: the same with the cache turned off, so every word is byte-pair encoded.</li>
 * </ul>
 *
 * <p>Run from the repository root (see docs/tokenizer.md):
 * <pre>
 * ./mvnw -q -o package -DskipTests -pl decap-benchmarks -am
 * java -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.core.TokenizerBenchmark
 * </pre>
 * Without arguments it runs a short configuration (1 fork, 2 warm-up and 3 measured iterations of 2 s, 1 thread);
 * arguments after the class name are passed to JMH instead (e.g. {@code -f 1 -wi 5 -i 5 -t 1}). The data
 * directory is the system property {@code decap.shared.dir} (default: {@code ../shared} from the repository root
 * or from decap-core).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class TokenizerBenchmark {

    private ClipTokenizer cached;
    private ClipTokenizer uncached;
    private String[] captions;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path data = sharedData();
        Path vocabulary = data.resolve("clip/bpe_simple_vocab_16e6.txt.gz");
        Path annotations = data.resolve("coco/captions_val2017.json");
        if (!Files.isRegularFile(vocabulary) || !Files.isRegularFile(annotations)) {
            throw new IllegalStateException("../shared/data not found: need " + vocabulary + " and " + annotations
                    + " (set -Ddecap.shared.dir)");
        }
        cached = ClipTokenizer.fromOpenAiVocabulary(vocabulary);
        uncached = ClipTokenizer.builder().openAiVocabulary(vocabulary).cacheCapacity(0).build();
        JsonNode items = new ObjectMapper().readTree(annotations.toFile()).get("annotations");
        captions = new String[items.size()];
        for (int i = 0; i < captions.length; i++) {
            captions[i] = items.get(i).get("caption").asText();
        }
    }

    /** {@code decap.shared.dir}, else ../shared seen from the repository root or from decap-core. */
    private static Path sharedData() {
        String property = System.getProperty("decap.shared.dir");
        if (property != null) {
            return Path.of(property).resolve("data");
        }
        Path fromRoot = Path.of("../shared/data");
        return Files.isDirectory(fromRoot) ? fromRoot : Path.of("../../shared/data");
    }

    private String nextCaption() {
        String caption = captions[next];
        next = next + 1 == captions.length ? 0 : next + 1;
        return caption;
    }

    @Benchmark
    public int[] encodeContext() {
        return cached.encodeContext(nextCaption());
    }

    @Benchmark
    public int[] encodeContextUncached() {
        return uncached.encodeContext(nextCaption());
    }

    /** Runs this benchmark through JMH's runner; see the class comment. */
    public static void main(String[] args) throws Exception {
        String[] jmhArgs = args.length > 0 ? args : new String[] {
            TokenizerBenchmark.class.getName(), "-f", "1", "-wi", "2", "-w", "2s", "-i", "3", "-r", "2s", "-t", "1"};
        if (args.length > 0 && !args[0].contains("TokenizerBenchmark")) {
            String[] withInclude = new String[args.length + 1];
            withInclude[0] = TokenizerBenchmark.class.getName();
            System.arraycopy(args, 0, withInclude, 1, args.length);
            jmhArgs = withInclude;
        }
        org.openjdk.jmh.Main.main(jmhArgs);
    }
}
