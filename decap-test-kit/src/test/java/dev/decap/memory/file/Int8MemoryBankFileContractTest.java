package dev.decap.memory.file;

import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An int8 bank file meets the memory bank contract at int8 precision. At the contract's dimension 37 the largest
 * unit component is about 0.45, so one quantisation step is about 0.0035 and each stored component is within half
 * a step (plus the renormalisation) of the unit vector's: under 4e-3. A similarity moves by at most the error
 * vector's norm, about 0.006; the tolerance is 1.5e-2.
 */
class Int8MemoryBankFileContractTest extends MemoryBankContractTest {
    @TempDir
    Path dir;
    private final List<MemoryBankFile> opened = new ArrayList<>();

    @Override
    protected double embeddingTolerance() {
        return 4e-3;
    }

    @Override
    protected double similarityTolerance() {
        return 1.5e-2;
    }

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        Path file = dir.resolve("bank-" + opened.size() + ".dmb");
        BankFiles.write(file, captions, vectors, VectorType.INT8);
        MemoryBankFile bank = MemoryBankFile.open(file, 8192);
        opened.add(bank);
        return bank;
    }

    @AfterEach
    void closeBanks() {
        opened.forEach(MemoryBankFile::close);
    }
}
