package dev.decap;

/**
 * A component or builder is configured wrongly: a required part is missing, an option is out of range, or two components disagree on a dimension ("expected 512, found 768").
 */
public class ConfigurationException extends DecapException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
