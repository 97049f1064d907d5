/**
 * Numeric kernels of decap-core's memory banks and projectors: dot products with a fixed accumulation order, a
 * primitive bounded top-k heap, and the blocks that bank files decode their fp32, fp16 and int8 rows into for
 * projection decoding ({@link dev.decap.internal.kernels.RowSource}, {@link dev.decap.internal.kernels.RowBlock},
 * {@link dev.decap.internal.kernels.ProjectionKernel}), and their vector versions on the JDK's incubating Vector API
 * ({@link dev.decap.internal.kernels.VectorKernels}, used when the JVM resolves {@code jdk.incubator.vector}; same
 * bits as the scalar kernels). <b>Not public API</b>: may change in any release, and no
 * other module uses it (implementers of projectors use {@link dev.decap.projection.spi}).
 */
package dev.decap.internal.kernels;
