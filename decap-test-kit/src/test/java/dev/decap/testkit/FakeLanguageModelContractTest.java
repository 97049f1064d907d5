package dev.decap.testkit;

import dev.decap.decoding.LanguageModel;

/** The kit's own fake language model keeps the contract it states for real ones. */
class FakeLanguageModelContractTest extends LanguageModelContractTest {
    @Override
    protected LanguageModel createModel() {
        return FakeLanguageModel.random(6, 40, 2f);
    }
}
