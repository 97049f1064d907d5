package dev.decap.memory.file;

import dev.decap.Vectors;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.testkit.TestVectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Projection decoding reads fp32, fp16 and int8 bank files through their own decoders (fp16 as bit patterns in
 * pairs, int8 as codes in quads with a row scale) and in-memory banks through {@code scan}; every path must give
 * DeCap's projection of the rows the bank stores, as a straightforward double-precision computation over
 * {@code bank.embedding(i)} gives it. Sizes include one row, sizes around the block of 256 rows and banks mapped in
 * several small mappings (blocks cut at mapping ends); dimensions odd, even and multiples of four (the decoders'
 * fast and exact paths).
 */
class ProjectionOverEveryStorageTest {
    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(MemoryBankFile::close);
    }

    /** The banks under test, all holding {@code vectors}: in RAM, and files of each type with small mappings. */
    private List<MemoryBank> banks(List<float[]> vectors, String name) {
        List<MemoryBank> out = new ArrayList<>();
        List<String> captions = TestVectors.captions(vectors.size());
        out.add(InMemoryMemoryBank.builder().addAll(captions, vectors).build());
        for (VectorType type : VectorType.values()) {
            Path file = dir.resolve(name + "-" + type.id() + ".dmb");
            try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(vectors.get(0).length)
                    .encoder(BankFiles.ENCODER).vectorType(type).dedupe(false).build()) {
                for (int i = 0; i < vectors.size(); i++) {
                    w.add(captions.get(i), vectors.get(i));
                }
                w.commit();
            }
            // 64 KiB mappings: a bank of a few hundred rows spans several, so blocks end early at mapping ends
            MemoryBankFile bank = MemoryBankFile.open(file, 1 << 16);
            opened.add(bank);
            out.add(bank);
        }
        return out;
    }

    private static List<float[]> stored(MemoryBank bank) {
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < bank.size(); i++) {
            rows.add(bank.embedding(i));
        }
        return rows;
    }

    /**
     * DeCap's projection of exactly the stored rows (not renormalised: an fp16 or int8 row's norm is 1 only up to
     * its rounding, and projection decoding uses the row as stored), in double precision.
     */
    private static void assertMatchesReference(MemoryBank bank, List<float[]> rows, float[] query,
                                               ProjectionDecoding pd, String what) {
        int n = rows.size();
        int d = query.length;
        double[] sims = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                sims[i] += (double) query[j] * rows.get(i)[j];
            }
        }
        boolean[] used = new boolean[n];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingDouble(i -> -sims[i]).thenComparing(i -> i));
        int k = pd.topK() == 0 ? n : Math.min(pd.topK(), n);
        for (int j = 0; j < k; j++) {
            used[order.get(j)] = true;
        }
        double max = sims[order.get(0)];
        double[] w = new double[n];
        double z = 0;
        for (int i = 0; i < n; i++) {
            w[i] = used[i] ? Math.exp((sims[i] - max) / pd.temperature()) : 0;
            z += w[i];
        }
        double[] p = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                p[j] += w[i] / z * rows.get(i)[j];
            }
        }
        double norm = Math.sqrt(TestVectors.dot(p, p));
        // float similarities are off by about 1e-7; a weight moves by that over τ
        double sharp = Math.max(1, 0.01 / pd.temperature());
        Projection got = pd.project(query, bank);
        for (int j = 0; j < d; j++) {
            assertEquals(p[j] / norm, got.vector()[j], TOLERANCE * sharp, what + ": component " + j);
        }
        for (Contribution c : got.contributions()) {
            assertEquals(sims[c.index()], c.similarity(), 1e-6, what + ": similarity of " + c.index());
            assertEquals(w[c.index()] / z, c.weight(), 2e-5 * sharp, what + ": weight of " + c.index());
        }
    }

    @Test
    void every_storage_projects_its_stored_rows_as_the_double_precision_reference() {
        for (int d : new int[] {6, 37, 64, 512}) {
            for (int n : new int[] {1, 255, 256, 257, 700}) {
                if (d == 512 && n != 700) {
                    continue;
                }
                List<float[]> vectors = TestVectors.gaussian(n, d, n * 31L + d);
                List<float[]> queries = TestVectors.unitGaussian(3, d, d + 5L);
                for (MemoryBank bank : banks(vectors, n + "x" + d)) {
                    List<float[]> rows = stored(bank);
                    for (float[] q : queries) {
                        for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                                ProjectionDecoding.builder().temperature(0.2).maxContributions(n).build(),
                                ProjectionDecoding.builder().topK(5).build())) {
                            assertMatchesReference(bank, rows, q, pd, bank + " " + pd);
                        }
                    }
                }
            }
        }
    }

    @Test
    void the_online_softmax_rescales_when_a_far_better_entry_comes_late() {
        int d = 64;
        int n = 3000;
        float[] query = TestVectors.unitGaussian(1, d, 3).get(0);
        List<float[]> vectors = TestVectors.gaussian(n, d, 4);
        // opposite to the query first (similarity near -1), then ordinary rows, then near-copies of the query in
        // the last blocks: the running maximum jumps from about -1 to about 1, a factor e^200 at τ = 0.01
        for (int i = 0; i < 300; i++) {
            float[] v = vectors.get(i);
            for (int j = 0; j < d; j++) {
                v[j] = -query[j] + 0.01f * v[j];
            }
        }
        for (int i = n - 5; i < n; i++) {
            float[] v = vectors.get(i);
            for (int j = 0; j < d; j++) {
                v[j] = query[j] + 0.002f * (i - n + 6) * v[j];
            }
        }
        for (MemoryBank bank : banks(vectors, "extreme")) {
            List<float[]> rows = stored(bank);
            assertMatchesReference(bank, rows, query, ProjectionDecoding.create(), bank + " dense");
            assertMatchesReference(bank, rows, query, ProjectionDecoding.builder().temperature(0.001).build(),
                    bank + " τ = 0.001");
            Projection p = ProjectionDecoding.create().project(query, bank);
            assertEquals(n - 5, p.contributions().get(0).index(), "the nearest copy weighs most");
        }
    }

    @Test
    void a_batch_gives_each_query_the_bits_it_gets_alone_on_every_storage() {
        int d = 512;
        List<float[]> vectors = TestVectors.gaussian(600, d, 9);
        List<float[]> queries = TestVectors.unitGaussian(35, d, 10);
        for (MemoryBank bank : banks(vectors, "batch")) {
            for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                    ProjectionDecoding.builder().topK(7).build())) {
                List<Projection> all = pd.projectAll(queries, bank);
                for (int i = 0; i < queries.size(); i++) {
                    Projection one = pd.project(queries.get(i), bank);
                    assertArrayEquals(one.vector(), all.get(i).vector(), bank + " query " + i);
                    assertEquals(one.contributions(), all.get(i).contributions(), bank + " query " + i);
                }
            }
        }
    }

    @Test
    void threads_give_the_serial_projection_on_every_storage() {
        int d = 16;
        List<float[]> vectors = TestVectors.gaussian(40_000, d, 11);
        List<float[]> queries = TestVectors.unitGaussian(9, d, 12);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (MemoryBank bank : banks(vectors, "threads")) {
                for (int topK : new int[] {0, 9}) {
                    ProjectionDecoding serial = ProjectionDecoding.builder().topK(topK).build();
                    ProjectionDecoding parallel = ProjectionDecoding.builder().topK(topK).parallelism(4)
                            .executor(pool).build();
                    List<Projection> a = serial.projectAll(queries, bank);
                    List<Projection> b = parallel.projectAll(queries, bank);
                    for (int i = 0; i < queries.size(); i++) {
                        assertArrayEquals(a.get(i).vector(), b.get(i).vector(), 1e-6f, bank + " query " + i);
                        for (int c = 0; c < a.get(i).contributions().size(); c++) {
                            Contribution x = a.get(i).contributions().get(c);
                            Contribution y = b.get(i).contributions().get(c);
                            assertEquals(x.index(), y.index());
                            assertEquals(x.similarity(), y.similarity());
                            assertEquals(x.weight(), y.weight(), 1e-6);
                        }
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void reduced_precision_banks_stay_close_to_the_fp32_projection() {
        int d = 512;
        List<float[]> vectors = TestVectors.gaussian(2000, d, 13);
        List<MemoryBank> banks = banks(vectors, "close");
        float[] q = Vectors.normalized(vectors.get(77), "q");
        Projection fp32 = ProjectionDecoding.create().project(q, banks.get(1));
        for (MemoryBank bank : banks) {
            Projection p = ProjectionDecoding.create().project(q, bank);
            assertEquals(77, p.contributions().get(0).index(), bank.toString());
            double cos = TestVectors.dot(p.vector(), TestVectors.unit(fp32.vector()));
            assertEquals(1.0, cos, bank instanceof MemoryBankFile f && f.vectorType() == VectorType.INT8 ? 1e-3
                    : 1e-5, bank.toString());
        }
    }
}
