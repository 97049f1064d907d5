package dev.decap.memory.file;

import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The memory bank contract over bank files of one vector type, memory-mapped in small mappings so that blocks and
 * rows cross several of them.
 */
abstract class BankFileContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();
    private final VectorType type;
    private final long mapChunk;

    BankFileContractTest(VectorType type, long mapChunk) {
        this.type = type;
        this.mapChunk = mapChunk;
    }

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path file = dir.resolve("bank-" + opened.size() + ".dmb");
        BankFiles.write(file, captions, vectors, type);
        MemoryBankFile bank = MemoryBankFile.open(file, mapChunk);
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(MemoryBankFile::close);
    }
}
