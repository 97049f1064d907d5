package dev.decap.testkit;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryHit;

import java.util.ArrayList;
import java.util.List;

/**
 * The approximate-search hooks work: a bank that loses a few of its true hits passes with a declared recall, and
 * a float16-rounded bank passes with its declared precision.
 */
class ApproximateBankContractTest {

    /** Drops every 10th true hit of each search, as a lossy ANN index would. */
    @org.junit.jupiter.api.Nested
    class LossyBank extends MemoryBankContractTest {
        @Override
        protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
            InMemoryMemoryBank exact = InMemoryMemoryBank.builder().addAll(captions, vectors).build();
            return new ForwardingMemoryBank(exact) {
                                @Override
                public List<MemoryHit> search(float[] query, int k) {
                    if (k <= 0) {
                        return exact.search(query, k); // refuses it, as the contract requires
                    }
                    List<MemoryHit> more = exact.search(query, k + k / 10 + 1);
                    List<MemoryHit> kept = new ArrayList<>();
                    for (int i = 0; i < more.size() && kept.size() < k; i++) {
                        if (i % 10 != 9 || more.size() <= k) {
                            kept.add(more.get(i));
                        }
                    }
                    return kept;
                }
            };
        }

        @Override
        protected boolean exactSearch() {
            return false;
        }

        @Override
        protected double minimumRecall() {
            return 0.85;
        }
    }

    /** Stores every component rounded to float16 precision (11 significant bits). */
    @org.junit.jupiter.api.Nested
    class HalfPrecisionBank extends MemoryBankContractTest {
        @Override
        protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
            List<float[]> rounded = new ArrayList<>();
            for (float[] v : vectors) {
                double[] u = TestVectors.unit(v);
                float[] r = new float[u.length];
                for (int i = 0; i < u.length; i++) {
                    r[i] = roundToHalf((float) u[i]);
                }
                rounded.add(r);
            }
            return InMemoryMemoryBank.builder().addAll(captions, rounded).build();
        }

        private static float roundToHalf(float x) {
            if (x == 0) {
                return 0;
            }
            int exp = Math.getExponent(x);
            double ulp = Math.scalb(1.0, Math.max(exp, -14) - 10);
            return (float) (Math.rint(x / ulp) * ulp);
        }

        @Override
        protected double embeddingTolerance() {
            return 1e-3;
        }

        @Override
        protected double similarityTolerance() {
            return 2e-3;
        }
    }
}
