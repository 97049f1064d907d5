/**
 * Service-provider interfaces for implementers of projection decoding: {@link
 * dev.decap.projection.spi.ProjectorProvider} (plug a projector in through {@link java.util.ServiceLoader}),
 * {@link dev.decap.projection.spi.ProjectionAccumulator} (the one online-softmax definition of PD that every
 * implementation feeds, with an exact merge of partial states for sharded scans) and
 * {@link dev.decap.projection.spi.ProjectionInputs} (shared input checks).
 *
 * <p>Stable for implementers: changes here follow the library's versioning like the rest of the public API.
 */
package dev.decap.projection.spi;
