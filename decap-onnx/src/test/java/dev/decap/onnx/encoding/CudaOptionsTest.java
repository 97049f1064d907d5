package dev.decap.onnx.encoding;

import dev.decap.ConfigurationException;
import dev.decap.onnx.OnnxOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asking for CUDA where only the CPU build of ONNX Runtime is present is a clear ConfigurationException. */
class CudaOptionsTest {

    @Test
    void cuda_without_the_gpu_artifact_is_a_configuration_exception_naming_the_fix() {
        Assumptions.assumeFalse(OnnxOptions.cudaArtifactPresent(),
                "onnxruntime_gpu is on the classpath: this test covers the CPU-only build");
        OnnxOptions cuda = OnnxOptions.builder().cuda(0).build();
        ConfigurationException image = assertThrows(ConfigurationException.class, () -> OnnxImageEncoder.builder()
                .model(Fixtures.fixture("tiny/image_encoder.onnx")).onnxOptions(cuda).build());
        assertTrue(image.getMessage().contains("onnxruntime_gpu"), image.getMessage());
        assertTrue(image.getMessage().contains("CPU-only"), image.getMessage());
        ConfigurationException text = assertThrows(ConfigurationException.class, () -> OnnxTextEncoder.builder()
                .model(Fixtures.fixture("tiny/text_encoder.onnx")).tokenizer(new WordTokenizer()).onnxOptions(cuda)
                .build());
        assertTrue(text.getMessage().contains("onnxruntime_gpu"), text.getMessage());
        assertThrows(ConfigurationException.class, cuda::toSessionOptions);
    }

    @Test
    void cpu_options_still_work_after_a_refused_cuda_request() {
        try (OnnxImageEncoder e = OnnxImageEncoder.builder().model(Fixtures.fixture("tiny/image_encoder.onnx"))
                .onnxOptions(OnnxOptions.builder().intraOpThreads(1).build()).build()) {
            assertTrue(e.encodePixels(new float[e.pixelCount()]).length == 64);
        }
    }

    @Test
    void negative_device_ids_and_thread_counts_are_refused() {
        assertThrows(ConfigurationException.class, () -> OnnxOptions.builder().cuda(-1).build());
        assertThrows(ConfigurationException.class, () -> OnnxOptions.builder().intraOpThreads(-2).build());
    }
}
