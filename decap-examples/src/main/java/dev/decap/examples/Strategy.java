package dev.decap.examples;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.decoding.DecodingOptions;
import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;

import java.util.List;
import java.util.Locale;

/**
 * The four ways the DeCap paper turns an image embedding into a caption: projection decoding (PD, the paper's
 * method), nearest-neighbour decoding (NND), visual decoding (the image embedding itself, no memory) and retrieval
 * (the closest memory caption, verbatim).
 */
public enum Strategy {
    /** Projection-based decoding: the softmax-weighted mix of the memory (tau 0.01), decoded. */
    PD,
    /** Nearest-neighbour decoding: the closest memory embedding, decoded. */
    NND,
    /** Visual decoding: the image embedding decoded directly (the modality gap shows). */
    VISUAL,
    /** Retrieval: the closest memory caption, not decoded. */
    RETRIEVAL;

    /** The lower-case name used on the command line and in tables ({@code pd}, {@code nnd}, ...). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The name used in the paper's tables. */
    public String label() {
        return switch (this) {
            case PD -> "PD";
            case NND -> "NND";
            case VISUAL -> "visual";
            case RETRIEVAL -> "retrieval";
        };
    }

    /**
     * The projector of this strategy (retrieval uses none; PD's for it is returned so that a captioner can be built).
     *
     * @param topK for PD, 0 to mix the whole memory or the number of most similar entries to mix
     */
    public Projector projector(int topK) {
        return switch (this) {
            case PD, RETRIEVAL -> topK > 0 ? Projectors.projectionDecoding(ProjectionSettings.DEFAULT.withTopK(topK))
                    : Projectors.projectionDecoding();
            case NND -> Projectors.nearestNeighbour();
            case VISUAL -> Projectors.visual();
        };
    }

    /** Captions precomputed image embeddings this way with a captioner built on {@link #projector(int)}. */
    public List<Caption> caption(DeCap decap, List<float[]> imageEmbeddings, DecodingOptions options) {
        if (this == RETRIEVAL) {
            return imageEmbeddings.stream().map(decap::retrieveEmbedding).toList();
        }
        return decap.captionEmbeddings(imageEmbeddings, options);
    }
}
