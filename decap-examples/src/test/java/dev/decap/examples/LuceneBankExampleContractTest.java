package dev.decap.examples;

import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The example's bank, a Lucene index on disk with the default settings, held to the shared memory-bank contract
 * after a full round trip (written, closed, memory-mapped again), with its declared precision: the HNSW search is
 * approximate and must find at least 95% of the true top k.
 */
class LuceneBankExampleContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;

    private final List<LuceneMemoryBank> opened = new ArrayList<>();

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path bankDir = dir.resolve("bank-" + opened.size());
        LuceneMemoryBank.builder().directory(bankDir).build(captions, vectors).close();
        LuceneMemoryBank bank = LuceneMemoryBank.open(bankDir);
        opened.add(bank);
        return bank;
    }

    @Override
    protected boolean exactSearch() {
        return false;
    }

    @Override
    protected double minimumRecall() {
        return 0.95;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(LuceneMemoryBank::close);
    }
}
