/**
 * Dense projection decoding on ND4J (OpenBLAS gemm) for batches of images over large memory banks.
 *
 * <p>{@link dev.decap.nd4j.Nd4jProjectionDecoding} has the semantics of
 * {@link dev.decap.projection.ProjectionDecoding} (both feed {@link dev.decap.projection.spi.ProjectionAccumulator})
 * and is registered as a {@link dev.decap.projection.spi.ProjectorProvider}: with this module on the classpath,
 * {@link dev.decap.projection.Projectors#projectionDecoding()} (the default of every captioner) uses it. No ND4J
 * type appears in the public API: vectors are {@code float[]}.
 *
 * <p>The ND4J native binaries are chosen for the build platform (see docs/nd4j.md); ND4J logs a banner at INFO on
 * first use through SLF4J: set the logger {@code org.nd4j} to WARN to silence it.
 */
package dev.decap.nd4j;
