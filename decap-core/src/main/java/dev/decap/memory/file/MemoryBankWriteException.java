package dev.decap.memory.file;

import dev.decap.DecapException;

/**
 * Writing a memory bank (or a build checkpoint) failed, typically for lack of disk space or permission. The
 * target file, if it existed, is untouched; the message names the file and what was being written.
 */
public class MemoryBankWriteException extends DecapException {
    private static final long serialVersionUID = 1L;

    public MemoryBankWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
