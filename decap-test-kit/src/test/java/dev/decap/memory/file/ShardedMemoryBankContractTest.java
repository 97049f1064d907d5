package dev.decap.memory.file;

import dev.decap.memory.InMemoryMemoryBank;
import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;

import java.util.ArrayList;
import java.util.List;

/** A bank of three uneven in-memory shards meets the memory bank contract. */
class ShardedMemoryBankContractTest extends MemoryBankContractTest {
    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        int n = captions.size();
        int[] cuts = n < 3 ? new int[] {0, n} : new int[] {0, n / 5, n / 5 + n / 2 + 1, n};
        List<MemoryBank> shards = new ArrayList<>();
        for (int s = 0; s + 1 < cuts.length; s++) {
            if (cuts[s] < cuts[s + 1]) {
                shards.add(InMemoryMemoryBank.builder().addAll(captions.subList(cuts[s], cuts[s + 1]),
                        vectors.subList(cuts[s], cuts[s + 1])).build());
            }
        }
        return ShardedMemoryBank.of(shards);
    }
}
