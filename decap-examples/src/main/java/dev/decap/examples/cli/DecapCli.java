package dev.decap.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code decap} command-line tool: {@code java -jar decap-examples/target/decap.jar <command> ...}.
 * Each subcommand prints JSON lines on standard output; errors are one line on standard error and a non-zero exit.
 */
@Command(name = "decap", mixinStandardHelpOptions = true, version = "decap 0.1.0",
        description = "DeCap zero-shot captioning tools.",
        subcommands = {
                PreprocessCommand.class,
                TokenizeCommand.class,
                DecodeCommand.class, CaptionCommand.class,
                EvalCommand.class,
                MemoryCommand.class,
        })
public final class DecapCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new DecapCli());
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + ex.getMessage());
            return 1;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
