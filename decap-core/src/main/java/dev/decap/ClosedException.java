package dev.decap;

/**
 * A component was used after {@link AutoCloseable#close()}. Build a new one; closed components never reopen.
 */
public class ClosedException extends DecapException {
    private static final long serialVersionUID = 1L;

    public ClosedException(String message) {
        super(message);
    }

    public ClosedException(String message, Throwable cause) {
        super(message, cause);
    }
}
