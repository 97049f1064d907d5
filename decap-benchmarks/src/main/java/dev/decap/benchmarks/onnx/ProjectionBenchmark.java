package dev.decap.benchmarks.onnx;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.nd4j.Nd4jProjectionDecoding;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Projection decoding over N x 512 banks: pure Java (one thread, and split across two) against ND4J/OpenBLAS
 * gemm, for one query and for a batch of 32. The time of one op is one {@code projectAll} call for the whole
 * batch. One op reads the bank once, N * 512 * 4 bytes, whatever the batch size.
 *
 * <p>Run (on demand, never in the build), from the repository root:
 * <pre>
 * ./mvnw -B -o -q -pl decap-benchmarks -am package -DskipTests
 * java -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.ProjectionBenchmark -p size=100000
 * java -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.onnx.ProjectionBenchmark -p size=1000000 \
 *     -wi 1 -w 1 -i 2 -r 1
 * </pre>
 * Any JMH options may follow, e.g. {@code -p batch=1}. The forked JVM gets {@code -Xmx8g}: a 1M bank is 2 GB on the
 * heap plus a 2 GB off-heap copy for ND4J. Results and the machine are in docs/memory-and-projection.md.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g", "-Xms4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ProjectionBenchmark {
    /** Embedding dimension of CLIP ViT-B/32. */
    static final int DIMENSION = 512;

    @Param({"100000", "1000000"})
    public int size;

    @Param({"1", "32"})
    public int batch;

    private InMemoryMemoryBank bank;
    private List<float[]> queries;
    private ProjectionDecoding java;
    private ProjectionDecoding javaTwoThreads;
    private Nd4jProjectionDecoding nd4j;

    @Setup(Level.Trial)
    public void setUp() {
        bank = BenchData.bank(size, DIMENSION, 1);
        queries = BenchData.queries(batch, DIMENSION, 2);
        java = ProjectionDecoding.create();
        javaTwoThreads = ProjectionDecoding.builder().parallelism(2).build();
        // Forced onto ND4J even for one query, to measure gemv against the Java kernel.
        nd4j = Nd4jProjectionDecoding.builder().pureJavaBatchLimit(0).build();
        nd4j.projectAll(queries, bank);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nd4j.close();
    }

    @Benchmark
    public List<Projection> javaOneThread() {
        return java.projectAll(queries, bank);
    }

    @Benchmark
    public List<Projection> javaTwoThreads() {
        return javaTwoThreads.projectAll(queries, bank);
    }

    @Benchmark
    public List<Projection> nd4jGemm() {
        return nd4j.projectAll(queries, bank);
    }

    /**
     * Runs this benchmark; JMH command-line options override the defaults, e.g.
     * {@code -p size=100000 -p batch=4,8 'ProjectionBenchmark.(javaOneThread|nd4jGemm)'}.
     */
    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder options = new OptionsBuilder();
        options.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            options.include(ProjectionBenchmark.class.getSimpleName());
        }
        new Runner(options.build()).run();
    }
}
