package dev.decap.spark;

import dev.decap.ConfigurationException;
import dev.decap.DeCap;
import dev.decap.InvalidInputException;
import dev.decap.image.ImageLoader;
import dev.decap.memory.MemoryBank;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.onnx.OnnxOptions;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.encoding.OnnxImageEncoder;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.projection.ProjectionSettings;
import dev.decap.projection.Projector;
import dev.decap.projection.Projectors;
import org.apache.spark.SparkFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What executors load once per JVM through {@link dev.decap.spark.internal.ExecutorCache}: a bundle's models for
 * memory builds, and a whole captioner (models + memory-mapped bank + projector) for caption jobs. The keys are
 * the identities of what is loaded: the bundle and bank paths as resolved on the executor, the modification times
 * of the bundle manifest and the bank (a bank rebuilt at the same path is loaded anew), and the settings.
 */
final class ExecutorModels {
    private ExecutorModels() {
    }

    /** Identity of a loaded bundle. */
    record ModelKey(String bundle, String vocabulary, boolean verify, int intraOpThreads, long bundleStamp)
            implements Serializable {
        static ModelKey of(String bundle, String vocabulary, boolean verify, int threads) {
            Path dir = Path.of(bundle).toAbsolutePath().normalize();
            return new ModelKey(dir.toString(), vocabulary == null ? null : Path.of(vocabulary).toAbsolutePath()
                    .normalize().toString(), verify, threads, stamp(dir.resolve(ModelBundle.MANIFEST)));
        }

        DecapModel load() {
            OnnxDeCap.Builder b = OnnxDeCap.fromBundle(Path.of(bundle)).verifyChecksums(verify)
                    .onnxOptions(OnnxOptions.builder().intraOpThreads(intraOpThreads).build());
            if (vocabulary != null) {
                b.vocabulary(Path.of(vocabulary));
            }
            return b.load();
        }
    }

    /** Identity of a loaded captioner. */
    record CaptionerKey(ModelKey model, String bank, long bankStamp, CaptionJob.Strategy strategy, int topK,
                        int beam, int maxTokens) implements Serializable {
    }

    /** A bundle's models, loaded for a memory build. */
    static final class TextModel implements AutoCloseable {
        final DecapModel model;
        final OnnxTextEncoder encoder;
        final EncoderIdentity identity;

        TextModel(ModelKey key) {
            this.model = key.load();
            try {
                ModelBundle mb = model.bundle();
                this.identity = mb.textEncoderIdentity().orElseThrow(() -> new ConfigurationException("bundle "
                        + mb.directory() + " has no text encoder; memory banks need one"));
                this.encoder = model.textEncoder().orElseThrow(() -> new ConfigurationException("no tokenizer "
                        + "vocabulary (" + mb.vocabularyFileName() + ") in " + mb.directory() + "; pass the "
                        + "vocabulary (--vocab PATH)"));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public void close() {
            model.close();
        }
    }

    /** Models, bank and projector of one caption job's settings; shared by every task of the JVM. */
    static final class Captioner implements AutoCloseable {
        final DecapModel model;
        final OnnxImageEncoder imageEncoder;
        final ImageLoader loader = ImageLoader.defaults();
        private final AutoCloseable bank;
        private final Projector projector;
        final DeCap decap;

        Captioner(CaptionerKey key) {
            this.model = key.model().load();
            AutoCloseable openedBank = null;
            Projector p = null;
            try {
                ModelBundle mb = model.bundle();
                this.imageEncoder = model.imageEncoder().orElseThrow(() -> new ConfigurationException("bundle "
                        + mb.directory() + " has no image encoder; captioning images needs one"));
                MemoryBank bank = openBank(Path.of(key.bank()), key.model().verify());
                openedBank = (AutoCloseable) bank;
                if (mb.textEncoderIdentity().isPresent()) {
                    EncoderIdentity id = mb.textEncoderIdentity().get();
                    if (bank instanceof MemoryBankFile f) {
                        f.requireEncoder(id, mb.embeddingDimension());
                    } else {
                        ((ShardedMemoryBank) bank).requireEncoder(id, mb.embeddingDimension());
                    }
                }
                p = switch (key.strategy()) {
                    case PD -> key.topK() > 0
                            ? Projectors.projectionDecoding(ProjectionSettings.DEFAULT.withTopK(key.topK()))
                            : Projectors.projectionDecoding();
                    case NND -> Projectors.nearestNeighbour();
                    case VISUAL -> Projectors.visual();
                };
                this.decap = model.captioner().memoryBank(bank).projector(p).decodingOptions(
                        CaptionJob.decodingOptions(key.beam(), key.maxTokens(), mb.maxTokens())).build();
                this.bank = openedBank;
                this.projector = p;
            } catch (RuntimeException e) {
                closeQuietly(p);
                closeQuietly(openedBank);
                model.close();
                throw e;
            }
        }

        @Override
        public void close() {
            decap.close();
            closeQuietly(projector);
            closeQuietly(bank);
            model.close();
        }
    }

    /**
     * Opens a bank file, a shard manifest or a bank directory (memory-mapped).
     *
     * @throws InvalidInputException if nothing is at the path
     */
    static MemoryBank openBank(Path path, boolean verify) {
        if (Files.isDirectory(path) || startsWithBrace(path)) {
            return ShardedMemoryBank.open(path, verify);
        }
        return verify ? MemoryBankFile.openVerified(path) : MemoryBankFile.open(path);
    }

    private static boolean startsWithBrace(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == '{';
        } catch (IOException e) {
            throw new InvalidInputException("memory bank " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Where a path of the job is on this executor: as given, or the local copy SparkFiles made of it. */
    static String resolve(String path, boolean distributed) {
        if (!distributed) {
            return path;
        }
        return SparkFiles.get(fileName(path));
    }

    static String fileName(String path) {
        String p = path.replaceAll("/+$", "");
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** The modification time of a file (for a directory: of its manifest), or 0 when it has none. */
    static long stamp(Path file) {
        try {
            Path f = Files.isDirectory(file) ? file.resolve(ShardedMemoryBank.DIRECTORY_MANIFEST) : file;
            return Files.getLastModifiedTime(f).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void closeQuietly(Object o) {
        if (o instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception ignored) {
                // read-only state
            }
        }
    }
}
