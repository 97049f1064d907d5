package dev.decap;

/**
 * A model, vocabulary or bundle cannot be used: a file is missing, corrupt, fails its checksum, or its inputs and outputs do not match the expected layout. The message names the file.
 */
public class ModelException extends DecapException {
    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
