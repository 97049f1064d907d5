package dev.decap.onnx.decoding;

import dev.decap.decoding.LanguageModel;
import dev.decap.onnx.Fixtures;
import dev.decap.testkit.LanguageModelContractTest;
import org.junit.jupiter.api.Nested;

/** The ONNX decoder (tiny fixture), with both cache reorderings, against the shared language-model contract. */
class OnnxLanguageModelContractTest {

    @Nested
    class OnnxGatherReorder extends LanguageModelContractTest {
        @Override
        protected LanguageModel createModel() {
            return OnnxLanguageModel.open(Fixtures.tiny().resolve("decoder.onnx"));
        }
    }

    @Nested
    class JavaCopyReorder extends LanguageModelContractTest {
        @Override
        protected LanguageModel createModel() {
            return OnnxLanguageModel.builder().model(Fixtures.tiny().resolve("decoder.onnx"))
                    .cacheReorder(OnnxLanguageModel.CacheReorder.JAVA_COPY).build();
        }
    }
}
