package dev.decap.memory.file;

/** An fp32 bank file, memory-mapped, meets the memory bank contract at full precision. */
class Fp32MemoryBankFileContractTest extends BankFileContractTest {
    Fp32MemoryBankFileContractTest() {
        super(VectorType.FP32, 4096);
    }
}
