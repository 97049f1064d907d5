package dev.decap.examples.miniature;

import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.examples.eval.MiniatureWorld;
import dev.decap.examples.eval.MiniatureWorld.Scene;
import dev.decap.examples.eval.MiniatureWorld.Shape;
import dev.decap.image.ImageLoader;
import dev.decap.miniature.Miniature;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Batch and video captioning with the shipped model: many images in one {@link DeCap#captionAll} call (one model
 * run per batch), and a "video" (frames of a shape moving across the canvas) captioned as one clip by
 * {@link DeCap#captionVideo}, which averages the frames' embeddings as the DeCap paper does for video.
 *
 * <pre>
 * java -cp decap-examples/target/decap.jar dev.decap.examples.miniature.BatchAndVideo docs/samples
 * </pre>
 */
public final class BatchAndVideo {
    private BatchAndVideo() {
    }

    public static void main(String[] args) throws IOException {
        List<BufferedImage> images = readImages(args);
        try (DeCap decap = Miniature.captioner()) {
            List<Caption> batch = decap.captionAll(images);
            for (int i = 0; i < batch.size(); i++) {
                System.out.println("image " + (i + 1) + ": " + batch.get(i).text());
            }
            System.out.println("video of a green triangle moving right: " + decap.captionVideo(
                    movingShape(new Shape("triangle", "green", "large", 14, 32), 8)).text());
        }
    }

    /**
     * Frames of {@code shape} moving right by 4 pixels a frame on a fixed background (it stays inside the canvas).
     */
    public static List<BufferedImage> movingShape(Shape shape, int frames) {
        List<BufferedImage> out = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
            int cx = Math.min(shape.cx() + 4 * f, MiniatureWorld.SIZE - 1 - shape.r());
            Shape moved = new Shape(shape.shape(), shape.colour(), shape.size(), cx, shape.cy());
            out.add(MiniatureWorld.render(new Scene(f, new java.awt.Color(235, 230, 220), List.of(moved), null)));
        }
        return out;
    }

    /** The images of the arguments (files, or directories of image files sorted by name); scenes 1-6 if none. */
    static List<BufferedImage> readImages(String[] args) throws IOException {
        List<BufferedImage> out = new ArrayList<>();
        if (args.length == 0) {
            for (long seed = 1; seed <= 6; seed++) {
                out.add(MiniatureWorld.render(MiniatureWorld.scene(seed)));
            }
            return out;
        }
        ImageLoader loader = ImageLoader.defaults();
        for (String a : args) {
            Path p = Path.of(a);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    for (Path f : s.filter(x -> x.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png"))
                            .sorted().toList()) {
                        out.add(loader.load(f));
                    }
                }
            } else {
                out.add(loader.load(p));
            }
        }
        return out;
    }
}
