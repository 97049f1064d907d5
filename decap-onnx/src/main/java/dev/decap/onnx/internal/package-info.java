/**
 * Implementation details shared by the ONNX components of this module (session opening, guarded concurrent
 * execution, model signatures). Not API: anything here may change without notice.
 */
package dev.decap.onnx.internal;
