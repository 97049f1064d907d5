package dev.decap.memory.file;

import dev.decap.Vectors;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.testkit.TestVectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * int8 bank files (format version 2) round trip, verify and are refused when damaged; fp32 and fp16 banks are still
 * written as version 1, and version-1 files written by the code before version 2 existed still open.
 *
 * <p>The fixtures {@code banks/v1-fp32.dmb} and {@code banks/v1-fp16.dmb} were written by decap at commit 2d940a5
 * (format version 1 only): dimension 6, five entries "version 1 caption i" with the vector
 * {@code sin(1 + 6i + j)}, metadata "id-i" on even entries, encoder "version-1-fixture" with model hash "ab" × 32.
 */
class Int8BankAndFormatVersionsTest {
    @TempDir
    Path dir;

    @Test
    void an_int8_bank_round_trips_as_unit_rows_within_half_a_quantisation_step() {
        int d = 64;
        List<float[]> vectors = TestVectors.gaussian(300, d, 5);
        Path file = dir.resolve("int8.dmb");
        BankInfo info = BankFiles.write(file, TestVectors.captions(300), vectors, VectorType.INT8);
        assertEquals(2, info.formatVersion());
        assertEquals(VectorType.INT8, info.vectorType());
        try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
            assertEquals(2, bank.info().formatVersion());
            assertEquals(info.contentSha256(), bank.contentSha256());
            for (int i = 0; i < 300; i++) {
                double[] unit = TestVectors.unit(vectors.get(i));
                double max = 0;
                for (double x : unit) {
                    max = Math.max(max, Math.abs(x));
                }
                float[] e = bank.embedding(i);
                double norm = 0;
                for (int j = 0; j < d; j++) {
                    norm += (double) e[j] * e[j];
                    // half a step, plus the renormalisation's relative change (at most a few steps in norm)
                    assertEquals(unit[j], e[j], max / 254 + 2e-3, "entry " + i + ", component " + j);
                }
                assertEquals(1.0, Math.sqrt(norm), 1e-6, "entry " + i + " is a unit vector");
                // the stored row is what the format specifies: codes rint(127 x / max|x|), scale 1 / |codes|
                float[] x = Vectors.normalized(vectors.get(i), "v");
                double m = 0;
                for (float c : x) {
                    m = Math.max(m, Math.abs((double) c));
                }
                int[] codes = new int[d];
                double sq = 0;
                for (int j = 0; j < d; j++) {
                    codes[j] = (int) Math.rint(x[j] * (127.0 / m));
                    sq += (double) codes[j] * codes[j];
                }
                float scale = (float) (1.0 / Math.sqrt(sq));
                float[] expected = new float[d];
                for (int j = 0; j < d; j++) {
                    expected[j] = codes[j] * scale;
                }
                assertArrayEquals(expected, e, "entry " + i);
            }
        }
    }

    @Test
    void an_int8_bank_is_a_quarter_of_fp32_and_merges_bit_for_bit() {
        List<float[]> v = TestVectors.gaussian(40, 128, 2);
        List<String> c = TestVectors.captions(40);
        BankInfo f32 = BankFiles.write(dir.resolve("f32.dmb"), c, v, VectorType.FP32);
        Path first = dir.resolve("first.dmb");
        Path second = dir.resolve("second.dmb");
        BankFiles.write(first, c.subList(0, 25), v.subList(0, 25), VectorType.INT8);
        BankFiles.write(second, c.subList(15, 40), v.subList(15, 40), VectorType.INT8);
        BankInfo whole = BankFiles.write(dir.resolve("whole.dmb"), c, v, VectorType.INT8);
        assertEquals(40L * (128 + 4), whole.fileSize() - (f32.fileSize() - 40L * 128 * 4),
                "int8 rows are d bytes plus a 4-byte scale");
        BankInfo merged = MemoryBanks.merge(List.of(first, second), dir.resolve("merged.dmb"), VectorType.INT8);
        assertEquals(whole.contentSha256(), merged.contentSha256());
        // converting from another type quantises the stored floats again: the same bank as writing them
        BankInfo converted = MemoryBanks.merge(List.of(dir.resolve("f32.dmb")), dir.resolve("conv.dmb"),
                VectorType.INT8);
        assertEquals(whole.contentSha256(), converted.contentSha256());
    }

    @Test
    void int8_projection_stays_within_1e_3_cosine_of_fp32_and_keeps_the_top_entry() {
        int n = 3000;
        int d = 512;
        List<float[]> vectors = TestVectors.gaussian(n, d, 8);
        List<float[]> queries = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // near a row, as an image embedding is near its best caption
            float[] q = vectors.get(i * 97).clone();
            float[] noise = TestVectors.gaussian(1, d, 100 + i).get(0);
            for (int j = 0; j < d; j++) {
                q[j] += noise[j];
            }
            queries.add(Vectors.normalized(q, "query"));
        }
        List<String> captions = TestVectors.captions(n);
        BankFiles.write(dir.resolve("a.dmb"), captions, vectors, VectorType.FP32);
        BankFiles.write(dir.resolve("b.dmb"), captions, vectors, VectorType.INT8);
        try (MemoryBankFile a = MemoryBankFile.openVerified(dir.resolve("a.dmb"));
             MemoryBankFile b = MemoryBankFile.openVerified(dir.resolve("b.dmb"))) {
            for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                    ProjectionDecoding.builder().topK(16).parallelism(2).build())) {
                for (float[] q : queries) {
                    Projection pa = pd.project(q, a);
                    Projection pb = pd.project(q, b);
                    double cos = TestVectors.dot(pa.vector(), TestVectors.unit(pb.vector()));
                    assertTrue(cos > 1 - 1e-3, "cosine " + cos + " with " + pd);
                    assertEquals(pa.contributions().get(0).index(), pb.contributions().get(0).index());
                }
            }
        }
    }

    @Test
    void fp32_and_fp16_banks_are_still_written_as_version_1() throws IOException {
        for (VectorType type : List.of(VectorType.FP32, VectorType.FP16)) {
            Path file = dir.resolve(type.id() + ".dmb");
            BankInfo info = BankFiles.write(file, TestVectors.captions(4), TestVectors.gaussian(4, 6, 1), type);
            assertEquals(1, info.formatVersion());
            ByteBuffer header = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(1, header.getInt(8), "version field");
            assertEquals(6, header.getInt(76), "section count");
        }
    }

    @Test
    void version_1_files_written_before_version_2_existed_open_verify_and_project() throws IOException {
        for (VectorType type : List.of(VectorType.FP32, VectorType.FP16)) {
            Path file = dir.resolve("v1-" + type.id() + ".dmb");
            try (InputStream in = getClass().getResourceAsStream("/banks/v1-" + type.id() + ".dmb")) {
                Files.copy(in, file);
            }
            try (MemoryBankFile bank = MemoryBankFile.openVerified(file)) {
                assertEquals(1, bank.info().formatVersion());
                assertEquals(type, bank.vectorType());
                assertEquals(5, bank.size());
                assertEquals(6, bank.dimension());
                InMemoryMemoryBank.Builder ram = InMemoryMemoryBank.builder();
                for (int i = 0; i < 5; i++) {
                    assertEquals("version 1 caption " + i, bank.caption(i));
                    assertEquals(i % 2 == 0 ? "id-" + i : "", bank.metadata(i));
                    float[] v = new float[6];
                    for (int j = 0; j < 6; j++) {
                        v[j] = (float) Math.sin(1.0 + i * 6 + j);
                    }
                    double[] unit = TestVectors.unit(v);
                    float[] e = bank.embedding(i);
                    for (int j = 0; j < 6; j++) {
                        assertEquals(unit[j], e[j], type == VectorType.FP32 ? 1e-7 : 5e-4);
                    }
                    ram.add(bank.caption(i), e);
                }
                float[] q = Vectors.normalized(new float[] {1, 2, 3, 4, 5, 6}, "q");
                assertArrayEquals(ProjectionDecoding.create().project(q, ram.build()).vector(),
                        ProjectionDecoding.create().project(q, bank).vector(), 1e-6f);
            }
        }
    }

    @Test
    void a_damaged_int8_row_scale_or_component_is_named_by_verify() throws IOException {
        Path good = dir.resolve("good.dmb");
        BankInfo info = BankFiles.write(good, TestVectors.captions(10), TestVectors.gaussian(10, 8, 3),
                VectorType.INT8);
        byte[] bytes = Files.readAllBytes(good);
        // the row scales are the last section: the file's last 40 bytes
        for (int[] flip : new int[][] {{BankLayout.HEADER_SIZE + 3, 0}, {(int) info.fileSize() - 7, 1}}) {
            byte[] copy = bytes.clone();
            copy[flip[0]] ^= 0x10;
            Path bad = dir.resolve("bad-" + flip[1] + ".dmb");
            Files.write(bad, copy);
            try (MemoryBankFile bank = MemoryBankFile.open(bad)) {
                CorruptMemoryBankException e = assertThrows(CorruptMemoryBankException.class, bank::verify);
                assertEquals(flip[1] == 0 ? "vectors" : "row scales", e.section());
                assertTrue(e.getMessage().contains("CRC32C mismatch"), e.getMessage());
            }
            assertThrows(CorruptMemoryBankException.class, () -> MemoryBankFile.openVerified(bad));
        }
    }

    @Test
    void an_int8_type_in_a_version_1_header_is_refused() throws IOException {
        Path file = dir.resolve("v1.dmb");
        BankFiles.write(file, TestVectors.captions(3), TestVectors.gaussian(3, 8, 1), VectorType.FP32);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(20, VectorType.INT8.code());
        b.putInt(BankLayout.HEADER_CRC_OFFSET, BankLayout.crc(bytes, 0, BankLayout.HEADER_CRC_OFFSET));
        Files.write(file, bytes);
        CorruptMemoryBankException e = assertThrows(CorruptMemoryBankException.class,
                () -> MemoryBankFile.open(file));
        assertTrue(e.getMessage().contains("vector type int8 needs format version 2, found version 1"),
                e.getMessage());
    }
}
