package dev.decap.onnx.projection;

import dev.decap.projection.IdentityProjector;
import dev.decap.projection.NearestNeighbourProjector;
import dev.decap.projection.ProjectionDecoding;
import dev.decap.projection.Projector;

/**
 * The fastest projector of each kind on this module's stack, chosen from the benchmark in
 * {@code docs/memory-and-projection.md}: single queries run the pure-Java kernel (a matrix-vector product is
 * bound by memory bandwidth, where Java is as fast as BLAS and pays no ND4J call overhead nor off-heap copy),
 * batches run ND4J gemm (a matrix-matrix product is bound by arithmetic, where BLAS's SIMD kernels on every core
 * win).
 */
public final class Projectors {
    private Projectors() {
    }

    /**
     * DeCap's projection decoding (τ = 0.01): pure Java for one query, ND4J gemm for batches. Close it to free the
     * off-heap bank copies early.
     */
    public static Nd4jProjectionDecoding projectionDecoding() {
        return Nd4jProjectionDecoding.builder().build();
    }

    /** Projection decoding with another temperature; see {@link #projectionDecoding()}. */
    public static Nd4jProjectionDecoding projectionDecoding(double temperature) {
        return Nd4jProjectionDecoding.builder().temperature(temperature).build();
    }

    /** Projection decoding in pure Java only, with no native memory: for small banks or single queries. */
    public static ProjectionDecoding pureJavaProjectionDecoding() {
        return ProjectionDecoding.create();
    }

    /** Nearest-neighbour decoding. */
    public static Projector nearestNeighbour() {
        return new NearestNeighbourProjector();
    }

    /** Visual decoding (the image embedding itself). */
    public static Projector visual() {
        return new IdentityProjector();
    }
}
