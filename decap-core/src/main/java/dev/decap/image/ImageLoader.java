package dev.decap.image;

import dev.decap.ConfigurationException;
import dev.decap.ImageDecodingException;
import dev.decap.InvalidInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decodes JPEG, PNG, GIF and BMP files into {@link BufferedImage}s that hold the same pixel values Pillow 9.4
 * holds after {@code Image.open} (the pixels openai/CLIP's preprocessing starts from), so that
 * {@link ClipPreprocessor} can reproduce CLIP's reference preprocessing exactly.
 *
 * <p>What the returned image holds, by source:
 * <ul>
 *   <li>JPEG: RGB ({@code TYPE_3BYTE_BGR}), greyscale ({@code TYPE_BYTE_GRAY}) or CMYK (a four-band image in
 *       Pillow's naive CMYK colour space; Adobe's inverted storage undone, as Pillow does). No ICC conversion.</li>
 *   <li>PNG: 8-bit RGB, RGBA ({@code TYPE_4BYTE_ABGR}, straight alpha), greyscale, greyscale+alpha, palette
 *       ({@code TYPE_BYTE_INDEXED}; 1-bit greyscale too); 2- and 4-bit greyscale scaled to 8 bits; 16-bit colour
 *       reduced to the high byte of each sample; 16-bit greyscale kept as {@code TYPE_USHORT_GRAY} (Pillow's mode
 *       "I"); 16-bit greyscale+alpha as RGBA. Gamma, ICC profiles and tRNS colour keys are ignored.</li>
 *   <li>GIF: the first frame, as palette indices on the logical screen (enlarged to hold the frame), greyscale
 *       when there is no palette or it is the grey ramp, as Pillow decides.</li>
 *   <li>BMP: palette (greyscale when the palette is the grey ramp), 16-, 24- and 32-bit RGB.</li>
 * </ul>
 *
 * <p>As strict as Pillow: where Pillow 9.4 refuses a file (corrupt or truncated GIF LZW data, PNG chunks with
 * wrong CRCs before the image data, broken zlib data or filters, truncated files, JPEG data libjpeg cannot decode),
 * so does the loader, with an {@link ImageDecodingException} naming the input and the damage. GIF and PNG are
 * decoded by the loader itself, following Pillow's decoders, so that verdicts and pixels match; JPEG and BMP go
 * through ImageIO. Where Pillow decodes damaged data anyway (JPEG data libjpeg warns about, a PNG whose zlib
 * stream ends before the last row, wrong IDAT CRCs), the loader does too and logs a warning naming the damage;
 * {@link Builder#strict(boolean)} refuses such images instead.
 *
 * <p>Bounded work: the width and height are read from the file's own header and checked against
 * {@link #maxPixels()} before any pixel is allocated (a decompression bomb fails fast), and against what one Java
 * array holds; {@link Builder#decodeDeadline(Duration)} stops a decode that runs longer than allowed. Empty, unknown
 * input fails with an {@link ImageDecodingException} naming the input; a null argument with an
 * {@link InvalidInputException}.
 *
 * <p>EXIF orientation: off by default, because CLIP's reference ignores it. When enabled, JPEGs are turned
 * upright by their EXIF orientation tag (Pillow's {@code ImageOps.exif_transpose}).
 *
 * <p>Immutable and thread-safe; build with {@link #builder()}.
 */
public final class ImageLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ImageLoader.class);

    /**
     * Default pixel limit: 32 megapixels (e.g. 6928 × 4619). Chosen from the measured worst case: the costliest
     * inputs per pixel (16-bit RGBA PNG, progressive JPEG) take about 62 ms of CPU per megapixel to decode and
     * preprocess, so a 32 MP image costs at most about 2 s (measured with the {@code ImageDecodeCost} benchmark; see
     * docs/reliability.md). Raise it with {@link Builder#maxPixels(long)} for larger photos.
     */
    public static final long DEFAULT_MAX_PIXELS = 32_000_000L;

    private static final String FORMATS = "JPEG, PNG, GIF or BMP";

    /** The most samples one Java array holds (the decoded pixels of an image live in one array). */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final long maxPixels;
    private final boolean applyExifOrientation;
    private final boolean strict;
    private final Duration decodeDeadline;

    private ImageLoader(Builder b) {
        this.maxPixels = b.maxPixels;
        this.applyExifOrientation = b.applyExifOrientation;
        this.strict = b.strict;
        this.decodeDeadline = b.decodeDeadline;
    }

    /** A builder with the defaults of {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A loader with the defaults: {@link #DEFAULT_MAX_PIXELS 32 megapixel} limit, EXIF orientation ignored (as CLIP's
     * reference does), damaged images Pillow decodes decoded too (with a warning), no decode deadline.
     */
    public static ImageLoader defaults() {
        return builder().build();
    }

    /** The largest width × height this loader decodes. */
    public long maxPixels() {
        return maxPixels;
    }

    /** Whether JPEGs are turned upright by their EXIF orientation. */
    public boolean applyExifOrientation() {
        return applyExifOrientation;
    }

    /**
     * Whether damaged images that Pillow decodes anyway (corrupt JPEG data libjpeg warns about, a PNG whose image
     * data ends early or whose IDAT CRC is wrong) are refused rather than decoded with a logged warning.
     */
    public boolean strict() {
        return strict;
    }

    /** The longest one decode may take, if a deadline is set. */
    public Optional<Duration> decodeDeadline() {
        return Optional.ofNullable(decodeDeadline);
    }

    /**
     * Decodes the image file at {@code path}.
     *
     * @throws InvalidInputException  if {@code path} is null
     * @throws ImageDecodingException if the file cannot be read or decoded, or exceeds the pixel limit
     */
    public BufferedImage load(Path path) {
        return load(readFile(path), path.toString());
    }

    private static byte[] readFile(Path path) {
        if (path == null) {
            throw new InvalidInputException("image path is null; pass the path of an image file");
        }
        // Only regular files: reading a FIFO or a device would block or never end.
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new InvalidInputException("image path " + path + " is not a regular file ("
                    + (Files.isDirectory(path) ? "a directory" : "a FIFO, device or socket")
                    + "); pass the path of an image file");
        }
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ImageDecodingException("image file " + path + " does not exist; check the path", e);
        } catch (IOException e) {
            throw new ImageDecodingException("cannot read image file " + path + ": " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new ImageDecodingException("image file " + path + " is too large to read into memory", e);
        }
    }

    private static byte[] readStream(InputStream stream, String label) {
        if (stream == null) {
            throw new InvalidInputException("image stream of " + label + " is null; pass an open stream");
        }
        try {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new ImageDecodingException("cannot read image stream " + label + ": " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new ImageDecodingException("image stream " + label + " is too large to read into memory", e);
        }
    }

    /**
     * Decodes image bytes; {@code name} identifies the input in error messages.
     *
     * @throws InvalidInputException  if {@code bytes} is null
     * @throws ImageDecodingException if the bytes are empty, truncated, corrupt, of an unknown format, or exceed
     *                                the pixel limit
     */
    public BufferedImage load(byte[] bytes, String name) {
        Decoded d = decodeRaw(bytes, name);
        try {
            BufferedImage image = d.pixels.toBufferedImage();
            if (applyExifOrientation && d.orientation > 1) {
                image = ExifOrientation.apply(image, d.orientation);
            }
            return image;
        } catch (OutOfMemoryError e) {
            throw outOfMemory(d.label, d.width, d.height, e);
        }
    }

    /**
     * Decodes the image file at {@code path} into its raw pixels (no {@link BufferedImage}), as the captioner reads
     * images; {@link ClipPreprocessor#preprocess(DecodedImage)} gives exactly what it gives for {@link #load(Path)}.
     *
     * @throws InvalidInputException  if {@code path} is null
     * @throws ImageDecodingException as {@link #load(Path)}
     */
    public DecodedImage decode(Path path) {
        return decode(readFile(path), path.toString());
    }

    /**
     * Decodes image bytes into their raw pixels; see {@link #decode(Path)}.
     *
     * @throws InvalidInputException  if {@code bytes} is null
     * @throws ImageDecodingException as {@link #load(byte[], String)}
     */
    public DecodedImage decode(byte[] bytes, String name) {
        Decoded d = decodeRaw(bytes, name);
        try {
            PilPixels pixels = d.pixels;
            if (applyExifOrientation && d.orientation > 1) {
                // Only rotated JPEGs take this detour through Java2D, as load(..) does.
                pixels = PilPixels.of(ExifOrientation.apply(pixels.toBufferedImage(), d.orientation));
            }
            return new DecodedImage(pixels);
        } catch (OutOfMemoryError e) {
            throw outOfMemory(d.label, d.width, d.height, e);
        }
    }

    /**
     * Decodes an image stream (read to its end, not closed) into its raw pixels; see {@link #decode(Path)}.
     *
     * @throws InvalidInputException  if {@code stream} is null
     * @throws ImageDecodingException as {@link #load(InputStream, String)}
     */
    public DecodedImage decode(InputStream stream, String name) {
        String label = name == null ? "<unnamed>" : name;
        return decode(readStream(stream, label), label);
    }

    private record Decoded(PilPixels pixels, int orientation, String label, long width, long height,
                           List<String> damage) {
    }

    /**
     * Decodes and returns the damage found (what Pillow tolerates), without logging it or refusing it in strict
     * mode; for tests.
     */
    List<String> damageOf(byte[] bytes, String name) {
        return decodeRaw(bytes, name, false).damage;
    }

    private Decoded decodeRaw(byte[] bytes, String name) {
        return decodeRaw(bytes, name, true);
    }

    private Decoded decodeRaw(byte[] bytes, String name, boolean judgeDamage) {
        String label = name == null ? "<unnamed>" : name;
        if (bytes == null) {
            throw new InvalidInputException("image bytes of " + label + " are null; pass the bytes of an image file");
        }
        if (bytes.length == 0) {
            throw new ImageDecodingException("image " + label + " is empty (0 bytes); pass a " + FORMATS + " file");
        }
        ImageHeader.Format format = ImageHeader.sniff(bytes);
        if (format == null) {
            if (ImageHeader.isSignaturePrefix(bytes)) {
                throw new ImageDecodingException("image " + label + " is truncated: only " + bytes.length
                        + " bytes, not even a complete file signature; pass the complete file");
            }
            throw new ImageDecodingException("image " + label + " is in an unknown format (it starts with "
                    + hexStart(bytes) + "); pass a " + FORMATS + " file");
        }
        ImageHeader header = ImageHeader.parse(format, bytes, label);
        checkPixels(label, header);
        DecodeDeadline deadline = DecodeDeadline.startingNow(decodeDeadline);
        List<String> damage = new ArrayList<>();
        try {
            PilPixels pixels;
            try {
                pixels = decode(bytes, header, label, deadline, damage);
            } catch (ImageDecodingException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw new ImageDecodingException("cannot decode image " + label + " as " + format + ": "
                        + describe(e) + "; the file is truncated or corrupt", e);
            }
            if (judgeDamage && !damage.isEmpty()) {
                String what = String.join("; ", damage);
                if (strict) {
                    throw new ImageDecodingException("image " + label + " is damaged (" + what + "); it is refused"
                            + " because ImageLoader.builder().strict(true) is set (Pillow would decode it); build the"
                            + " loader without it to decode such images");
                }
                LOG.warn("image {} is damaged ({}); decoded as Pillow decodes it (ImageLoader.builder().strict(true)"
                        + " refuses such images)", label, what);
            }
            return new Decoded(pixels, header.exifOrientation(), label, header.width(), header.height(),
                    List.copyOf(damage));
        } catch (OutOfMemoryError e) {
            throw outOfMemory(label, header.width(), header.height(), e);
        }
    }

    /**
     * Only images within the pixel limit get here; the failed allocation is a large pixel buffer that is released as
     * this unwinds, so reporting it as bad input is safe.
     */
    private static ImageDecodingException outOfMemory(String label, long width, long height, OutOfMemoryError e) {
        return new ImageDecodingException("not enough memory to decode image " + label + " (" + width + "x" + height
                + " pixels); lower ImageLoader.builder().maxPixels(..) or give the JVM more heap (-Xmx)", e);
    }

    /**
     * Decodes an image from a stream, which is read to its end but not closed; {@code name} identifies it in
     * messages.
     *
     * @throws InvalidInputException  if {@code stream} is null
     * @throws ImageDecodingException as {@link #load(byte[], String)}, or if the stream cannot be read
     */
    public BufferedImage load(InputStream stream, String name) {
        String label = name == null ? "<unnamed>" : name;
        return load(readStream(stream, label), label);
    }

    private void checkPixels(String name, ImageHeader header) {
        long w = header.width();
        long h = header.height();
        if (w * h > maxPixels) {
            throw new ImageDecodingException("image " + name + " is " + w + "x" + h + " = " + (w * h)
                    + " pixels, over the limit of " + maxPixels + " pixels; it is refused from its header, before"
                    + " decoding; raise ImageLoader.builder().maxPixels(..) if such images are intended");
        }
        long samples = w * h * samplesPerPixel(header);
        if (samples > MAX_ARRAY) {
            throw new ImageDecodingException("image " + name + " is " + w + "x" + h + " = " + (w * h)
                    + " pixels, too large to decode at all: its pixels need " + samples + " samples in one array,"
                    + " more than a Java array holds (" + MAX_ARRAY + "); it is refused from its header; resize it"
                    + " below " + (MAX_ARRAY / samplesPerPixel(header)) + " pixels");
        }
    }

    /** Samples per pixel of the decoded raster (the widest of the decoder's and the loader's own arrays). */
    private static int samplesPerPixel(ImageHeader header) {
        return switch (header.format()) {
            case PNG -> PngDecoder.channels(header.colourType()) + (header.colourType() == 4 ? 2 : 0);
            case JPEG -> Math.max(1, header.colourType());
            case GIF -> 1;
            case BMP -> header.bitDepth() <= 8 ? 1 : 4;
        };
    }

    private static String hexStart(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(4, bytes.length); i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", bytes[i] & 0xFF));
        }
        return sb.toString();
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        Throwable cause = e.getCause();
        if (cause != null && cause.getMessage() != null && (msg == null || !msg.contains(cause.getMessage()))) {
            msg = (msg == null ? "" : msg + ": ") + cause.getMessage();
        }
        return msg == null ? e.getClass().getSimpleName() : msg;
    }

    /** The decoded image of the given format, in the Pillow mode Pillow 9.4 would give it. */
    private static PilPixels decode(byte[] bytes, ImageHeader header, String name, DecodeDeadline deadline,
                                    List<String> damage) throws IOException {
        switch (header.format()) {
            case GIF -> {
                return gif(bytes, name, deadline);
            }
            case PNG -> {
                PngDecoder.Result png = PngDecoder.decode(bytes, header, name, deadline);
                damage.addAll(png.damage());
                return png.pixels();
            }
            default -> {
                return imageIo(bytes, header, name, deadline, damage);
            }
        }
    }

    /** ImageIO's decode, through the first installed reader that succeeds. */
    private static PilPixels imageIo(byte[] bytes, ImageHeader header, String name, DecodeDeadline deadline,
                                     List<String> damage) throws IOException {
        List<ImageReader> readers = new ArrayList<>();
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(header.format().imageIoName);
        while (it.hasNext()) {
            readers.add(it.next());
        }
        if (readers.isEmpty()) {
            throw new ImageDecodingException("no ImageIO reader for " + header.format() + " is installed, so image "
                    + name + " cannot be decoded; add an ImageIO plugin for it to the class path");
        }
        IOException firstIo = null;
        RuntimeException firstRuntime = null;
        for (ImageReader reader : readers) {
            List<String> warnings = new ArrayList<>();
            try (ImageInputStream in = new ByteImageInputStream(bytes, deadline)) {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                if (deadline != null) {
                    reader.addIIOReadProgressListener(new AbortAtDeadline(deadline));
                }
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w * h > (long) header.width() * header.height() && header.format() != ImageHeader.Format.GIF) {
                    throw new ImageDecodingException("image " + name + " is corrupt: its header says "
                            + header.width() + "x" + header.height() + " but the decoder reads " + w + "x" + h);
                }
                PilPixels pixels;
                if (header.format() == ImageHeader.Format.JPEG) {
                    // Raw components, converted here with libjpeg's own tables: ImageIO's converted output
                    // depends on the plugin (ICC handling, colour-space guesses).
                    pixels = jpeg(reader.readRaster(0, null), header, name);
                } else {
                    pixels = toPil(reader.read(0), header, name);
                }
                if (deadline != null) {
                    deadline.check(name);
                }
                checkWarnings(warnings, name, damage);
                return pixels;
            } catch (IOException e) {
                if (deadline != null && deadline.passed()) {
                    throw deadline.exceeded(name);
                }
                if (firstIo == null) {
                    firstIo = e;
                }
                LOG.debug("ImageIO reader {} failed on {}: {}", reader.getClass().getName(), name, e.toString());
            } catch (ImageDecodingException e) {
                throw e;
            } catch (RuntimeException e) {
                if (deadline != null && deadline.passed()) {
                    throw deadline.exceeded(name);
                }
                if (firstRuntime == null) {
                    firstRuntime = e;
                }
                LOG.debug("ImageIO reader {} failed on {}: {}", reader.getClass().getName(), name, e.toString());
            } finally {
                reader.dispose();
            }
        }
        if (firstIo != null) {
            throw firstIo;
        }
        throw firstRuntime;
    }

    /**
     * libjpeg reports a truncated file as a warning ("Premature end of JPEG file") and fills the rest grey; Pillow
     * refuses it, so do we. Its other warnings ("Corrupt JPEG data: ...", a marker hit inside the scan) are damage
     * that Pillow decodes through.
     */
    private static void checkWarnings(List<String> warnings, String name, List<String> damage) {
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end of jpeg file") || lower.contains("truncated")
                    || lower.contains("end of file")) {
                throw new ImageDecodingException("image " + name + " is truncated (" + w
                        + "); pass the complete file");
            }
            damage.add("decoder warning: " + w);
        }
    }

    /**
     * Aborts an ImageIO reader at its progress reports (the decoding thread, about once a row) once the deadline has
     * passed; the decode then stops early and the caller throws. No timer thread is involved.
     */
    private record AbortAtDeadline(DecodeDeadline deadline) implements IIOReadProgressListener {
        @Override
        public void imageProgress(ImageReader source, float percentageDone) {
            if (deadline.passed()) {
                source.abort();
            }
        }

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {
        }

        @Override
        public void sequenceComplete(ImageReader source) {
        }

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {
        }

        @Override
        public void imageComplete(ImageReader source) {
        }

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {
        }

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {
        }

        @Override
        public void thumbnailComplete(ImageReader source) {
        }

        @Override
        public void readAborted(ImageReader source) {
        }
    }

    /**
     * JPEG components as libjpeg hands them to Pillow: greyscale as is, YCbCr converted to RGB, YCCK converted to
     * CMYK; CMYK then inverted, as Pillow's "CMYK;I" raw mode does (Adobe's convention).
     */
    private static PilPixels jpeg(Raster raster, ImageHeader header, String name) {
        int components = header.colourType();
        int bands = raster.getNumBands();
        if (bands != components || raster.getSampleModel().getSampleSize(0) != 8
                || (components != 1 && components != 3 && components != 4)) {
            throw new ImageDecodingException("image " + name + " is a JPEG with " + components
                    + " components of " + header.bitDepth() + " bits that decodes to " + bands
                    + " bands; only 8-bit greyscale, RGB/YCbCr and CMYK/YCCK JPEGs are supported");
        }
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] data = PilPixels.readBytes(raster, components);
        if (components == 1) {
            return PilPixels.bytes(PilMode.L, w, h, data);
        }
        if (components == 3) {
            if (header.jpegYcc()) {
                JpegColour.yccToRgb(data);
            }
            return PilPixels.bytes(PilMode.RGB, w, h, data);
        }
        if (header.jpegYcc()) {
            JpegColour.ycckToCmyk(data);
        }
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (255 - (data[i] & 0xFF));
        }
        return PilPixels.bytes(PilMode.CMYK, w, h, data);
    }

    private static PilPixels toPil(BufferedImage img, ImageHeader header, String name) {
        return switch (header.format()) {
            case BMP -> bmp(img, header);
            case JPEG, GIF, PNG -> throw new IllegalStateException(header.format() + " is not decoded by ImageIO here");
        };
    }

    /** The first frame, decoded as Pillow decodes it (ImageIO's reader hides corrupt and missing data). */
    private static PilPixels gif(byte[] bytes, String name, DecodeDeadline deadline) {
        GifDecoder.Frame f = GifDecoder.parse(bytes, name);
        byte[] indices = GifDecoder.decode(bytes, f, name, deadline);
        if (f.palette() == null || greyRamp(f.palette())) {
            // Pillow reads a GIF without a colour table, or with the grey ramp, as greyscale.
            return PilPixels.bytes(PilMode.L, f.width(), f.height(), indices);
        }
        return PilPixels.indexed(f.width(), f.height(), indices, PngDecoder.pillowPalette(f.palette()));
    }

    private static PilPixels bmp(BufferedImage img, ImageHeader header) {
        ColorModel cm = img.getColorModel();
        if (cm instanceof IndexColorModel) {
            PilPixels p = PilPixels.of(img);
            boolean twoColours = p.palette.length == 2;
            return !twoColours && greyRamp(p.palette) ? asGrey(p) : p;
        }
        Raster r = img.getRaster();
        int w = img.getWidth();
        int h = img.getHeight();
        int bands = r.getNumBands();
        if (header.bitDepth() == 32 && bands == 4 && cm.hasAlpha() && header.colourType() == 3) {
            return PilPixels.bytes(PilMode.RGBA, w, h, interleaveScaled(r, 4));
        }
        if (bands >= 3 && cm.getColorSpace().getType() == ColorSpace.TYPE_RGB) {
            return PilPixels.bytes(PilMode.RGB, w, h, interleaveScaled(r, 3));
        }
        return PilPixels.of(img);
    }

    /** Pillow treats a palette whose entry i is (i, i, i) as greyscale (GIF: over the whole table). */
    private static boolean greyRamp(int[] palette) {
        for (int i = 0; i < palette.length; i++) {
            if (palette[i] != (i * 0x010101) || i > 255) {
                return false;
            }
        }
        return palette.length > 0;
    }

    private static PilPixels asGrey(PilPixels p) {
        return PilPixels.bytes(PilMode.L, p.width, p.height, p.bytes.clone());
    }

    /** The first {@code c} bands, each scaled from its bit width to 8 bits as Pillow's unpackers do (v*255/max). */
    private static byte[] interleaveScaled(Raster r, int c) {
        int w = r.getWidth();
        int h = r.getHeight();
        byte[] out = new byte[w * h * c];
        int[] row = new int[w];
        for (int k = 0; k < c; k++) {
            int max = (1 << r.getSampleModel().getSampleSize(k)) - 1;
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, k, row);
                int o = y * w * c + k;
                for (int x = 0; x < w; x++, o += c) {
                    out[o] = (byte) (max == 255 ? row[x] : row[x] * 255 / max);
                }
            }
        }
        return out;
    }

    /** Builder; every setting is optional. */
    public static final class Builder {
        private long maxPixels = DEFAULT_MAX_PIXELS;
        private boolean applyExifOrientation;
        private boolean strict;
        private Duration decodeDeadline;

        private Builder() {
        }

        /**
         * Largest width × height accepted; larger images are refused from their header, before decoding.
         * Optional. Default: {@link #DEFAULT_MAX_PIXELS} (32,000,000).
         */
        public Builder maxPixels(long maxPixels) {
            this.maxPixels = maxPixels;
            return this;
        }

        /**
         * Rotate/flip JPEGs by their EXIF orientation tag. Optional. Default: false, because CLIP's reference
         * preprocessing ignores the tag; enable it for photos from cameras and phones when upright images matter
         * more than reference parity.
         */
        public Builder applyExifOrientation(boolean apply) {
            this.applyExifOrientation = apply;
            return this;
        }

        /**
         * Refuse damaged images that Pillow decodes anyway: JPEGs with corrupt data that libjpeg warns about
         * ("Corrupt JPEG data: ..."), PNGs whose image data ends before the last row or whose IDAT or later CRCs are
         * wrong. Optional. Default: false (they are decoded as Pillow decodes them, for parity with CLIP's reference,
         * and a warning naming the damage is logged).
         */
        public Builder strict(boolean strict) {
            this.strict = strict;
            return this;
        }

        /**
         * The longest one call may spend decoding an image; a decode that runs longer is stopped (checked about once a
         * row, on the calling thread; no timer thread) and refused with an {@link ImageDecodingException} saying so.
         * Optional. Default: none (the pixel limit alone bounds the work). {@code null} removes the deadline.
         *
         * @param deadline a positive duration, or null
         */
        public Builder decodeDeadline(Duration deadline) {
            this.decodeDeadline = deadline;
            return this;
        }

        /**
         * The loader.
         *
         * @throws ConfigurationException if {@code maxPixels} or the decode deadline is not positive
         */
        public ImageLoader build() {
            if (maxPixels <= 0) {
                throw new ConfigurationException("maxPixels must be positive, found " + maxPixels);
            }
            if (decodeDeadline != null && (decodeDeadline.isNegative() || decodeDeadline.isZero())) {
                throw new ConfigurationException("decodeDeadline must be positive, found " + decodeDeadline);
            }
            return new ImageLoader(this);
        }
    }
}
