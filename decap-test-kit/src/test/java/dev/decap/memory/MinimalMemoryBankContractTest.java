package dev.decap.memory;

import dev.decap.Vectors;

import dev.decap.testkit.MemoryBankContractTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the contract against a bank that implements only the four abstract methods, which proves that the
 * interface's default {@code scan} and {@code search} meet the contract on their own.
 */
class MinimalMemoryBankContractTest extends MemoryBankContractTest {

    /** The smallest legal bank: lists of captions and unit vectors. */
    static final class ListMemoryBank implements MemoryBank {
        private final List<String> captions;
        private final List<float[]> unitVectors = new ArrayList<>();

        ListMemoryBank(List<String> captions, List<float[]> vectors) {
            this.captions = List.copyOf(captions);
            for (float[] v : vectors) {
                unitVectors.add(Vectors.normalized(v, "vector"));
            }
        }

        @Override
        public int size() {
            return captions.size();
        }

        @Override
        public int dimension() {
            return unitVectors.get(0).length;
        }

        @Override
        public String caption(int index) {
            return captions.get(index);
        }

        @Override
        public float[] embedding(int index) {
            return unitVectors.get(index).clone();
        }
    }

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        return new ListMemoryBank(captions, vectors);
    }
}
