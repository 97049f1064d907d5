/**
 * CLIP image and text encoders on ONNX Runtime: {@link dev.decap.onnx.encoding.OnnxImageEncoder} and
 * {@link dev.decap.onnx.encoding.OnnxTextEncoder}, implementing {@link dev.decap.encoding.ImageEncoder} and
 * {@link dev.decap.encoding.TextEncoder}.
 *
 * <p>Models come in the {@link dev.decap.onnx.encoding.ClipLayout layouts} decap knows (its own export, Hugging
 * Face optimum's combined model, transformers.js's split models), detected from the input and output names. A
 * model is checked when it is loaded (names, element types, ranks, image size, context length, embedding
 * dimension), so a wrong file fails at once with a {@link dev.decap.ModelException} naming it.
 *
 * <p>Encoders are thread-safe: each holds one ONNX Runtime session, shared with other encoders of the same file
 * and options, and any number of threads may call it at once. Batch calls run batched inference. Encoders are
 * {@link java.lang.AutoCloseable}; {@code close()} is idempotent and waits for calls in flight. See
 * {@code docs/onnx-encoders.md}.
 */
package dev.decap.onnx.encoding;
