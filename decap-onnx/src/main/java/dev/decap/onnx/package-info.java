/**
 * ONNX Runtime implementations of decap's contracts: CLIP image and text encoders, the KV-cached DeCap decoder,
 * model bundles, and ND4J-backed dense projection. Everything holding native memory is {@link AutoCloseable}.
 */
package dev.decap.onnx;
