package dev.decap.image;

import java.awt.color.ColorSpace;

/**
 * The CMYK colour space of the images {@link ImageLoader} returns for CMYK JPEGs: Pillow's naive device CMYK
 * ({@code R = 255 - K - C(255 - K)/255}), no ICC profile. Components are ink amounts in [0, 1] (0 = no ink).
 * Java2D uses it to draw such images; {@link ClipPreprocessor} reads the samples directly.
 */
final class PilCmykColorSpace extends ColorSpace {
    private static final long serialVersionUID = 1L;
    static final PilCmykColorSpace INSTANCE = new PilCmykColorSpace();

    private PilCmykColorSpace() {
        super(TYPE_CMYK, 4);
    }

    @Override
    public float[] toRGB(float[] cmyk) {
        float nk = 1f - cmyk[3];
        return new float[] {clamp(nk - cmyk[0] * nk), clamp(nk - cmyk[1] * nk), clamp(nk - cmyk[2] * nk)};
    }

    @Override
    public float[] fromRGB(float[] rgb) {
        float max = Math.max(rgb[0], Math.max(rgb[1], rgb[2]));
        float k = 1f - max;
        if (max <= 0f) {
            return new float[] {0f, 0f, 0f, 1f};
        }
        return new float[] {clamp(1f - rgb[0] / max), clamp(1f - rgb[1] / max), clamp(1f - rgb[2] / max), k};
    }

    @Override
    public float[] toCIEXYZ(float[] cmyk) {
        return ColorSpace.getInstance(CS_sRGB).toCIEXYZ(toRGB(cmyk));
    }

    @Override
    public float[] fromCIEXYZ(float[] xyz) {
        return fromRGB(ColorSpace.getInstance(CS_sRGB).fromCIEXYZ(xyz));
    }

    @Override
    public String getName(int component) {
        return switch (component) {
            case 0 -> "Cyan";
            case 1 -> "Magenta";
            case 2 -> "Yellow";
            case 3 -> "Black";
            default -> throw new IllegalArgumentException("CMYK has components 0..3, found " + component);
        };
    }

    private static float clamp(float v) {
        return v < 0f ? 0f : Math.min(v, 1f);
    }

    private Object readResolve() {
        return INSTANCE;
    }
}
