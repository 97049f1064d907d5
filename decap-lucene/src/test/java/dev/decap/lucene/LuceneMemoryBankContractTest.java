package dev.decap.lucene;

import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

import java.util.ArrayList;
import java.util.List;

/** The shared memory-bank contract on in-memory Lucene banks, in the two precisions a Lucene bank offers. */
class LuceneMemoryBankContractTest {
    private final List<LuceneMemoryBank> opened = new ArrayList<>();

    private MemoryBank track(LuceneMemoryBank bank) {
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(LuceneMemoryBank::close);
    }

    /**
     * The defaults (efSearch 400): the HNSW search is approximate, declared as such, and must find at least 95% of
     * the true top k (5 and 50 of 1031 Gaussian vectors of dimension 37, the contract's hardest data for a graph).
     */
    @Nested
    class AtTheDefaultEfSearch extends MemoryBankContractTest {
        @Override
        protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
            return track(LuceneMemoryBank.builder().build(captions, vectors));
        }

        @Override
        protected boolean exactSearch() {
            return false;
        }

        @Override
        protected double minimumRecall() {
            return 0.95;
        }
    }

    /** With efSearch at least the bank's size the search explores every entry and is exact: the full contract. */
    @Nested
    class ExploringEveryEntry extends MemoryBankContractTest {
        @Override
        protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
            return track(LuceneMemoryBank.builder().efSearch(captions.size()).build(captions, vectors));
        }
    }
}
