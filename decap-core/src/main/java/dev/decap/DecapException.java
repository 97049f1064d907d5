package dev.decap;

/**
 * Root of every exception this library throws on purpose. Unchecked: callers catch it where they can act on it.
 *
 * <p>Every message says what was wrong and what to do about it. The subclasses tell the kinds apart:
 * {@link ConfigurationException} (a component or builder was set up wrongly), {@link InvalidInputException}
 * (a caller passed something unusable), {@link ModelException} (a model or bundle file is missing, corrupt or
 * of the wrong shape), {@link InferenceException} (a model failed while running) and {@link ClosedException}
 * (a closed component was used).
 */
public class DecapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DecapException(String message) {
        super(message);
    }

    public DecapException(String message, Throwable cause) {
        super(message, cause);
    }
}
