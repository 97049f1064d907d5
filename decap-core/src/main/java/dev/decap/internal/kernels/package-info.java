/**
 * Numeric kernels shared by the memory banks and projectors of decap-core and decap-onnx: dot products with a
 * fixed accumulation order, a primitive bounded top-k heap and the streaming (online) softmax of projection
 * decoding. <b>Not public API</b>: may change in any release.
 */
package dev.decap.internal.kernels;
