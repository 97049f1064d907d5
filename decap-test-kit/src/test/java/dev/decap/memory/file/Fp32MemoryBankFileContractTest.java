package dev.decap.memory.file;

import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An fp32 bank file, memory-mapped, meets the memory bank contract at full precision. */
class Fp32MemoryBankFileContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path file = dir.resolve("bank-" + opened.size() + ".dmb");
        BankFiles.write(file, captions, vectors, VectorType.FP32);
        // small mappings, so that blocks and rows cross several of them
        MemoryBankFile bank = MemoryBankFile.open(file, 4096);
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(MemoryBankFile::close);
    }
}
