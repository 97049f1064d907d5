/** Implementation details of the ONNX Runtime components; not API. */
package dev.decap.onnx.internal;
