/**
 * Caption decoding: the {@link dev.decap.decoding.CaptionDecoder} contract, and a pure-Java search over any
 * step-wise {@link dev.decap.decoding.LanguageModel}.
 *
 * <p>{@link dev.decap.decoding.GreedySearch} (DeCap's notebook) and {@link dev.decap.decoding.BeamSearch} decode
 * many prefixes as one batch, mask ids that the tokenizer cannot decode, and follow the project's Python reference
 * exactly (see {@code docs/decoding.md}). {@link dev.decap.decoding.StepCaptionDecoder} ties a language model, a
 * vocabulary map and a tokenizer into a caption decoder. The ONNX Runtime model lives in {@code decap-onnx}.
 */
package dev.decap.decoding;
