package dev.decap.benchmarks.core;

import dev.decap.image.ClipPreprocessor;
import dev.decap.image.DecodedImage;
import dev.decap.image.ImageLoader;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * What one image costs the loader per megapixel, on the inputs that cost it most, to choose
 * {@link ImageLoader#DEFAULT_MAX_PIXELS} from a time budget: highly compressible PNGs (a few hundred bytes per
 * megapixel, every row Paeth-filtered; 8-bit RGB, 16-bit RGBA, Adam7-interlaced), JPEGs (flat and noise, baseline
 * and progressive) and GIFs (flat and noise), at the sizes of {@code --sizes-mp}. Each case is decoded
 * {@code --repeats} times with {@code ImageLoader.decode} and preprocessed ({@code ClipPreprocessor.preprocess},
 * 224): what {@code DeCap.caption(Path)} pays before the image encoder. The best repeat is kept. Times are the
 * thread's CPU time (the work is single-threaded, so this is the wall time on an idle core, and stays stable on a
 * loaded machine), with the wall time beside it. Prints one line per case and the worst cost per megapixel.
 *
 * <pre>
 * java -Xmx8g -cp decap-benchmarks/target/decap-benchmarks.jar dev.decap.benchmarks.core.ImageDecodeCost \
 *     [--sizes-mp 4,16,36] [--repeats 3]
 * </pre>
 */
public final class ImageDecodeCost {
    private ImageDecodeCost() {
    }

    private record Case(String name, int width, int height, byte[] bytes) {
    }

    public static void main(String[] args) throws IOException {
        int[] sizes = {4, 16, 36};
        int repeats = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes-mp" -> sizes = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; use --sizes-mp A,B,C and --repeats N");
            }
        }
        ImageLoader loader = ImageLoader.builder().maxPixels(Long.MAX_VALUE / 16).build();
        ClipPreprocessor clip = ClipPreprocessor.defaults();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        System.out.printf(Locale.ROOT, "%-24s %11s %8s %10s %10s %9s %10s %11s%n", "case", "size", "file KB",
                "decode ms", "prep ms", "wall ms", "cpu ms/MP", "decode/MP");
        double worst = 0;
        String worstCase = "";
        for (int mp : sizes) {
            int w = (int) Math.round(Math.sqrt(mp * 1e6 * 4 / 3));
            int h = (int) Math.round(mp * 1e6 / w);
            for (Case c : cases(w, h)) {
                long decode = Long.MAX_VALUE;
                long prep = Long.MAX_VALUE;
                long wall = Long.MAX_VALUE;
                for (int r = 0; r < repeats; r++) {
                    long w0 = System.nanoTime();
                    long t0 = threads.getCurrentThreadCpuTime();
                    DecodedImage image = loader.decode(c.bytes(), c.name());
                    long t1 = threads.getCurrentThreadCpuTime();
                    clip.preprocess(image);
                    long t2 = threads.getCurrentThreadCpuTime();
                    wall = Math.min(wall, System.nanoTime() - w0);
                    decode = Math.min(decode, t1 - t0);
                    prep = Math.min(prep, t2 - t1);
                }
                double mpx = (double) c.width() * c.height() / 1e6;
                double perMp = (decode + prep) / 1e6 / mpx;
                System.out.printf(Locale.ROOT, "%-24s %11s %8d %10.0f %10.0f %9.0f %10.1f %11.1f%n", c.name(),
                        c.width() + "x" + c.height(), c.bytes().length / 1024, decode / 1e6, prep / 1e6, wall / 1e6,
                        perMp, decode / 1e6 / mpx);
                if (perMp > worst) {
                    worst = perMp;
                    worstCase = c.name() + " at " + mp + " MP";
                }
            }
        }
        System.out.printf(Locale.ROOT, "worst: %.1f ms of CPU per megapixel, decode and preprocess (%s);"
                + " a 2 s budget allows %.0f MP%n", worst, worstCase, 2000 / worst);
    }

    private static List<Case> cases(int w, int h) throws IOException {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("png-rgb8-paeth-flat", w, h, png(w, h, 8, 2, false)));
        cases.add(new Case("png-rgba16-paeth-flat", w, h, png(w, h, 16, 6, false)));
        cases.add(new Case("png-rgb8-adam7-flat", w, h, png(w, h, 8, 2, true)));
        BufferedImage flat = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage noise = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] px = ((DataBufferByte) noise.getRaster().getDataBuffer()).getData();
        new Random(7).nextBytes(px);
        cases.add(new Case("jpeg-flat", w, h, jpeg(flat, false)));
        cases.add(new Case("jpeg-noise-q95", w, h, jpeg(noise, false)));
        cases.add(new Case("jpeg-noise-progressive", w, h, jpeg(noise, true)));
        cases.add(new Case("gif-flat", w, h, gif(w, h, false)));
        cases.add(new Case("gif-noise", w, h, gif(w, h, true)));
        return cases;
    }

    /** A PNG of black pixels whose every row is Paeth-filtered, deflated at level 9 (about 1 KB per MP). */
    static byte[] png(int w, int h, int depth, int colour, boolean interlaced) {
        int channels = colour == 6 ? 4 : 3;
        long rowBytes = (long) w * channels * depth / 8;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) depth).put((byte) colour)
                .put((byte) 0).put((byte) 0).put((byte) (interlaced ? 1 : 0)).array());
        Deflater deflater = new Deflater(9);
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        byte[] row = new byte[(int) rowBytes + 1];
        row[0] = 4;
        // Interlaced passes hold as many bytes in all as the plain rows, plus a filter byte per pass row.
        long rows = interlaced ? h * 2L : h;
        for (long r = 0; r < rows; r++) {
            deflater.setInput(row);
            while (!deflater.needsInput()) {
                z.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            z.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes());
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(type.getBytes());
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] jpeg(BufferedImage img, boolean progressive) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.95f);
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new IIOImage(img, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static byte[] gif(int w, int h, boolean noise) throws IOException {
        byte[] r = new byte[256];
        byte[] g = new byte[256];
        byte[] b = new byte[256];
        for (int i = 0; i < 256; i++) {
            r[i] = (byte) i;
            g[i] = (byte) (255 - i);
            b[i] = (byte) (i * 7);
        }
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(8, 256, r, g, b));
        if (noise) {
            new Random(11).nextBytes(((DataBufferByte) img.getRaster().getDataBuffer()).getData());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "gif", out);
        return out.toByteArray();
    }
}
