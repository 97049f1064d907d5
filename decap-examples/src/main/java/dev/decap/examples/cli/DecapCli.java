package dev.decap.examples.cli;

import dev.decap.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code decap} command-line tool: {@code java -jar decap-examples/target/decap.jar <command> ...}.
 * Data goes to standard output (JSON lines with {@code --json}); errors are one line {@code error: ...} on standard
 * error, with exit code 1 for bad input and 2 for a usage error.
 */
@Command(name = "decap", mixinStandardHelpOptions = true, versionProvider = DecapCli.VersionProvider.class,
        description = "DeCap zero-shot captioning. Try: decap caption docs/samples",
        subcommands = {
                CaptionCommand.class,
                EvaluateMiniatureCommand.class,
                PreprocessCommand.class,
                TokenizeCommand.class,
                DecodeCommand.class,
                EvalCommand.class,
                MemoryCommand.class,
                BundleCommand.class,
                BenchCommand.class,
        })
public final class DecapCli implements Runnable {

    /** Library wording (builder methods) to the CLI's (flags), for messages that reach the user. */
    private static final Map<String, String> CLI_TERMS = new LinkedHashMap<>();

    static {
        CLI_TERMS.put("set memoryBank(..) on the builder", "give --memory CAPTIONS_FILE");
        CLI_TERMS.put("memoryCaptions(..)", "--memory");
        CLI_TERMS.put("memoryBank(..)", "--memory");
        CLI_TERMS.put("vocabulary(path)", "--vocab");
        CLI_TERMS.put("vocabulary(..)", "--vocab");
        CLI_TERMS.put("decodingOptions(..)", "--beam/--max-tokens");
        CLI_TERMS.put("maxTokens", "--max-tokens");
        CLI_TERMS.put("beamWidth", "--beam");
        CLI_TERMS.put("verifyChecksums(false)", "--no-verify");
        CLI_TERMS.put("ImageLoader.builder().maxPixels(..)", "--max-pixels");
        CLI_TERMS.put("ImageLoader.builder().strict(true) is set", "--strict-images is given");
        CLI_TERMS.put("build the loader without it to decode such images", "drop --strict-images to decode such"
                + " images");
        CLI_TERMS.put("verifyVocabulary(false)", "--no-verify-vocab");
        CLI_TERMS.put("skip verification only if you changed it on purpose", "use --no-verify only if you changed "
                + "it on purpose");
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** The real project version, from the build. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"decap " + Version.current()};
        }
    }

    /** A library message in the CLI's words: builder methods replaced by the flags that set them. */
    static String inCliTerms(String message) {
        if (message == null) {
            return "unknown error";
        }
        String m = message;
        for (Map.Entry<String, String> e : CLI_TERMS.entrySet()) {
            m = m.replace(e.getKey(), e.getValue());
        }
        // ANSI colour codes from native libraries never reach the user's terminal.
        return m.replaceAll("\u001B\\[[0-9;]*m", "").replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DecapCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + inCliTerms(ex.getMessage()));
            commandLine.getErr().flush();
            return 1;
        });
        // decap bench: a flag error is one line (exit code 2), without the usage text
        CommandLine.IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((ex, params) -> {
            if (!(ex.getCommandLine().getCommandSpec().userObject() instanceof BenchCommand)) {
                return usage.handleParseException(ex, params);
            }
            ex.getCommandLine().getErr().println("error: " + inCliTerms(ex.getMessage()));
            ex.getCommandLine().getErr().flush();
            return 2;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
