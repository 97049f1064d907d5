package dev.decap.lucene;

import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;

import java.util.ArrayList;
import java.util.List;

/**
 * The shared memory-bank contract on an in-memory Lucene bank. The contract's search tests demand the exact top k;
 * a Lucene bank is exact when its search explores every entry ({@code efSearch >= size()}), so the banks here are
 * built that way. Recall at the default {@code efSearch} is held to its own bar in {@link LuceneMemoryBankTest}.
 */
class LuceneMemoryBankContractTest extends MemoryBankContractTest {
    private final List<LuceneMemoryBank> opened = new ArrayList<>();

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        LuceneMemoryBank bank = LuceneMemoryBank.builder().efSearch(captions.size()).build(captions, vectors);
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(LuceneMemoryBank::close);
    }
}
