package dev.decap.onnx.bundle;

import dev.decap.ModelException;
import dev.decap.image.ClipPreprocessor;

import java.util.List;
import java.util.Optional;

/**
 * The image preprocessing a bundle declares in its {@code clip} section ({@code image_size}, {@code mean},
 * {@code std}, {@code interpolation}). Only {@code bicubic} (CLIP's) is implemented; another interpolation is
 * refused rather than silently replaced. Stateless.
 */
public final class BundlePreprocessing {
    private BundlePreprocessing() {
    }

    /**
     * The bundle's preprocessor, or empty when its manifest declares none of size, mean and std (the image
     * encoder then uses CLIP's defaults at the model's size).
     *
     * @throws ModelException naming the field when a value is malformed or the interpolation is not supported
     */
    public static Optional<ClipPreprocessor> of(ModelBundle bundle) {
        BundleManifest.Clip clip = bundle.manifest().clip();
        if (clip == null || (clip.imageSize() == null && clip.mean() == null && clip.std() == null)) {
            return Optional.empty();
        }
        String where = "bundle manifest " + bundle.directory().resolve(ModelBundle.MANIFEST);
        if (clip.interpolation() != null && !clip.interpolation().equals("bicubic")) {
            throw new ModelException(where + ": clip.interpolation \"" + clip.interpolation()
                    + "\" is not supported; this library preprocesses with \"bicubic\" (CLIP's)");
        }
        ClipPreprocessor.Builder b = ClipPreprocessor.builder();
        if (clip.imageSize() != null) {
            if (clip.imageSize() <= 0) {
                throw new ModelException(where + ": clip.image_size must be positive, found " + clip.imageSize());
            }
            b.size(clip.imageSize());
        }
        if (clip.mean() != null) {
            b.mean(channels(clip.mean(), "clip.mean", where));
        }
        if (clip.std() != null) {
            b.std(channels(clip.std(), "clip.std", where));
        }
        return Optional.of(b.build());
    }

    private static float[] channels(List<Float> values, String field, String where) {
        if (values.size() != 3 || values.contains(null)) {
            throw new ModelException(where + ": " + field + " needs one number per channel: expected 3, found "
                    + values.size());
        }
        return new float[]{values.get(0), values.get(1), values.get(2)};
    }
}
