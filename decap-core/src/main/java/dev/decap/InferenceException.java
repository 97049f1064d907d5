package dev.decap;

/**
 * A model failed while running on valid input (for example an error raised by the native runtime).
 */
public class InferenceException extends DecapException {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message) {
        super(message);
    }

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
