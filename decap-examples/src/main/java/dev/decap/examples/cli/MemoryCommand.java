package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.ConfigurationException;
import dev.decap.memory.file.BankInfo;
import dev.decap.memory.file.BuildProgress;
import dev.decap.memory.file.Corpus;
import dev.decap.memory.file.EncoderIdentity;
import dev.decap.memory.file.MemoryBankBuild;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.memory.file.ShardedMemoryBank;
import dev.decap.memory.file.VectorType;
import dev.decap.onnx.bundle.ModelBundle;
import dev.decap.onnx.bundle.OnnxDeCap;
import dev.decap.onnx.encoding.ClipLayout;
import dev.decap.onnx.encoding.OnnxTextEncoder;
import dev.decap.tokenization.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code decap memory}: memory bank files. {@code build} encodes a caption corpus into a bank (resumable, progress
 * on standard error), {@code info} prints a bank's header, {@code verify} checks every checksum. Data (one JSON
 * line) goes to standard output, progress and logs to standard error.
 */
@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Build, inspect and verify memory bank files.",
        subcommands = {MemoryCommand.Build.class, MemoryCommand.Info.class, MemoryCommand.Verify.class})
public final class MemoryCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static ObjectNode json(BankInfo info) {
        ObjectNode o = JSON.createObjectNode();
        o.put("file", info.file().toString());
        o.put("format_version", info.formatVersion());
        o.put("count", info.count());
        o.put("dimension", info.dimension());
        o.put("dtype", info.vectorType().id());
        ObjectNode enc = o.putObject("encoder");
        enc.put("name", info.encoder().name());
        enc.put("text_model_sha256", info.encoder().textModelSha256());
        o.put("content_sha256", info.contentSha256());
        o.put("metadata", info.hasMetadata());
        o.put("file_size", info.fileSize());
        return o;
    }

    /** {@code decap memory build}. */
    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Encode a caption corpus (text lines, COCO captions JSON or JSONL) into a memory bank file.")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "Model bundle directory.")
        Path bundle;

        @Option(names = "--vocab", paramLabel = "PATH", description = "CLIP BPE vocabulary file, or a directory "
                + "holding it (default: the bundle directory).")
        Path vocabulary;

        @Option(names = "--corpus", required = true, paramLabel = "FILE", description = "Captions: .txt (one per "
                + "line), .json (COCO annotations[].caption) or .jsonl ({\"caption\": ...} per line).")
        Path corpus;

        @Option(names = "--out", required = true, paramLabel = "BANK", description = "Bank file to write.")
        Path out;

        @Option(names = "--dtype", paramLabel = "fp32|fp16|int8", defaultValue = "fp32",
                description = "Stored precision (default: ${DEFAULT-VALUE}); fp16 halves the size, int8 (one scale "
                        + "per row) quarters it.")
        String dtype;

        @Option(names = "--resume", description = "Continue an interrupted build from BANK.partial/ (starts one "
                + "when there is none).")
        boolean resume;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "256", description = "Captions per encoder "
                + "call, sorted by length into buckets inside the encoder (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--chunk", paramLabel = "N", defaultValue = "4096", description = "Captions per "
                + "checkpoint, a multiple of --batch (default: ${DEFAULT-VALUE}).")
        int chunk;

        @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files.")
        boolean noVerify;


        @Option(names = "--no-verify-vocab", description = "Accept a tokenizer vocabulary other than the one the "

                + "bundle's manifest records (tokenizer.vocabulary_sha256); only for a vocabulary changed on purpose.")

        boolean noVerifyVocab;

        @Override
        public Integer call() throws IOException {
            VectorType type;
            try {
                type = VectorType.parse(dtype);
            } catch (RuntimeException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--dtype must be fp32, fp16 or int8, found "
                        + dtype);
            }
            PrintWriter err = spec.commandLine().getErr();
            List<String> captions = Corpus.read(corpus);
            err.println("corpus " + corpus + ": " + captions.size() + " captions");
            err.flush();
            OnnxDeCap.Builder b = OnnxDeCap.fromBundle(bundle).vocabulary(vocabulary).verifyChecksums(!noVerify).verifyVocabulary(!noVerifyVocab);
            ModelBundle mb = b.bundle();
            EncoderIdentity identity = mb.textEncoderIdentity().orElseThrow(() -> new ConfigurationException(
                    "bundle " + mb.directory() + " has no text encoder; memory banks need one"));
            Tokenizer tokenizer = b.loadTokenizer(mb).orElseThrow(() -> new ConfigurationException("no CLIP "
                    + "vocabulary (" + mb.vocabularyFileName() + ") in " + mb.directory() + "; pass --vocab PATH"));
            OnnxTextEncoder.Builder tb = OnnxTextEncoder.builder().model(mb.textEncoderFile().get())
                    .tokenizer(tokenizer).dimension(mb.embeddingDimension());
            if (mb.manifest().clip() != null && mb.manifest().clip().layout() != null) {
                tb.layout(ClipLayout.fromId(mb.manifest().clip().layout()));
            }
            if (mb.manifest().clip() != null && mb.manifest().clip().contextLength() != null) {
                tb.contextLength(mb.manifest().clip().contextLength());
            }
            Progress progress = new Progress(err, System.console() != null);
            BankInfo info;
            try (OnnxTextEncoder encoder = tb.build()) {
                info = MemoryBankBuild.builder().encoder(encoder).encoderIdentity(identity).captions(captions)
                        .output(out).vectorType(type).batchSize(batch).chunkSize(chunk).resume(resume)
                        .progress(progress).build().run();
            }
            err.println("wrote " + info.file() + ": " + info.count() + " unique captions (" + (captions.size()
                    - info.count()) + " duplicates removed), " + type.id() + ", content_sha256 "
                    + info.contentSha256());
            err.flush();
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.println(JSON.writeValueAsString(json(info)));
            stdout.flush();
            return 0;
        }
    }

    /** Renders build progress on standard error: a bar on a terminal, otherwise a plain line now and then. */
    static final class Progress implements BuildProgress.Listener {
        private static final long PLAIN_EVERY_NANOS = 10_000_000_000L;
        private final PrintWriter err;
        private final boolean terminal;
        private long lastPrinted;
        private long lastTenth = -1;

        Progress(PrintWriter err, boolean terminal) {
            this.err = err;
            this.terminal = terminal;
        }

        @Override
        public void progress(BuildProgress p) {
            long now = System.nanoTime();
            String rate = p.captionsPerSecond() > 0 ? String.format(Locale.ROOT, "%.0f captions/s",
                    p.captionsPerSecond()) : "-";
            String eta = p.remaining() == null ? "?" : format(p.remaining());
            int percent = p.total() == 0 ? 100 : (int) (100 * p.done() / p.total());
            if (terminal) {
                if (!p.finished() && now - lastPrinted < 100_000_000L && p.done() < p.total()) {
                    return;
                }
                int filled = percent * 30 / 100;
                err.print("\r[" + "#".repeat(filled) + ".".repeat(30 - filled) + "] " + p.done() + "/" + p.total()
                        + " " + percent + "% " + rate + " ETA " + eta + "   ");
                if (p.finished()) {
                    err.println();
                }
                err.flush();
                lastPrinted = now;
                return;
            }
            long tenth = p.total() == 0 ? 10 : 10 * p.done() / p.total();
            if (p.finished() || tenth > lastTenth || now - lastPrinted > PLAIN_EVERY_NANOS) {
                if (p.finished()) {
                    err.println("encoded " + p.total() + " captions in " + format(p.elapsed())
                            + (p.resumed() > 0 ? " (" + p.resumed() + " from checkpoints)" : ""));
                } else {
                    err.println("encoded " + p.done() + "/" + p.total() + " (" + percent + "%), " + rate + ", ETA "
                            + eta + (p.resumed() > 0 ? ", " + p.resumed() + " from checkpoints" : ""));
                }
                err.flush();
                lastPrinted = now;
                lastTenth = tenth;
            }
        }

        private static String format(Duration d) {
            long s = d.getSeconds();
            return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
    }

    /** {@code decap memory info}. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print a memory bank's header.")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "BANK", description = "Memory bank file.")
        Path bank;

        @Option(names = "--json", description = "One JSON object on the last line of standard output.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            BankInfo info = MemoryBankFile.info(bank);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(JSON.writeValueAsString(MemoryCommand.json(info)));
            } else {
                out.println("file:           " + info.file());
                out.println("format version: " + info.formatVersion());
                out.println("entries:        " + info.count());
                out.println("dimension:      " + info.dimension());
                out.println("dtype:          " + info.vectorType().id());
                out.println("encoder:        " + info.encoder().name() + " (text model sha256 "
                        + info.encoder().textModelSha256() + ")");
                out.println("content_sha256: " + info.contentSha256());
                out.println("metadata:       " + (info.hasMetadata() ? "yes" : "no"));
                out.println("file size:      " + info.fileSize() + " bytes");
            }
            out.flush();
            return 0;
        }
    }

    /** {@code decap memory verify}. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every checksum of a memory bank file (or of every shard a shard manifest lists).")
    static final class Verify implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "BANK", description = "Memory bank file, shard manifest (.json) or "
                + "bank directory.")
        Path bank;

        @Override
        public Integer call() throws IOException {
            ObjectNode o = JSON.createObjectNode();
            o.put("file", bank.toAbsolutePath().normalize().toString());
            if (isManifestOrDirectory(bank)) {
                try (ShardedMemoryBank sharded = ShardedMemoryBank.open(bank, true)) {
                    o.put("count", sharded.size());
                    o.put("shards", sharded.shards().size());
                }
            } else {
                try (MemoryBankFile b = MemoryBankFile.openVerified(bank)) {
                    o.put("count", b.size());
                    o.put("content_sha256", b.contentSha256());
                }
            }
            o.put("ok", true);
            PrintWriter out = spec.commandLine().getOut();
            out.println(JSON.writeValueAsString(o));
            out.flush();
            return 0;
        }

    }

    /** Whether {@code path} is a bank directory or a shard manifest (JSON) rather than a bank file. */
    static boolean isManifestOrDirectory(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return true;
        }
        if (!Files.isRegularFile(path)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(path)) {
            int first = in.read();
            return first == '{';
        }
    }
}
