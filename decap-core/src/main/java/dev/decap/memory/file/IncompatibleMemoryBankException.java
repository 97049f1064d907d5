package dev.decap.memory.file;

import dev.decap.ConfigurationException;

/**
 * A memory bank was built by another text encoder (or for another dimension) than the captioner that wants to use
 * it. Its embeddings would live in another space, so projection onto it would silently give wrong captions.
 */
public class IncompatibleMemoryBankException extends ConfigurationException {
    private static final long serialVersionUID = 1L;

    public IncompatibleMemoryBankException(String message) {
        super(message);
    }
}
