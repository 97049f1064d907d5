/**
 * DeCap's decoder on ONNX Runtime: {@link dev.decap.onnx.decoding.OnnxLanguageModel} (the KV-cached
 * {@code decoder.onnx}, one position per step, the cache kept in ONNX Runtime's memory) and
 * {@link dev.decap.onnx.decoding.OnnxCaptionDecoder} (greedy/beam search with vocabulary map and masking).
 * See {@code docs/decoding.md}.
 */
package dev.decap.onnx.decoding;
