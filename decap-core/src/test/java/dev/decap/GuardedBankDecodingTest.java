package dev.decap;

import dev.decap.internal.kernels.RowBlock;
import dev.decap.internal.kernels.RowSource;
import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.MemoryBankWriter;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.memory.file.VectorType;
import dev.decap.projection.Contribution;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The captioner's guard of a bank file keeps the file's single-pass decoding: projection through the guard is the
 * projection over the file itself, bit for bit, on every storage; sharded banks decode shard by shard with global
 * indices; a bank whose decoding fails or lies is named in the error.
 */
class GuardedBankDecodingTest {
    private static final int D = 40;
    private static final EncoderIdentity ENCODER = new EncoderIdentity("test", "00".repeat(32));

    @TempDir
    Path dir;

    private static List<float[]> unit(int n, long seed) {
        Random random = new Random(seed);
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[D];
            for (int j = 0; j < D; j++) {
                v[j] = (float) random.nextGaussian();
            }
            out.add(Vectors.normalized(v, "row"));
        }
        return out;
    }

    private MemoryBankFile write(String name, List<float[]> rows, int from, int to, VectorType type) {
        Path file = dir.resolve(name);
        try (MemoryBankWriter w = MemoryBankWriter.builder().output(file).dimension(D).encoder(ENCODER)
                .vectorType(type).dedupe(false).build()) {
            for (int i = from; i < to; i++) {
                w.add("caption " + i, rows.get(i));
            }
            w.commit();
        }
        return MemoryBankFile.open(file);
    }

    private static void assertSame(Projection expected, Projection actual) {
        assertEquals(expected.vector().length, actual.vector().length);
        for (int i = 0; i < expected.vector().length; i++) {
            assertEquals(Float.floatToIntBits(expected.vector()[i]), Float.floatToIntBits(actual.vector()[i]),
                    "component " + i);
        }
        assertEquals(expected.contributions(), actual.contributions());
    }

    @Test
    void projection_through_the_guard_of_a_bank_file_is_the_projection_over_the_file() {
        List<float[]> rows = unit(700, 1);
        List<float[]> queries = unit(3, 2);
        ProjectionDecoding pd = ProjectionDecoding.create();
        for (VectorType type : VectorType.values()) {
            try (MemoryBankFile file = write("bank-" + type.id() + ".dmb", rows, 0, rows.size(), type)) {
                MemoryBank guarded = GuardedMemoryBank.of(file);
                assertInstanceOf(RowSource.class, guarded, type.id());
                for (float[] q : queries) {
                    assertSame(pd.project(q, file), pd.project(q, guarded));
                }
                List<Projection> batch = pd.projectAll(queries, guarded);
                for (int i = 0; i < queries.size(); i++) {
                    assertSame(pd.project(queries.get(i), file), batch.get(i));
                }
            }
        }
        assertFalse(GuardedMemoryBank.of(InMemoryMemoryBank.builder().dimension(D).add("a", rows.get(0)).build())
                instanceof RowSource, "an in-memory bank is scanned, not decoded");
    }

    @Test
    void a_sharded_bank_decodes_each_shard_with_global_indices_files_or_not() {
        List<float[]> rows = unit(900, 3);
        float[] q = unit(1, 4).get(0);
        ProjectionDecoding pd = ProjectionDecoding.create();
        try (MemoryBankFile whole = write("whole.dmb", rows, 0, 900, VectorType.FP16);
             MemoryBankFile a = write("a.dmb", rows, 0, 300, VectorType.FP16);
             MemoryBankFile c = write("c.dmb", rows, 600, 900, VectorType.FP16)) {
            InMemoryMemoryBank b = InMemoryMemoryBank.builder().dimension(D)
                    .addAll(captions(300, 600), rows.subList(300, 600)).build();
            ShardedMemoryBank sharded = ShardedMemoryBank.of(List.of(a, b, c));
            assertInstanceOf(RowSource.class, GuardedMemoryBank.of(sharded));
            Projection expected = pd.project(q, whole);
            Projection actual = pd.project(q, GuardedMemoryBank.of(sharded));
            for (int i = 0; i < D; i++) {
                assertEquals(expected.vector()[i], actual.vector()[i], 2e-3, "component " + i);
            }
            List<Integer> want = expected.contributions().stream().map(Contribution::index).toList();
            List<Integer> got = actual.contributions().stream().map(Contribution::index).toList();
            assertEquals(want, got, "global indices of the largest weights");
            for (Contribution x : actual.contributions()) {
                assertEquals("caption " + x.index(), x.caption());
            }
        }
    }

    private static List<String> captions(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add("caption " + i);
        }
        return out;
    }

    @Test
    void a_bank_whose_decoding_fails_or_lies_is_named_in_the_error() {
        List<float[]> rows = unit(10, 5);
        InMemoryMemoryBank inner = InMemoryMemoryBank.builder().dimension(D).addAll(captions(0, 10), rows).build();
        float[] q = unit(1, 6).get(0);
        ProjectionDecoding pd = ProjectionDecoding.create();
        InferenceException failed = assertThrows(InferenceException.class,
                () -> pd.project(q, GuardedMemoryBank.of(new DecodingBank(inner, -1))));
        assertTrue(failed.getMessage().contains(DecodingBank.class.getName()), failed.getMessage());
        assertTrue(failed.getMessage().contains("decode"), failed.getMessage());
        InferenceException lied = assertThrows(InferenceException.class,
                () -> pd.project(q, GuardedMemoryBank.of(new DecodingBank(inner, 3))));
        assertTrue(lied.getMessage().contains("decoded a block"), lied.getMessage());
    }

    /** A bank that decodes through {@link RowSource}: fails (shift -1) or reports rows from the wrong entry. */
    private static final class DecodingBank implements MemoryBank, RowSource {
        private final InMemoryMemoryBank inner;
        private final int shift;

        DecodingBank(InMemoryMemoryBank inner, int shift) {
            this.inner = inner;
            this.shift = shift;
        }

        @Override
        public int decode(int first, int to, RowBlock block) {
            if (shift < 0) {
                throw new IllegalStateException("storage gone");
            }
            int rows = Math.min(block.capacity(), to - first);
            float[] data = new float[rows * D];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(inner.embedding(first + r), 0, data, r * D, D);
            }
            block.readFloats(first + shift, rows, java.nio.FloatBuffer.wrap(data), 0);
            return rows;
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public int dimension() {
            return D;
        }

        @Override
        public String caption(int index) {
            return inner.caption(index);
        }

        @Override
        public float[] embedding(int index) {
            return inner.embedding(index);
        }
    }
}
