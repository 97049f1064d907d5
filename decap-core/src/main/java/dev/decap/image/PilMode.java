package dev.decap.image;

/**
 * The Pillow image modes that {@link ImageLoader} produces and {@link ClipPreprocessor} understands. The mode
 * decides how Pillow resizes an image (premultiplied for alpha modes, nearest-neighbour for palettes, integer
 * arithmetic for 16-bit greyscale) and how {@code convert("RGB")} maps it.
 */
enum PilMode {
    /** 8-bit greyscale. */
    L(1),
    /** 8-bit greyscale with alpha; resized premultiplied, alpha dropped by {@code convert("RGB")}. */
    LA(2),
    /** 8-bit RGB. */
    RGB(3),
    /** 8-bit RGB with alpha; resized premultiplied, alpha dropped (not composited) by {@code convert("RGB")}. */
    RGBA(4),
    /** 8-bit CMYK (ink amounts, 0 = none); converted with Pillow's naive formula, no ICC profile. */
    CMYK(4),
    /** Palette indices (Pillow modes "P" and "1"); resized nearest-neighbour, then expanded. */
    P(1),
    /** 32-bit integer greyscale (16-bit PNG); resized in integers, clamped to 0..255 by {@code convert("RGB")}. */
    I(1);

    final int channels;

    PilMode(int channels) {
        this.channels = channels;
    }
}
