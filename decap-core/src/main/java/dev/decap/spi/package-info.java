/**
 * Service-provider classes shared by decap's modules and by implementers of its contracts:
 * {@link dev.decap.spi.CloseGuard}, the one close-while-in-use guard of every native-backed component, and
 * {@link dev.decap.spi.Arguments}, the null policy of every public method. Public so
 * that {@code decap-onnx}, {@code decap-nd4j} and user implementations never need decap-core's {@code internal}
 * packages.
 */
package dev.decap.spi;
