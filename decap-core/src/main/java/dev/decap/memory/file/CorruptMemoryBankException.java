package dev.decap.memory.file;

import dev.decap.ModelException;

import java.nio.file.Path;

/**
 * A memory bank file cannot be trusted: it is truncated, fails a checksum, has the wrong magic or an unknown
 * format version, or its structure is inconsistent. The message names the file and the section (for example
 * {@code header}, {@code vectors}, {@code captions}); {@link #file()} and {@link #section()} give them to code.
 */
public class CorruptMemoryBankException extends ModelException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String section;

    public CorruptMemoryBankException(Path file, String section, String problem) {
        super("memory bank " + file + " is unusable: section \"" + section + "\": " + problem
                + "; rebuild it with `decap memory build` or fetch a good copy");
        this.file = file;
        this.section = section;
    }

    public CorruptMemoryBankException(Path file, String section, String problem, Throwable cause) {
        super("memory bank " + file + " is unusable: section \"" + section + "\": " + problem
                + "; rebuild it with `decap memory build` or fetch a good copy", cause);
        this.file = file;
        this.section = section;
    }

    /** The file that failed. */
    public Path file() {
        return file;
    }

    /** The section that failed, as the format specification names it. */
    public String section() {
        return section;
    }
}
