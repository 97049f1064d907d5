package dev.decap.examples;

import dev.decap.encoding.TextEncoder;
import dev.decap.memory.MemoryBank;
import dev.decap.testkit.MemoryBankContractTest;

import java.util.ArrayList;
import java.util.List;

/** The example's custom bank keeps the memory-bank contract, as every user bank should. */
class CatalogueBankContractTest extends MemoryBankContractTest {

    @Override
    protected MemoryBank createBank(List<String> captions, List<float[]> vectors) {
        List<CustomMemoryBankExample.Product> products = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            products.add(new CustomMemoryBankExample.Product("sku-" + i, captions.get(i)));
        }
        // A text encoder that returns the given vectors: the bank's own normalisation is what is tested.
        TextEncoder table = new TextEncoder() {
            @Override
            public int dimension() {
                return vectors.get(0).length;
            }

            @Override
            public float[] encode(String text) {
                return vectors.get(captions.indexOf(text)).clone();
            }
        };
        return new CustomMemoryBankExample.CatalogueBank(products, table);
    }
}
