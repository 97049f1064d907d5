package dev.decap.miniature;

import java.nio.file.Path;

/** Test bridge to the package-private extraction of the miniature bundle into a given cache root. */
public final class MiniatureExtraction {
    private MiniatureExtraction() {
    }

    /** {@code Miniature.extract(root)}: extracts (or reuses, if intact) the bundle under {@code root}. */
    public static Path extract(Path root) {
        return Miniature.extract(root);
    }
}
