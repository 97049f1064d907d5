/**
 * Projectors map a CLIP image embedding into the text embedding space the caption decoder was trained on.
 *
 * <ul>
 *   <li>{@link dev.decap.projection.ProjectionDecoding}: DeCap's projection-based decoding (PD), a softmax-weighted
 *       mix of the memory embeddings, {@code normalize(Σ softmax(m·v/τ)_i m_i)};</li>
 *   <li>{@link dev.decap.projection.NearestNeighbourProjector}: nearest-neighbour decoding (NND), the closest memory
 *       embedding;</li>
 *   <li>{@link dev.decap.projection.IdentityProjector}: visual decoding, the image embedding itself.</li>
 * </ul>
 *
 * All projectors are immutable and thread-safe; results are unit vectors plus the memory entries that
 * contributed. decap-onnx adds a BLAS-backed projection decoding for large banks and batches.
 */
package dev.decap.projection;
