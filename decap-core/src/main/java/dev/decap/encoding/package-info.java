/**
 * CLIP encoder contracts: {@link dev.decap.encoding.ImageEncoder} and {@link dev.decap.encoding.TextEncoder}.
 * Implementations live in other modules (ONNX Runtime in {@code decap-onnx}) or in user code.
 */
package dev.decap.encoding;
