package dev.decap.memory.file;

import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An fp16 bank file meets the memory bank contract at fp16 precision: each stored component is the unit vector's
 * component rounded to binary16 (relative error at most 2^-11, so under 5e-4 for components of magnitude below 1),
 * and similarities move by at most the sum of those errors times the query's components (well under 2e-3).
 */
class Fp16MemoryBankFileContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();

    @Override
    protected double embeddingTolerance() {
        return 5e-4;
    }

    @Override
    protected double similarityTolerance() {
        return 2e-3;
    }

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path file = dir.resolve("bank-" + opened.size() + ".dmb");
        BankFiles.write(file, captions, vectors, VectorType.FP16);
        MemoryBankFile bank = MemoryBankFile.open(file, 8192);
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(MemoryBankFile::close);
    }
}
