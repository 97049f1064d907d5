/**
 * Model bundles: a directory with {@code decap-bundle.json} and the ONNX models it lists
 * ({@link dev.decap.onnx.bundle.ModelBundle}), and one-call captioners built from them
 * ({@link dev.decap.onnx.bundle.OnnxDeCap}). Format: {@code docs/model-bundle.md}.
 */
package dev.decap.onnx.bundle;
