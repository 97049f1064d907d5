package dev.decap.memory.file;

import dev.decap.ClosedException;
import dev.decap.ConfigurationException;
import dev.decap.InvalidInputException;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.testkit.TestVectors;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBankFileTest {
    @TempDir
    Path dir;

    private static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void an_fp32_bank_holds_exactly_what_an_in_memory_bank_holds() {
        List<float[]> vectors = TestVectors.gaussian(500, 64, 1);
        List<String> captions = TestVectors.captions(500);
        Path file = dir.resolve("b.dmb");
        BankInfo written = BankFiles.write(file, captions, vectors, VectorType.FP32);
        InMemoryMemoryBank ram = InMemoryMemoryBank.builder().addAll(captions, vectors).build();
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            assertEquals(written, bank.info());
            assertEquals(500, bank.size());
            for (int i = 0; i < 500; i++) {
                assertArrayEquals(ram.embedding(i), bank.embedding(i));
            }
            float[] query = dev.decap.Vectors.normalized(TestVectors.gaussian(1, 64, 9).get(0), "query");
            ProjectionDecoding pd = ProjectionDecoding.create();
            assertArrayEquals(pd.project(query, ram).vector(), pd.project(query, bank).vector());
        }
    }

    @Test
    void fp16_top_k_and_dense_projection_are_within_1e_3_cosine_of_fp32() throws Exception {
        int n = 5000;
        int d = 512;
        List<float[]> vectors = TestVectors.gaussian(n, d, 2);
        // make the similarities peaked, like real caption embeddings near a query
        List<float[]> queries = new ArrayList<>();
        for (float[] q : TestVectors.gaussian(8, d, 3)) {
            queries.add(dev.decap.Vectors.normalized(q, "query"));
        }
        for (int i = 0; i < n; i += 10) {
            float[] q = queries.get(i % 8);
            for (int j = 0; j < d; j++) {
                vectors.get(i)[j] += q[j] * 1.5f * (float) Math.sqrt(d) * 2;
            }
        }
        List<String> captions = TestVectors.captions(n);
        Path f32 = dir.resolve("f32.dmb");
        Path f16 = dir.resolve("f16.dmb");
        BankFiles.write(f32, captions, vectors, VectorType.FP32);
        BankFiles.write(f16, captions, vectors, VectorType.FP16);
        assertTrue(Files.size(f16) < Files.size(f32) * 0.55 + 8192);
        try (MemoryBankFile a = MemoryBankFile.openVerified(f32); MemoryBankFile b = MemoryBankFile.openVerified(f16)) {
            for (float[] q : queries) {
                for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                        ProjectionDecoding.builder().topK(64).build())) {
                    Projection pa = pd.project(q, a);
                    Projection pb = pd.project(q, b);
                    double cos = cosine(pa.vector(), pb.vector());
                    assertTrue(cos > 1 - 1e-3, "cosine " + cos + " with " + pd);
                }
                List<MemoryHit> ha = a.search(q, 10);
                List<MemoryHit> hb = b.search(q, 10);
                for (int i = 0; i < 10; i++) {
                    assertEquals(ha.get(i).similarity(), hb.get(i).similarity(), 1e-3);
                }
                assertEquals(ha.get(0).index(), hb.get(0).index());
            }
            for (int i = 0; i < n; i += 97) {
                assertTrue(cosine(a.embedding(i), b.embedding(i)) > 1 - 1e-5, "entry " + i);
            }
        }
    }

    @Test
    void captions_are_normalised_and_exact_duplicates_after_normalisation_are_skipped() {
        List<float[]> v = TestVectors.gaussian(5, 8, 4);
        Path file = dir.resolve("d.dmb");
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(8)
                .encoder(BankFiles.ENCODER).build()) {
            assertTrue(w.add("  A dog\t runs\n", v.get(0)));
            assertFalse(w.add("A dog runs", v.get(1)));
            assertTrue(w.add("a dog runs", v.get(2)), "case is kept, so this is another caption");
            assertFalse(w.add("A\u00a0dog  runs ", v.get(3)));
            assertTrue(w.add("A cat", v.get(4)));
            assertEquals(3, w.count());
            w.commit();
        }
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            assertEquals(List.of("A dog runs", "a dog runs", "A cat"),
                    List.of(bank.caption(0), bank.caption(1), bank.caption(2)));
            assertArrayEquals(dev.decap.Vectors.normalized(v.get(2), "v"), bank.embedding(1));
        }
    }

    @Test
    void nan_zero_and_wrongly_sized_vectors_and_empty_or_huge_captions_are_refused() {
        Path file = dir.resolve("r.dmb");
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(4)
                .encoder(BankFiles.ENCODER).build()) {
            assertThrows(InvalidInputException.class, () -> w.add("nan", new float[] {1, Float.NaN, 0, 0}));
            assertThrows(InvalidInputException.class, () -> w.add("zero", new float[4]));
            InvalidInputException dim = assertThrows(InvalidInputException.class, () -> w.add("x", new float[5]));
            assertTrue(dim.getMessage().contains("expected 4, found 5"), dim.getMessage());
            assertThrows(InvalidInputException.class, () -> w.add(" \t ", new float[] {1, 0, 0, 0}));
            assertThrows(InvalidInputException.class, () -> w.add(null, new float[] {1, 0, 0, 0}));
            assertThrows(InvalidInputException.class, () -> w.add("x".repeat(70_000), new float[] {1, 0, 0, 0}));
            assertThrows(InvalidInputException.class, () -> w.add("bad \ud800 surrogate", new float[] {1, 0, 0, 0}));
            assertEquals(0, w.count());
            assertThrows(ConfigurationException.class, w::commit, "an empty bank is refused");
        }
        assertFalse(Files.exists(file));
    }

    @Test
    void a_writer_closed_before_commit_leaves_no_files_and_the_old_bank_intact() throws Exception {
        Path file = dir.resolve("keep.dmb");
        BankInfo old = BankFiles.write(file, TestVectors.captions(3), TestVectors.gaussian(3, 8, 1), VectorType.FP32);
        byte[] before = Files.readAllBytes(file);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(8)
                .encoder(BankFiles.ENCODER).build()) {
            w.add("new", TestVectors.gaussian(1, 8, 2).get(0));
        }
        assertArrayEquals(before, Files.readAllBytes(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        assertEquals(old.contentSha256(), MemoryBankFile.info(file).contentSha256());
    }

    @Test
    void metadata_round_trips_and_entries_without_it_read_empty() {
        Path file = dir.resolve("m.dmb");
        List<String> meta = new ArrayList<>(List.of("id-0", "", "{\"image_id\": 7}"));
        meta.set(1, null);
        BankFiles.write(file, TestVectors.captions(3), TestVectors.gaussian(3, 8, 1), VectorType.FP16, meta);
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            assertTrue(bank.hasMetadata());
            assertEquals("id-0", bank.metadata(0));
            assertEquals("", bank.metadata(1));
            assertEquals("{\"image_id\": 7}", bank.metadata(2));
        }
    }

    @Test
    void content_sha256_depends_on_content_only() {
        List<float[]> v = TestVectors.gaussian(50, 16, 1);
        List<String> c = TestVectors.captions(50);
        BankInfo a = BankFiles.write(dir.resolve("a.dmb"), c, v, VectorType.FP16);
        BankInfo b = BankFiles.write(dir.resolve("b.dmb"), c, v, VectorType.FP16,
                java.util.Collections.nCopies(50, "metadata is not content"));
        assertEquals(a.contentSha256(), b.contentSha256());
        List<String> c2 = new ArrayList<>(c);
        c2.set(49, "caption 49!");
        assertNotEquals(a.contentSha256(), BankFiles.write(dir.resolve("c.dmb"), c2, v, VectorType.FP16)
                .contentSha256());
        assertNotEquals(a.contentSha256(), BankFiles.write(dir.resolve("d.dmb"), c, v, VectorType.FP32)
                .contentSha256());
    }

    @Test
    void merging_banks_appends_dedupes_and_keeps_fp16_rows_bit_for_bit() {
        List<float[]> v = TestVectors.gaussian(30, 16, 1);
        List<String> c = TestVectors.captions(30);
        Path first = dir.resolve("first.dmb");
        Path second = dir.resolve("second.dmb");
        BankFiles.write(first, c.subList(0, 20), v.subList(0, 20), VectorType.FP16);
        BankFiles.write(second, c.subList(10, 30), v.subList(10, 30), VectorType.FP16);
        BankInfo whole = BankFiles.write(dir.resolve("whole.dmb"), c, v, VectorType.FP16);
        BankInfo merged = MemoryBanks.merge(List.of(first, second), first, VectorType.FP16);
        assertEquals(30, merged.count());
        assertEquals(whole.contentSha256(), merged.contentSha256());
        try (MemoryBankFile bank = MemoryBankFile.openVerified(first)) {
            assertEquals(whole.contentSha256(), bank.contentSha256());
        }
        Path other = dir.resolve("other.dmb");
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(other).dimension(16)
                .encoder(BankFiles.OTHER).build()) {
            w.add("x", v.get(0));
            w.commit();
        }
        assertThrows(IncompatibleMemoryBankException.class,
                () -> MemoryBanks.merge(List.of(first, other), dir.resolve("bad.dmb"), VectorType.FP16));
        assertFalse(Files.exists(dir.resolve("bad.dmb")));
        Path narrow = dir.resolve("narrow.dmb");
        BankFiles.write(narrow, c.subList(0, 2), TestVectors.gaussian(2, 8, 3), VectorType.FP16);
        IncompatibleMemoryBankException dim = assertThrows(IncompatibleMemoryBankException.class,
                () -> MemoryBanks.merge(List.of(first, narrow), dir.resolve("bad.dmb"), VectorType.FP16));
        assertTrue(dim.getMessage().contains("expected 16, found 8"), dim.getMessage());
    }

    @Test
    void a_bank_from_another_text_encoder_or_dimension_is_refused() {
        Path file = dir.resolve("e.dmb");
        BankFiles.write(file, TestVectors.captions(3), TestVectors.gaussian(3, 8, 1), VectorType.FP32);
        try (MemoryBankFile bank = MemoryBankFile.open(file)) {
            assertEquals(BankFiles.ENCODER, bank.encoder());
            bank.requireEncoder(BankFiles.ENCODER, 8);
            bank.requireEncoder(BankFiles.ENCODER);
            assertThrows(IncompatibleMemoryBankException.class, () -> bank.requireEncoder(BankFiles.OTHER));
            IncompatibleMemoryBankException e = assertThrows(IncompatibleMemoryBankException.class,
                    () -> bank.requireEncoder(BankFiles.OTHER, 8));
            assertTrue(e.getMessage().contains("other-encoder") && e.getMessage().contains("test-encoder"),
                    e.getMessage());
            IncompatibleMemoryBankException d = assertThrows(IncompatibleMemoryBankException.class,
                    () -> bank.requireEncoder(BankFiles.ENCODER, 512));
            assertTrue(d.getMessage().contains("expected 512, found 8"), d.getMessage());
        }
    }

    @Test
    void a_closed_bank_refuses_work_and_close_is_idempotent() {
        Path file = dir.resolve("c.dmb");
        BankFiles.write(file, TestVectors.captions(3), TestVectors.gaussian(3, 8, 1), VectorType.FP32);
        MemoryBankFile bank = MemoryBankFile.open(file);
        bank.close();
        bank.close();
        assertThrows(ClosedException.class, () -> bank.caption(0));
        assertThrows(ClosedException.class, () -> bank.search(new float[] {1, 0, 0, 0, 0, 0, 0, 0}, 1));
    }

    @Test
    void a_missing_file_is_reported_with_its_path() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> MemoryBankFile.open(dir.resolve("nope.dmb")));
        assertTrue(e.getMessage().contains("nope.dmb"), e.getMessage());
    }
}
