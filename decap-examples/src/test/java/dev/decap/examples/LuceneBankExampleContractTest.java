package dev.decap.examples;

import dev.decap.lucene.LuceneMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The example's bank, a Lucene index on disk, held to the shared memory-bank contract after a full round trip:
 * written, closed, and memory-mapped again. The contract's search tests want the exact top k, which a Lucene bank
 * gives when its search explores every entry ({@code efSearch >= size()}).
 */
class LuceneBankExampleContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;

    private final List<LuceneMemoryBank> opened = new ArrayList<>();

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path bankDir = dir.resolve("bank-" + opened.size());
        LuceneMemoryBank.builder().directory(bankDir).build(captions, vectors).close();
        LuceneMemoryBank bank = LuceneMemoryBank.opener(bankDir).efSearch(captions.size()).open();
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(LuceneMemoryBank::close);
    }
}
