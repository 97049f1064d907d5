/**
 * Dense projection decoding on ND4J (OpenBLAS gemm) for large memory banks and batches of images.
 *
 * <p>{@link dev.decap.onnx.projection.Nd4jProjectionDecoding} has the semantics of
 * {@link dev.decap.projection.ProjectionDecoding}; {@link dev.decap.onnx.projection.Projectors} picks the faster
 * implementation per case. No ND4J type appears in the public API: vectors are {@code float[]}.
 */
package dev.decap.onnx.projection;
