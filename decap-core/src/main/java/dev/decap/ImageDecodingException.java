package dev.decap;

/**
 * Image bytes could not be turned into pixels: empty, truncated or corrupt data, an unknown format, or an image
 * larger than the configured pixel limit (a decompression-bomb guard). The message names the input.
 */
public class ImageDecodingException extends InvalidInputException {
    private static final long serialVersionUID = 1L;

    public ImageDecodingException(String message) {
        super(message);
    }

    public ImageDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
