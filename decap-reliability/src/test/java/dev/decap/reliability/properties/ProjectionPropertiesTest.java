package dev.decap.reliability.properties;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.projection.Contribution;
import dev.decap.projection.PartialProjection;
import dev.decap.projection.Projection;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.ProjectionSettings;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Projection decoding (w = softmax(M v / tau), p = normalize(sum w_i m_i)) on random memories: the output is a unit
 * vector, equals the formula computed in double precision, the weights of all entries sum to 1, and projecting onto
 * shards (a {@link ShardedMemoryBank}, or {@link PartialProjection}s merged in any order) equals projecting onto the
 * whole memory.
 */
class ProjectionPropertiesTest {
    private static final int TRIES = 300;

    @Provide
    Arbitrary<Double> temperatures() {
        return Arbitraries.of(0.01, 0.03, 0.1, 1.0, 10.0);
    }

    @Property(tries = TRIES)
    void projection_is_a_unit_vector_equal_to_the_softmax_mix(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 60) int entries, @ForAll @IntRange(min = 2, max = 24) int dimension,
            @ForAll("temperatures") double temperature) {
        Memory m = Memory.random(seed, entries, dimension);
        Projection p = decoding(new ProjectionSettings(temperature, 0, entries)).project(m.query, m.bank);
        float[] v = p.vector();
        assertEquals(1.0, norm(v), 1e-5, "|p|");
        double[] expected = reference(m, temperature);
        for (int i = 0; i < dimension; i++) {
            assertEquals(expected[i], v[i], 2e-5, "component " + i);
        }
    }

    @Property(tries = TRIES)
    void weights_of_all_entries_sum_to_one_and_come_by_decreasing_weight(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 60) int entries, @ForAll @IntRange(min = 2, max = 24) int dimension,
            @ForAll("temperatures") double temperature, @ForAll @IntRange(min = 0, max = 70) int topK) {
        Memory m = Memory.random(seed, entries, dimension);
        List<Contribution> c = decoding(new ProjectionSettings(temperature, topK, Integer.MAX_VALUE))
                .project(m.query, m.bank).contributions();
        int mixed = topK == 0 ? entries : Math.min(topK, entries);
        double sum = 0;
        for (int i = 0; i < c.size(); i++) {
            float w = c.get(i).weight();
            assertTrue(w >= 0 && w <= 1 + 1e-6, "weight " + w + " of entry " + c.get(i).index());
            if (i > 0) {
                assertTrue(w <= c.get(i - 1).weight(), "contributions by decreasing weight");
            }
            sum += w;
        }
        assertTrue(c.size() <= mixed, "at most the mixed entries are listed: " + c.size() + " > " + mixed);
        // entries below e^-30 of the best are dropped and may be missing from the list; their share is negligible
        assertEquals(1.0, sum, 1e-5, "sum of " + c.size() + " weights");
    }

    @Property(tries = TRIES)
    void sharded_projection_equals_unsharded(@ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int entries,
            @ForAll @IntRange(min = 2, max = 16) int dimension, @ForAll("temperatures") double temperature,
            @ForAll @IntRange(min = 0, max = 12) int topK, @ForAll @IntRange(min = 1, max = 8) int shardCount) {
        Memory m = Memory.random(seed, entries, dimension);
        ProjectionSettings settings = new ProjectionSettings(temperature, topK, 8);
        Projection whole = decoding(settings).project(m.query, m.bank);

        List<Integer> cuts = m.cuts(Math.min(shardCount, entries));
        List<MemoryBank> shards = new ArrayList<>();
        List<PartialProjection> partials = new ArrayList<>();
        for (int s = 0; s + 1 < cuts.size(); s++) {
            MemoryBank shard = m.slice(cuts.get(s), cuts.get(s + 1));
            shards.add(shard);
            partials.add(PartialProjection.compute(settings, m.query, shard, cuts.get(s)));
        }
        assertSame("ShardedMemoryBank", whole, decoding(settings).project(m.query, ShardedMemoryBank.of(shards)));

        Collections.shuffle(partials, new java.util.Random(seed));
        PartialProjection merged = partials.get(0);
        for (int i = 1; i < partials.size(); i++) {
            merged = merged.merge(partials.get(i));
        }
        assertSame("merged partial projections", whole, merged.finish());
    }

    private static void assertSame(String what, Projection expected, Projection actual) {
        float[] e = expected.vector();
        float[] a = actual.vector();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 2e-6, what + ": component " + i);
        }
        List<Contribution> ce = expected.contributions();
        List<Contribution> ca = actual.contributions();
        assertEquals(ce.size(), ca.size(), what + ": contributions");
        for (int i = 0; i < ce.size(); i++) {
            assertEquals(ce.get(i).index(), ca.get(i).index(), what + ": contribution " + i);
            assertEquals(ce.get(i).weight(), ca.get(i).weight(), 1e-5, what + ": weight " + i);
        }
    }

    private static ProjectionDecoding decoding(ProjectionSettings settings) {
        return ProjectionDecoding.builder().settings(settings).build();
    }

    /** normalize(sum softmax(s / tau) m_i) over all entries, in double precision. */
    private static double[] reference(Memory m, double temperature) {
        int n = m.bank.size();
        int d = m.bank.dimension();
        double[] q = unit(m.query);
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            float[] e = m.bank.embedding(i);
            for (int j = 0; j < d; j++) {
                s[i] += q[j] * e[j];
            }
            max = Math.max(max, s[i]);
        }
        double[] p = new double[d];
        for (int i = 0; i < n; i++) {
            double w = Math.exp((s[i] - max) / temperature);
            float[] e = m.bank.embedding(i);
            for (int j = 0; j < d; j++) {
                p[j] += w * e[j];
            }
        }
        return unit(p);
    }

    private static double[] unit(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return unit(d);
    }

    private static double[] unit(double[] v) {
        double n = 0;
        for (double x : v) {
            n += x * x;
        }
        n = Math.sqrt(n);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] / n;
        }
        return out;
    }

    private static double norm(float[] v) {
        double n = 0;
        for (float x : v) {
            n += (double) x * x;
        }
        return Math.sqrt(n);
    }

    /** A random memory of unit vectors (some near-duplicates, so ties and close scores occur) and a query. */
    private record Memory(InMemoryMemoryBank bank, float[] query, SplittableRandom random) {
        static Memory random(long seed, int entries, int dimension) {
            SplittableRandom r = new SplittableRandom(seed);
            InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(dimension);
            float[] previous = null;
            for (int i = 0; i < entries; i++) {
                float[] e = new float[dimension];
                boolean nearDuplicate = previous != null && r.nextInt(5) == 0;
                for (int j = 0; j < dimension; j++) {
                    e[j] = nearDuplicate ? previous[j] + (float) (1e-4 * r.nextGaussian()) : (float) r.nextGaussian();
                }
                b.add("entry " + i, e);
                previous = e;
            }
            float[] q = new float[dimension];
            for (int j = 0; j < dimension; j++) {
                q[j] = (float) r.nextGaussian();
            }
            return new Memory(b.build(), dev.decap.Vectors.normalized(q, "query"), r);
        }

        /** Sorted cut points 0 = c0 < c1 < ... < ck = size, at random. */
        List<Integer> cuts(int shards) {
            List<Integer> inner = new ArrayList<>();
            for (int i = 1; i < bank.size(); i++) {
                inner.add(i);
            }
            Collections.shuffle(inner, new java.util.Random(random.nextLong()));
            List<Integer> cuts = new ArrayList<>(inner.subList(0, shards - 1));
            cuts.add(0);
            cuts.add(bank.size());
            Collections.sort(cuts);
            return cuts;
        }

        MemoryBank slice(int from, int to) {
            InMemoryMemoryBank.Builder b = InMemoryMemoryBank.builder().dimension(bank.dimension());
            for (int i = from; i < to; i++) {
                b.add(bank.caption(i), bank.embedding(i));
            }
            return b.build();
        }
    }
}
