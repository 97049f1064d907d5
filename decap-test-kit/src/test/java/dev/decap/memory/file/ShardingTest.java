package dev.decap.memory.file;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;
import dev.decap.testkit.TestVectors;
import dev.decap.projection.Contribution;
import dev.decap.projection.PartialProjection;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardingTest {
    private static final int N = 3000;
    private static final int D = 48;

    @TempDir
    Path dir;

    private final List<float[]> vectors = peaked();
    private final List<String> captions = TestVectors.captions(N);
    private final List<float[]> queries = unit(TestVectors.gaussian(6, D, 77));

    private static List<float[]> unit(List<float[]> vectors) {
        List<float[]> out = new ArrayList<>();
        for (float[] v : vectors) {
            out.add(dev.decap.Vectors.normalized(v, "query"));
        }
        return out;
    }

    /** Vectors with some near each query, so the softmax at τ = 0.01 is peaked as with real captions. */
    private List<float[]> peaked() {
        List<float[]> v = TestVectors.gaussian(N, D, 5);
        List<float[]> q = TestVectors.gaussian(6, D, 77);
        for (int i = 0; i < N; i += 7) {
            float[] target = q.get(i % 6);
            double scale = 2 + (i % 5);
            for (int j = 0; j < D; j++) {
                v.get(i)[j] += (float) (target[j] * scale);
            }
        }
        return v;
    }

    private List<MemoryBank> shards(int... cuts) {
        List<MemoryBank> out = new ArrayList<>();
        for (int s = 0; s + 1 < cuts.length; s++) {
            out.add(InMemoryMemoryBank.builder().addAll(captions.subList(cuts[s], cuts[s + 1]),
                    vectors.subList(cuts[s], cuts[s + 1])).build());
        }
        return out;
    }

    private static void assertSameProjection(Projection expected, Projection actual, String what) {
        float[] a = expected.vector();
        float[] b = actual.vector();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 2e-6, what + ", component " + i);
        }
        assertEquals(expected.contributions().size(), actual.contributions().size(), what);
        for (int i = 0; i < expected.contributions().size(); i++) {
            Contribution x = expected.contributions().get(i);
            Contribution y = actual.contributions().get(i);
            assertEquals(x.index(), y.index(), what + ", contribution " + i);
            assertEquals(x.caption(), y.caption());
            assertEquals(x.similarity(), y.similarity(), 1e-6f);
            assertEquals(x.weight(), y.weight(), 1e-5f, what + ", weight " + i);
        }
    }

    @Test
    void projection_onto_a_sharded_bank_equals_projection_onto_the_whole_bank() {
        MemoryBank whole = InMemoryMemoryBank.builder().addAll(captions, vectors).build();
        ShardedMemoryBank sharded = ShardedMemoryBank.of(shards(0, 1, 700, 701, 2222, N));
        for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                ProjectionDecoding.builder().topK(50).build(), ProjectionDecoding.builder().temperature(0.1).build())) {
            for (float[] q : queries) {
                assertSameProjection(pd.project(q, whole), pd.project(q, sharded), pd.toString());
            }
        }
        for (float[] q : queries) {
            List<MemoryHit> a = whole.search(q, 40);
            List<MemoryHit> b = sharded.search(q, 40);
            assertEquals(a, b);
        }
    }

    @Test
    void partial_projections_merge_by_log_sum_exp_in_any_order_and_grouping() {
        MemoryBank whole = InMemoryMemoryBank.builder().addAll(captions, vectors).build();
        int[] cuts = {0, 500, 501, 1800, N};
        List<MemoryBank> parts = shards(cuts);
        for (ProjectionDecoding pd : List.of(ProjectionDecoding.create(),
                ProjectionDecoding.builder().topK(64).maxContributions(20).build())) {
            for (float[] q : queries) {
                Projection expected = pd.project(q, whole);
                List<PartialProjection> partials = new ArrayList<>();
                for (int s = 0; s < parts.size(); s++) {
                    partials.add(PartialProjection.compute(pd.settings(), q, parts.get(s), cuts[s]));
                }
                PartialProjection leftToRight = partials.get(0);
                for (int s = 1; s < partials.size(); s++) {
                    leftToRight = leftToRight.merge(partials.get(s));
                }
                PartialProjection tree = partials.get(3).merge(partials.get(1))
                        .merge(partials.get(2).merge(partials.get(0)));
                assertSameProjection(expected, leftToRight.finish(), pd + " left to right");
                assertSameProjection(expected, tree.finish(), pd + " as a tree");
                // shipped as plain data and rebuilt
                PartialProjection p = partials.get(2);
                PartialProjection copy = PartialProjection.of(pd.settings(), p.max(), p.sum(), p.weightedSum(), p.candidates());
                assertSameProjection(p.finish(), copy.finish(), "rebuilt");
                double total = 0;
                for (Contribution c : leftToRight.finish().contributions()) {
                    total += c.weight();
                }
                assertTrue(total <= 1 + 1e-5);
            }
        }
    }

    @Test
    void a_split_bank_file_opens_from_its_manifest_and_matches_the_original() throws IOException {
        Path bank = dir.resolve("whole.dmb");
        BankFiles.write(bank, captions, vectors, VectorType.FP16);
        Path manifest = dir.resolve("sharded.json");
        List<Path> shards = MemoryBanks.split(bank, 4, manifest);
        assertEquals(4, shards.size());
        try (MemoryBankFile original = MemoryBankFile.openVerified(bank);
             ShardedMemoryBank sharded = ShardedMemoryBank.open(manifest, true)) {
            assertEquals(N, sharded.size());
            ProjectionDecoding pd = ProjectionDecoding.create();
            for (float[] q : queries) {
                assertSameProjection(pd.project(q, original), pd.project(q, sharded), "fp16 shards");
                assertEquals(original.search(q, 10), sharded.search(q, 10));
            }
            for (int i = 0; i < N; i += 101) {
                assertEquals(original.caption(i), sharded.caption(i));
            }
        }
        // a shard swapped for another bank no longer matches its manifest entry
        BankFiles.write(shards.get(2), captions.subList(0, 5), vectors.subList(0, 5), VectorType.FP16);
        CorruptMemoryBankException e = assertThrows(CorruptMemoryBankException.class,
                () -> ShardedMemoryBank.open(manifest, false));
        assertEquals("manifest", e.section());
        assertTrue(e.getMessage().contains("shards[2]"), e.getMessage());
        Files.writeString(manifest, "{not json");
        assertThrows(CorruptMemoryBankException.class, () -> ShardedMemoryBank.open(manifest, false));
    }

    @Test
    void a_bank_directory_opens_through_its_manifest_and_refuses_another_encoder() throws IOException {
        Path bank = dir.resolve("whole.dmb");
        BankFiles.write(bank, captions, vectors, VectorType.FP32);
        Path bankDir = Files.createDirectories(dir.resolve("bank"));
        MemoryBanks.split(bank, 3, bankDir.resolve(ShardedMemoryBank.DIRECTORY_MANIFEST));
        try (ShardedMemoryBank sharded = ShardedMemoryBank.open(bankDir, true)) {
            assertEquals(N, sharded.size());
            assertEquals(3, sharded.shards().size());
            sharded.requireEncoder(BankFiles.ENCODER, D);
            IncompatibleMemoryBankException e = assertThrows(IncompatibleMemoryBankException.class,
                    () -> sharded.requireEncoder(BankFiles.OTHER, D));
            assertTrue(e.getMessage().contains("other-encoder"), e.getMessage());
            assertThrows(IncompatibleMemoryBankException.class, () -> sharded.requireEncoder(BankFiles.ENCODER, D + 1));
        }
    }
}
