package dev.decap.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.decap.Caption;
import dev.decap.DeCap;
import dev.decap.InvalidInputException;
import dev.decap.decoding.DecodingOptions;
import dev.decap.memory.file.MemoryBankFile;
import dev.decap.onnx.bundle.OnnxDeCap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code decap caption}: captions images with a bundle and a memory built in RAM from a text file of captions
 * (one per line), or a memory bank file ({@code --bank}), using projection decoding. One JSON line per image: {@code {"image", "text", "tokens",
 * "logprobs", "score"}}.
 */
@Command(name = "caption", mixinStandardHelpOptions = true,
        description = "Caption images with a bundle; the memory is encoded from a captions file (one per line).")
public final class CaptionCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--bundle", required = true, paramLabel = "DIR", description = "Model bundle directory.")
    Path bundle;

    @Option(names = "--memory", paramLabel = "CAPTIONS_FILE",
            description = "Text file of memory captions, one per line (blank lines are skipped).")
    Path memory;

    @Option(names = "--bank", paramLabel = "BANK", description = "Memory bank file from `decap memory build` "
            + "(instead of --memory); verified unless --no-verify, refused if built by another text encoder.")
    Path bankFile;

    @Option(names = "--beam", paramLabel = "N", description = "Beam search of width N (default: greedy).")
    Integer beam;

    @Option(names = "--vocab", paramLabel = "PATH", description = "CLIP BPE vocabulary file, or a directory "
            + "holding it (default: the bundle directory).")
    Path vocabulary;

    @Option(names = "--no-mask", description = "Do not mask decoder ids the tokenizer cannot decode.")
    boolean noMask;

    @Option(names = "--no-verify", description = "Skip the SHA-256 check of the bundle's files.")
    boolean noVerify;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Override
    public Integer call() throws IOException {
        if ((memory == null) == (bankFile == null)) {
            throw new ParameterException(spec.commandLine(), "give either --memory CAPTIONS_FILE or --bank BANK");
        }
        List<String> captions = null;
        if (memory != null) {
            if (!Files.isRegularFile(memory)) {
                throw new InvalidInputException("memory captions file " + memory + " does not exist");
            }
            captions = Files.readAllLines(memory, StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(s -> !s.isEmpty()).toList();
            if (captions.isEmpty()) {
                throw new InvalidInputException("memory captions file " + memory + " has no captions; write one per line");
            }
        }
        DecodingOptions options = beam == null ? DecodingOptions.DEFAULT : DecodingOptions.beam(beam);
        PrintWriter out = spec.commandLine().getOut();
        OnnxDeCap.Builder builder = OnnxDeCap.fromBundle(bundle).vocabulary(vocabulary).masking(!noMask)
                .verifyChecksums(!noVerify).decodingOptions(options);
        MemoryBankFile bank = null;
        if (bankFile != null) {
            bank = noVerify ? MemoryBankFile.open(bankFile) : MemoryBankFile.openVerified(bankFile);
            builder.memoryBank(bank);
        } else {
            builder.memoryCaptions(captions);
        }
        // the bank stays ours (a captioner does not close a bank it was given): closed after the captioner
        try (MemoryBankFile owned = bank; DeCap decap = builder.build()) {
            for (Path image : images) {
                Caption c = decap.caption(image);
                ObjectNode o = JSON.createObjectNode();
                o.put("image", image.toString());
                o.put("text", c.text());
                ArrayNode tokens = o.putArray("tokens");
                for (int t : c.tokenIds()) {
                    tokens.add(t);
                }
                ArrayNode lps = o.putArray("logprobs");
                for (float lp : c.tokenLogProbs()) {
                    lps.add(lp);
                }
                o.put("score", c.score());
                out.println(JSON.writeValueAsString(o));
            }
            out.flush();
        }
        return 0;
    }
}
