package dev.decap.encoding;

import java.util.List;

/**
 * The default {@link PreparedImages} of an {@link ImageEncoder} that does not split preprocessing from inference:
 * the images themselves, encoded by {@link ImageEncoder#encodeAll} or {@link ImageEncoder#encodeAllDecoded}.
 */
record DeferredImages(ImageEncoder owner, List<?> images, boolean decoded) implements PreparedImages {
    DeferredImages {
        images = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(images));
    }

    @Override
    public int size() {
        return images.size();
    }
}
