package dev.decap.memory.file;

/**
 * An int8 bank file meets the memory bank contract at int8 precision. At the contract's dimension 37 the largest
 * unit component is about 0.45, so one quantisation step is about 0.0035 and each stored component is within half
 * a step (plus the renormalisation) of the unit vector's: under 4e-3. A similarity moves by at most the error
 * vector's norm, about 0.006; the tolerance is 1.5e-2.
 */
class Int8MemoryBankFileContractTest extends BankFileContractTest {
    Int8MemoryBankFileContractTest() {
        super(VectorType.INT8, 8192);
    }

    @Override
    protected double embeddingTolerance() {
        return 4e-3;
    }

    @Override
    protected double similarityTolerance() {
        return 1.5e-2;
    }
}
