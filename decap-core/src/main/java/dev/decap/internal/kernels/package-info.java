/**
 * Numeric kernels of decap-core's memory banks and projectors: dot products with a fixed accumulation order and a
 * primitive bounded top-k heap. <b>Not public API</b>: may change in any release, and no other module uses it
 * (implementers of projectors use {@link dev.decap.projection.spi}).
 */
package dev.decap.internal.kernels;
