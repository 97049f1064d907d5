package dev.decap.memory.file;

/**
 * An fp16 bank file meets the memory bank contract at fp16 precision: each stored component is the unit vector's
 * component rounded to binary16 (relative error at most 2^-11, so under 5e-4 for components of magnitude below 1),
 * and similarities move by at most the sum of those errors times the query's components (well under 2e-3).
 */
class Fp16MemoryBankFileContractTest extends BankFileContractTest {
    Fp16MemoryBankFileContractTest() {
        super(VectorType.FP16, 8192);
    }

    @Override
    protected double embeddingTolerance() {
        return 5e-4;
    }

    @Override
    protected double similarityTolerance() {
        return 2e-3;
    }
}
