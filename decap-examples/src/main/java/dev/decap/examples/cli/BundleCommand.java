package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ModelException;
import dev.decap.onnx.bundle.BundleManifest;
import dev.decap.onnx.bundle.BundleTokenizers;
import dev.decap.onnx.bundle.DecapModel;
import dev.decap.onnx.bundle.ManifestSeal;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code decap bundle}: model bundles. {@code verify} checks everything a bundle's manifest records (as
 * {@code memory verify} does for a bank): every file's size and SHA-256, the ONNX files' structure, the manifest's own
 * seal, the tokenizer vocabulary's SHA-256, and that every model opens in ONNX Runtime with the manifest's
 * dimensions. {@code seal} (re)writes the seal after a deliberate change. One JSON line on standard output; errors
 * are one line on standard error with exit code 1 (verification failed) or 2 (usage).
 */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        description = "Verify and seal model bundles.",
        subcommands = {BundleCommand.Verify.class, BundleCommand.Seal.class})
public final class BundleCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code decap bundle verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every file of a model bundle against its manifest and open every model.")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Model bundle directory.")
        Path bundle;

        @Option(names = "--vocab", paramLabel = "PATH", description = "For a CLIP BPE bundle: the vocabulary file, "
                + "or a directory holding it (default: the bundle directory; without one it is not checked).")
        Path vocabulary;

        @Override
        public Integer call() throws IOException {
            PrintWriter err = spec.commandLine().getErr();
            ModelBundle b = ModelBundle.open(bundle, true);
            ObjectNode o = JSON.createObjectNode();
            o.put("bundle", b.directory().toString());
            o.put("name", b.name());
            ArrayNode files = o.putArray("files");
            long bytes = 0;
            for (Map.Entry<String, BundleManifest.FileEntry> e : b.manifest().files() == null ? Map.<String,
                    BundleManifest.FileEntry>of().entrySet() : b.manifest().files().entrySet()) {
                Path f = b.file(e.getKey()).orElseThrow();
                long size = Files.size(f);
                bytes += size;
                files.addObject().put("key", e.getKey()).put("path", e.getValue().path()).put("size", size)
                        .put("sha256", e.getValue().sha256().toLowerCase(java.util.Locale.ROOT));
            }
            o.put("bytes", bytes);
            o.put("sealed", b.sealed());
            o.put("manifest_sha256", b.manifest().manifestSha256());
            boolean word = b.manifest().tokenizer() != null
                    && BundleTokenizers.WORD.equals(b.manifest().tokenizer().type());
            if (word && vocabulary != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--vocab is for a CLIP BPE bundle; "
                        + "bundle " + b.directory() + " carries its own word vocabulary");
            }
            Optional<Path> vocab = word ? b.file(ModelBundle.TOKENIZER_VOCABULARY) : b.findVocabulary(vocabulary);
            if (vocabulary != null && vocab.isEmpty()) {
                throw new ModelException("tokenizer vocabulary " + b.vocabularyFileName() + " of bundle "
                        + b.directory() + " not found at --vocab " + vocabulary);
            }
            if (vocab.isPresent()) {
                b.verifyVocabulary(vocab.get());
                o.put("vocabulary", vocab.get().toAbsolutePath().normalize().toString());
                o.put("vocabulary_sha256", ManifestSeal.vocabularySha256(vocab.get()));
            } else {
                o.putNull("vocabulary");
            }
            ArrayNode loaded = o.putArray("models_opened");
            // every checksum passed above: loading reads the models once more, not to hash them again
            try (DecapModel model = OnnxDeCap.fromBundle(b.directory()).vocabulary(vocabulary).verifyChecksums(false)
                    .load()) {
                model.decoder().ifPresent(d -> loaded.add(ModelBundle.DECODER));
                model.imageEncoder().ifPresent(d -> loaded.add(ModelBundle.IMAGE_ENCODER));
                model.textEncoder().ifPresent(d -> loaded.add(ModelBundle.TEXT_ENCODER));
            }
            o.put("ok", true);
            if (!b.sealed()) {
                err.println("note: bundle " + b.directory() + " is not sealed: its manifest records no sizes or "
                        + "manifest_sha256, so only the file checksums were checked; seal it with decap bundle seal "
                        + bundle);
            }
            if (vocab.isEmpty()) {
                err.println("note: no tokenizer vocabulary (" + b.vocabularyFileName() + ") found for bundle "
                        + b.directory() + ": it was not checked; give --vocab PATH");
            } else if (b.expectedVocabularySha256().isEmpty()) {
                err.println("note: bundle " + b.directory() + " records no tokenizer.vocabulary_sha256: the "
                        + "vocabulary was not checked; seal it with decap bundle seal " + bundle + " --vocab PATH");
            }
            err.flush();
            PrintWriter out = spec.commandLine().getOut();
            out.println(JSON.writeValueAsString(o));
            out.flush();
            return 0;
        }
    }

    /** {@code decap bundle seal}. */
    @Command(name = "seal", mixinStandardHelpOptions = true,
            description = "Record every file's size and SHA-256, the vocabulary's SHA-256 and the manifest's own "
                    + "checksum in a bundle's manifest (after a deliberate change).")
    static final class Seal implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Model bundle directory.")
        Path bundle;

        @Option(names = "--vocab", paramLabel = "FILE", description = "The CLIP BPE vocabulary the bundle expects "
                + "(default: keep the recorded sha256; a word bundle's own vocabulary is always recorded).")
        Path vocabulary;

        @Override
        public Integer call() throws IOException {
            if (vocabulary != null && !Files.isRegularFile(vocabulary)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--vocab " + vocabulary
                        + " is not a file");
            }
            String sha = ManifestSeal.seal(bundle, vocabulary);
            ModelBundle b = ModelBundle.open(bundle, true);
            ObjectNode o = JSON.createObjectNode();
            o.put("bundle", b.directory().toString());
            o.put("files", b.manifest().files() == null ? 0 : b.manifest().files().size());
            o.put("manifest_sha256", sha);
            b.expectedVocabularySha256().ifPresentOrElse(v -> o.put("vocabulary_sha256", v),
                    () -> o.putNull("vocabulary_sha256"));
            o.put("ok", true);
            PrintWriter out = spec.commandLine().getOut();
            out.println(JSON.writeValueAsString(o));
            out.flush();
            return 0;
        }
    }
}
