package dev.decap.lucene;

import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.ModelException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.testkit.TestVectors;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LuceneMemoryBankTest {
    private static final int D = 32;

    @TempDir
    Path dir;

    /** {@code n} points around 50 cluster centres: a structure HNSW finds well, like caption embeddings. */
    private static List<float[]> clustered(int n, long seed) {
        Random random = new Random(seed);
        List<float[]> centres = TestVectors.gaussian(50, D, seed + 1);
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] c = centres.get(random.nextInt(centres.size()));
            float[] v = new float[D];
            double[] unit = TestVectors.unit(c);
            for (int j = 0; j < D; j++) {
                v[j] = (float) (unit[j] + 0.08 * random.nextGaussian());
            }
            out.add(v);
        }
        return out;
    }

    @Test
    void a_bank_on_disk_reopens_with_the_same_entries_and_search_results() {
        List<float[]> vectors = TestVectors.gaussian(500, D, 1);
        List<String> captions = TestVectors.captions(500);
        Path bankDir = dir.resolve("bank");
        List<MemoryHit> before;
        float[] query = TestVectors.gaussian(1, D, 2).get(0);
        try (LuceneMemoryBank bank = LuceneMemoryBank.builder().directory(bankDir).build(captions, vectors)) {
            assertEquals(Path.of(bankDir.toString()), bank.directory().orElseThrow());
            before = bank.search(query, 10);
            assertTrue(bank.sizeInBytes() > 500L * D * 4, "the index holds at least the raw vectors");
        }
        try (LuceneMemoryBank reopened = LuceneMemoryBank.open(bankDir)) {
            assertEquals(500, reopened.size());
            assertEquals(D, reopened.dimension());
            assertEquals(LuceneMemoryBank.Similarity.DOT_PRODUCT, reopened.similarity());
            assertEquals(LuceneMemoryBank.DEFAULT_MAX_CONN, reopened.maxConn());
            assertEquals(LuceneMemoryBank.DEFAULT_BEAM_WIDTH, reopened.beamWidth());
            assertEquals(LuceneMemoryBank.DEFAULT_EF_SEARCH, reopened.efSearch());
            for (int i = 0; i < 500; i++) {
                assertEquals(captions.get(i), reopened.caption(i));
                double[] unit = TestVectors.unit(vectors.get(i));
                float[] e = reopened.embedding(i);
                for (int j = 0; j < D; j++) {
                    assertEquals(unit[j], e[j], 1e-6);
                }
            }
            assertEquals(before, reopened.search(query, 10));
            reopened.verify();
        }
        try (LuceneMemoryBank tuned = LuceneMemoryBank.opener(bankDir).efSearch(7).open()) {
            assertEquals(7, tuned.efSearch());
        }
    }

    @Test
    void search_at_the_default_ef_search_finds_nearly_all_of_the_exact_top_k() {
        List<float[]> vectors = clustered(5000, 3);
        MemoryBank exact = InMemoryMemoryBank.builder().addAll(TestVectors.captions(5000), vectors).build();
        try (LuceneMemoryBank ann = LuceneMemoryBank.builder().directory(dir.resolve("b"))
                .build(TestVectors.captions(5000), vectors)) {
            double recall = 0;
            List<float[]> queries = clustered(50, 4);
            for (float[] q : queries) {
                Set<Integer> truth = new HashSet<>();
                exact.search(q, 10).forEach(h -> truth.add(h.index()));
                List<MemoryHit> hits = ann.search(q, 10);
                assertEquals(10, hits.size());
                recall += hits.stream().filter(h -> truth.contains(h.index())).count() / 10.0;
                for (MemoryHit h : hits) {
                    double reference = TestVectors.dot(TestVectors.unit(vectors.get(h.index())), TestVectors.unit(q));
                    assertEquals(reference, h.similarity(), 1e-5, "the similarity reported is the true cosine");
                    assertEquals("caption " + h.index(), h.caption());
                }
            }
            recall /= queries.size();
            assertTrue(recall >= 0.95, "recall@10 at the default efSearch is " + recall);
        }
    }

    @Test
    void search_exploring_every_entry_is_exact() {
        List<float[]> vectors = TestVectors.gaussian(800, D, 5);
        MemoryBank exact = InMemoryMemoryBank.builder().addAll(TestVectors.captions(800), vectors).build();
        try (LuceneMemoryBank ann = LuceneMemoryBank.builder().build(TestVectors.captions(800), vectors)) {
            for (float[] q : TestVectors.gaussian(10, D, 6)) {
                List<Integer> expected = exact.search(q, 40).stream().map(MemoryHit::index).toList();
                assertEquals(expected, ann.search(q, 40, 800).stream().map(MemoryHit::index).toList());
            }
        }
    }

    @Test
    void top_k_projection_uses_the_hnsw_search_and_equals_the_exact_one_when_it_finds_the_exact_top_k() {
        List<float[]> vectors = TestVectors.gaussian(600, D, 7);
        MemoryBank exact = InMemoryMemoryBank.builder().addAll(TestVectors.captions(600), vectors).build();
        try (LuceneMemoryBank ann = LuceneMemoryBank.builder().efSearch(600).build(TestVectors.captions(600),
                vectors)) {
            assertTrue(ann.prefersSearchForTopK());
            ProjectionDecoding pd = ProjectionDecoding.builder().topK(16).temperature(0.05).maxContributions(16)
                    .build();
            for (float[] q : TestVectors.unitGaussian(5, D, 8)) {
                Projection a = pd.project(q, exact);
                Projection b = pd.project(q, ann);
                assertArrayEquals(a.vector(), b.vector(), 1e-6f);
                assertEquals(a.contributions().stream().map(Contribution::index).toList(),
                        b.contributions().stream().map(Contribution::index).toList());
            }
        }
    }

    @Test
    void dense_projection_over_the_lucene_scan_equals_the_in_memory_one() {
        List<float[]> vectors = TestVectors.gaussian(1500, D, 9);
        MemoryBank exact = InMemoryMemoryBank.builder().addAll(TestVectors.captions(1500), vectors).build();
        try (LuceneMemoryBank ann = LuceneMemoryBank.builder().directory(dir.resolve("b"))
                .build(TestVectors.captions(1500), vectors)) {
            ProjectionDecoding dense = ProjectionDecoding.create();
            for (float[] q : TestVectors.unitGaussian(3, D, 10)) {
                Projection a = dense.project(q, exact);
                Projection b = dense.project(q, ann);
                assertArrayEquals(a.vector(), b.vector(), "the same floats in the same order give the same sums");
                assertEquals(a.contributions(), b.contributions());
            }
        }
    }

    @Test
    void a_bank_built_from_another_bank_copies_its_entries_in_order() {
        MemoryBank source = InMemoryMemoryBank.builder()
                .addAll(List.of("ein Hund läuft am Strand", "日本の電車", "a cat 🐈 on a mat"),
                        TestVectors.gaussian(3, D, 11)).build();
        try (LuceneMemoryBank copy = LuceneMemoryBank.builder().similarity(LuceneMemoryBank.Similarity.COSINE)
                .build(source)) {
            assertEquals(3, copy.size());
            assertEquals(LuceneMemoryBank.Similarity.COSINE, copy.similarity());
            for (int i = 0; i < 3; i++) {
                assertEquals(source.caption(i), copy.caption(i));
                assertArrayEquals(source.embedding(i), copy.embedding(i));
            }
            float[] q = source.embedding(1);
            assertEquals(1, copy.search(q, 1).get(0).index());
            assertEquals(1.0, copy.search(q, 1).get(0).similarity(), 1e-6);
        }
    }

    @Test
    void progress_is_reported_up_to_the_entry_count() {
        List<int[]> reports = new ArrayList<>();
        try (LuceneMemoryBank bank = LuceneMemoryBank.builder().progress((done, total) -> reports.add(
                new int[] {done, total})).build(TestVectors.captions(2100), TestVectors.gaussian(2100, 8, 12))) {
            assertEquals(2100, bank.size());
        }
        assertArrayEquals(new int[] {0, 2100}, reports.get(0));
        assertArrayEquals(new int[] {2100, 2100}, reports.get(reports.size() - 1));
        for (int i = 1; i < reports.size(); i++) {
            assertTrue(reports.get(i)[0] > reports.get(i - 1)[0]);
        }
    }

    @Test
    void a_closed_bank_refuses_every_call_and_closing_twice_is_harmless() {
        LuceneMemoryBank bank = LuceneMemoryBank.builder().directory(dir.resolve("b"))
                .build(TestVectors.captions(20), TestVectors.gaussian(20, D, 13));
        bank.close();
        bank.close();
        float[] q = TestVectors.gaussian(1, D, 14).get(0);
        ClosedException e = assertThrows(ClosedException.class, () -> bank.search(q, 3));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(ClosedException.class, () -> bank.caption(0));
        assertThrows(ClosedException.class, () -> bank.embedding(0));
        assertThrows(ClosedException.class, bank::size);
        assertThrows(ClosedException.class, () -> bank.scan(8, (first, rows, data, offset) -> { }));
        assertThrows(ClosedException.class, bank::verify);
        try (LuceneMemoryBank again = LuceneMemoryBank.open(dir.resolve("b"))) {
            assertEquals(20, again.size(), "closing a bank leaves its files for the next open");
        }
    }

    @Test
    void close_waits_for_a_scan_in_flight_and_later_calls_are_refused() throws Exception {
        LuceneMemoryBank bank = LuceneMemoryBank.builder().directory(dir.resolve("b"))
                .build(TestVectors.captions(50), TestVectors.gaussian(50, D, 19));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Double> scan = pool.submit(() -> {
                double[] sum = {0};
                bank.scan(10, (first, rows, data, offset) -> {
                    if (first == 0) {
                        inside.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    for (int i = 0; i < rows * D; i++) {
                        sum[0] += data[offset + i];
                    }
                });
                return sum[0];
            });
            inside.await();
            Future<?> closing = pool.submit(bank::close);
            Thread.sleep(200);
            assertFalse(closing.isDone(), "close() must wait while a scan still reads the mapped files");
            release.countDown();
            assertTrue(Double.isFinite(scan.get()), "the scan in flight completes on open files");
            closing.get();
            assertThrows(ClosedException.class, () -> bank.embedding(0));
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void closing_from_inside_a_scan_of_the_same_bank_is_refused() {
        try (LuceneMemoryBank bank = LuceneMemoryBank.builder().build(TestVectors.captions(5),
                TestVectors.gaussian(5, D, 20))) {
            assertThrows(IllegalStateException.class,
                    () -> bank.scan(2, (first, rows, data, offset) -> bank.close()));
            assertEquals(5, bank.size(), "the bank stays open");
        }
    }

    @Test
    void building_refuses_a_directory_that_is_not_empty() throws IOException {
        Path taken = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(taken.resolve("notes.txt"), "keep me");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> LuceneMemoryBank.builder()
                .directory(taken).build(TestVectors.captions(3), TestVectors.gaussian(3, D, 15)));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
        assertEquals("keep me", Files.readString(taken.resolve("notes.txt")));
    }

    @Test
    void builder_refuses_bad_entries_and_settings() {
        List<String> three = TestVectors.captions(3);
        List<float[]> vectors = TestVectors.gaussian(3, D, 16);
        assertThrows(InvalidInputException.class, () -> LuceneMemoryBank.builder().build(List.of(), List.of()));
        InvalidInputException count = assertThrows(InvalidInputException.class,
                () -> LuceneMemoryBank.builder().build(three, vectors.subList(0, 2)));
        assertTrue(count.getMessage().contains("expected 3 embeddings (one per caption), found 2"),
                count.getMessage());
        List<float[]> zero = new ArrayList<>(vectors);
        zero.set(1, new float[D]);
        InvalidInputException z = assertThrows(InvalidInputException.class,
                () -> LuceneMemoryBank.builder().build(three, zero));
        assertTrue(z.getMessage().contains("memory entry 1"), z.getMessage());
        List<float[]> wrong = new ArrayList<>(vectors);
        wrong.set(2, new float[D + 1]);
        InvalidInputException w = assertThrows(InvalidInputException.class,
                () -> LuceneMemoryBank.builder().build(three, wrong));
        assertTrue(w.getMessage().contains("expected " + D + ", found " + (D + 1)), w.getMessage());
        List<String> nullCaption = new ArrayList<>(three);
        nullCaption.set(0, null);
        assertThrows(InvalidInputException.class, () -> LuceneMemoryBank.builder().build(nullCaption, vectors));
        assertThrows(ConfigurationException.class, () -> LuceneMemoryBank.builder().maxConn(0).build(three, vectors));
        assertThrows(ConfigurationException.class, () -> LuceneMemoryBank.builder().beamWidth(0).build(three, vectors));
        assertThrows(ConfigurationException.class, () -> LuceneMemoryBank.builder().efSearch(0).build(three, vectors));
        assertThrows(ConfigurationException.class,
                () -> LuceneMemoryBank.builder().indexingBufferMb(0).build(three, vectors));
        assertThrows(ConfigurationException.class,
                () -> LuceneMemoryBank.builder().mergeThreads(0).build(three, vectors));
        ConfigurationException wide = assertThrows(ConfigurationException.class, () -> LuceneMemoryBank.builder()
                .build(List.of("x"), List.of(new float[2048])));
        assertTrue(wide.getMessage().contains("found 2048"), wide.getMessage());
        try (LuceneMemoryBank bank = LuceneMemoryBank.builder().build(three, vectors)) {
            assertThrows(InvalidInputException.class, () -> bank.search(vectors.get(0), 2, 0));
        }
    }

    @Test
    void opening_refuses_a_missing_directory_an_empty_one_and_a_foreign_lucene_index() throws IOException {
        ModelException missing = assertThrows(ModelException.class, () -> LuceneMemoryBank.open(dir.resolve("no")));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
        Path empty = Files.createDirectories(dir.resolve("empty"));
        ModelException none = assertThrows(ModelException.class, () -> LuceneMemoryBank.open(empty));
        assertTrue(none.getMessage().contains("holds no Lucene memory bank"), none.getMessage());
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        try (FSDirectory d = FSDirectory.open(foreign); IndexWriter w = new IndexWriter(d, new IndexWriterConfig())) {
            Document doc = new Document();
            doc.add(new StoredField("title", "not a memory bank"));
            w.addDocument(doc);
            w.commit();
        }
        ModelException other = assertThrows(ModelException.class, () -> LuceneMemoryBank.open(foreign));
        assertTrue(other.getMessage().contains("not a decap memory bank"), other.getMessage());
    }

    @Test
    void a_damaged_index_file_is_refused_on_open_or_by_verify() throws IOException {
        Path bankDir = dir.resolve("b");
        LuceneMemoryBank.builder().directory(bankDir).build(TestVectors.captions(300), TestVectors.gaussian(300, D, 17))
                .close();
        Path vectors;
        try (Stream<Path> files = Files.list(bankDir)) {
            vectors = files.filter(p -> p.getFileName().toString().endsWith(".vec")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(vectors.toFile(), "rw")) {
            long middle = f.length() / 2;
            f.seek(middle);
            int b = f.read();
            f.seek(middle);
            f.write(b ^ 0x5A);
        }
        ModelException e = assertThrows(ModelException.class, () -> {
            try (LuceneMemoryBank bank = LuceneMemoryBank.open(bankDir)) {
                bank.verify();
            }
        });
        assertTrue(e.getMessage().contains(bankDir.toString()), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }

    @Test
    void an_in_memory_bank_has_no_directory() {
        try (LuceneMemoryBank bank = LuceneMemoryBank.builder().build(TestVectors.captions(4),
                TestVectors.gaussian(4, D, 18))) {
            assertTrue(bank.directory().isEmpty());
            assertTrue(bank.toString().contains("in-memory"), bank.toString());
        }
    }
}
