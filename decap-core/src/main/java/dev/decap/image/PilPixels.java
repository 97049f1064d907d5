package dev.decap.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;

/**
 * Raw pixels in one of Pillow's modes: interleaved unsigned bytes for the 8-bit modes, palette indices plus an
 * RGB palette for {@link PilMode#P}, integers for {@link PilMode#I}. The bridge between {@link BufferedImage}s and
 * the Pillow arithmetic: pixels are read from and written to rasters directly, never through Java2D drawing
 * (which would composite alpha and colour-manage).
 */
final class PilPixels {
    final PilMode mode;
    final int width;
    final int height;
    /** 8-bit modes: width * height * channels samples; P: one index per pixel. Null for I. */
    final byte[] bytes;
    /** Mode I only: one value per pixel. */
    final int[] ints;
    /** Mode P only: 0xRRGGBB per palette entry. */
    final int[] palette;

    PilPixels(PilMode mode, int width, int height, byte[] bytes, int[] ints, int[] palette) {
        this.mode = mode;
        this.width = width;
        this.height = height;
        this.bytes = bytes;
        this.ints = ints;
        this.palette = palette;
    }

    static PilPixels bytes(PilMode mode, int width, int height, byte[] data) {
        return new PilPixels(mode, width, height, data, null, null);
    }

    static PilPixels indexed(int width, int height, byte[] indices, int[] palette) {
        return new PilPixels(PilMode.P, width, height, indices, null, palette);
    }

    static PilPixels ints(int width, int height, int[] values) {
        return new PilPixels(PilMode.I, width, height, null, values, null);
    }

    /**
     * Reads an image the way the loader wrote it, or any other image as the nearest Pillow mode: index colour
     * models are palettes, 8-bit grey/RGB/CMYK rasters are read sample by sample, 16-bit single-band grey is mode
     * I. Anything else (premultiplied, packed 5/6-bit, 16-bit colour images made by the caller) goes through
     * {@link BufferedImage#getRGB}, i.e. sRGB with straight alpha.
     */
    static PilPixels of(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        int bands = raster.getNumBands();
        if (cm instanceof IndexColorModel icm && bands == 1 && icm.getMapSize() <= 256) {
            int[] palette = new int[icm.getMapSize()];
            icm.getRGBs(palette);
            for (int i = 0; i < palette.length; i++) {
                palette[i] &= 0xFFFFFF;
            }
            int[] idx = raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, 0, (int[]) null);
            byte[] out = new byte[idx.length];
            for (int i = 0; i < idx.length; i++) {
                out[i] = (byte) idx[i];
            }
            return indexed(w, h, out, palette);
        }
        if (!(cm instanceof IndexColorModel) && !cm.isAlphaPremultiplied()) {
            int type = cm.getColorSpace().getType();
            boolean eight = allSampleSizes(raster, 8);
            if (type == ColorSpace.TYPE_GRAY) {
                if (bands == 1 && eight) {
                    return bytes(PilMode.L, w, h, readBytes(raster, 1));
                }
                if (bands == 2 && eight && cm.hasAlpha()) {
                    return bytes(PilMode.LA, w, h, readBytes(raster, 2));
                }
                if (bands == 1 && allSampleSizes(raster, 16)) {
                    return ints(w, h, raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, 0, (int[]) null));
                }
            } else if (type == ColorSpace.TYPE_RGB && eight) {
                if (bands == 3 && !cm.hasAlpha()) {
                    return bytes(PilMode.RGB, w, h, readBytes(raster, 3));
                }
                if (bands == 4 && cm.hasAlpha()) {
                    return bytes(PilMode.RGBA, w, h, readBytes(raster, 4));
                }
            } else if (type == ColorSpace.TYPE_CMYK && eight && bands == 4 && !cm.hasAlpha()) {
                return bytes(PilMode.CMYK, w, h, readBytes(raster, 4));
            }
        }
        boolean alpha = cm.hasAlpha();
        int channels = alpha ? 4 : 3;
        byte[] out = new byte[w * h * channels];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int p = (y * w + x) * channels;
                out[p] = (byte) (argb >> 16);
                out[p + 1] = (byte) (argb >> 8);
                out[p + 2] = (byte) argb;
                if (alpha) {
                    out[p + 3] = (byte) (argb >>> 24);
                }
            }
        }
        return bytes(alpha ? PilMode.RGBA : PilMode.RGB, w, h, out);
    }

    private static boolean allSampleSizes(Raster raster, int bits) {
        for (int s : raster.getSampleModel().getSampleSize()) {
            if (s != bits) {
                return false;
            }
        }
        return true;
    }

    /** The first {@code channels} bands of an 8-bit raster, interleaved. */
    static byte[] readBytes(Raster raster, int channels) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[w * h * channels];
        if (raster.getSampleModel() instanceof ComponentSampleModel csm
                && raster.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
                && allBankZero(csm)) {
            byte[] data = db.getData();
            int pixelStride = csm.getPixelStride();
            int scan = csm.getScanlineStride();
            int[] offsets = csm.getBandOffsets();
            int base = db.getOffset() + (raster.getMinY() - raster.getSampleModelTranslateY()) * scan
                    + (raster.getMinX() - raster.getSampleModelTranslateX()) * pixelStride;
            int o = 0;
            if (channels == 3) {
                // TYPE_3BYTE_BGR and friends: the hot path of every JPEG.
                int o0 = offsets[0];
                int o1 = offsets[1];
                int o2 = offsets[2];
                for (int y = 0; y < h; y++) {
                    int p = base + y * scan;
                    for (int x = 0; x < w; x++, p += pixelStride, o += 3) {
                        out[o] = data[p + o0];
                        out[o + 1] = data[p + o1];
                        out[o + 2] = data[p + o2];
                    }
                }
                return out;
            }
            for (int y = 0; y < h; y++) {
                int p = base + y * scan;
                for (int x = 0; x < w; x++, p += pixelStride) {
                    for (int c = 0; c < channels; c++) {
                        out[o++] = data[p + offsets[c]];
                    }
                }
            }
            return out;
        }
        int[] samples = new int[w];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < h; y++) {
                raster.getSamples(raster.getMinX(), raster.getMinY() + y, w, 1, c, samples);
                int o = y * w * channels + c;
                for (int x = 0; x < w; x++, o += channels) {
                    out[o] = (byte) samples[x];
                }
            }
        }
        return out;
    }

    private static boolean allBankZero(ComponentSampleModel csm) {
        for (int bank : csm.getBankIndices()) {
            if (bank != 0) {
                return false;
            }
        }
        return true;
    }

    /** A BufferedImage holding these pixels unchanged, in a standard type where one fits the mode. */
    BufferedImage toBufferedImage() {
        switch (mode) {
            case L -> {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
                writeBytes(img.getRaster(), 1);
                return img;
            }
            case RGB -> {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
                writeBytes(img.getRaster(), 3);
                return img;
            }
            case RGBA -> {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_4BYTE_ABGR);
                writeBytes(img.getRaster(), 4);
                return img;
            }
            case LA -> {
                return custom(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, 2);
            }
            case CMYK -> {
                return custom(PilCmykColorSpace.INSTANCE, false, 4);
            }
            case P -> {
                int n = Math.max(palette.length, 1);
                byte[] r = new byte[n];
                byte[] g = new byte[n];
                byte[] b = new byte[n];
                for (int i = 0; i < palette.length; i++) {
                    r[i] = (byte) (palette[i] >> 16);
                    g[i] = (byte) (palette[i] >> 8);
                    b[i] = (byte) palette[i];
                }
                IndexColorModel icm = new IndexColorModel(8, n, r, g, b);
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED, icm);
                writeBytes(img.getRaster(), 1);
                return img;
            }
            case I -> {
                BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_USHORT_GRAY);
                img.getRaster().setSamples(0, 0, width, height, 0, ints);
                return img;
            }
            default -> throw new IllegalStateException("unhandled mode " + mode);
        }
    }

    private BufferedImage custom(ColorSpace cs, boolean alpha, int channels) {
        ComponentColorModel cm = new ComponentColorModel(cs, alpha, false,
                alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(width, height);
        writeBytes(raster, channels);
        return new BufferedImage(cm, raster, false, null);
    }

    private void writeBytes(WritableRaster raster, int channels) {
        if (raster.getSampleModel() instanceof ComponentSampleModel csm
                && raster.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
                && raster.getMinX() == 0 && raster.getMinY() == 0 && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0 && allBankZero(csm)) {
            byte[] data = db.getData();
            int pixelStride = csm.getPixelStride();
            int scan = csm.getScanlineStride();
            int[] offsets = csm.getBandOffsets();
            int o = 0;
            if (channels == 3) {
                int o0 = offsets[0];
                int o1 = offsets[1];
                int o2 = offsets[2];
                for (int y = 0; y < height; y++) {
                    int p = db.getOffset() + y * scan;
                    for (int x = 0; x < width; x++, p += pixelStride, o += 3) {
                        data[p + o0] = bytes[o];
                        data[p + o1] = bytes[o + 1];
                        data[p + o2] = bytes[o + 2];
                    }
                }
                return;
            }
            for (int y = 0; y < height; y++) {
                int p = db.getOffset() + y * scan;
                for (int x = 0; x < width; x++, p += pixelStride) {
                    for (int c = 0; c < channels; c++) {
                        data[p + offsets[c]] = bytes[o++];
                    }
                }
            }
            return;
        }
        int[] samples = new int[width];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                int o = y * width * channels + c;
                for (int x = 0; x < width; x++, o += channels) {
                    samples[x] = bytes[o] & 0xFF;
                }
                raster.setSamples(0, y, width, 1, c, samples);
            }
        }
    }
}
