package dev.decap;

/**
 * A caller passed input that cannot be used: null, empty, NaN or zero vectors, text or images that cannot be read. The message names the input.
 */
public class InvalidInputException extends DecapException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
