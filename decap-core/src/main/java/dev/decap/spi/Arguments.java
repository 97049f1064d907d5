package dev.decap.spi;

import dev.decap.InvalidInputException;

/**
 * The null policy of decap's public API, in one place (docs/reliability.md, "Null policy"): a null argument is an
 * {@link InvalidInputException} whose message names the parameter ("bank is null; pass ..."), never a bare
 * {@link NullPointerException}. Parameters documented as nullable (e.g. {@code DeCap.withMemoryBank(null)}, builder
 * setters, where null means "not set") are the exceptions. A service-provider class: public so that every module
 * and implementers of decap's contracts apply the same policy. Stateless.
 */
public final class Arguments {
    private Arguments() {
    }

    /**
     * {@code value}, or an {@link InvalidInputException} "{@code parameter} is null" when it is null.
     *
     * @param parameter the parameter's name, as the method's signature spells it
     */
    public static <T> T requireNonNull(T value, String parameter) {
        if (value == null) {
            throw new InvalidInputException(parameter + " is null; pass a value (null is not accepted here)");
        }
        return value;
    }

    /**
     * {@code value}, or an {@link InvalidInputException} "{@code parameter} is null; pass {@code expected}".
     *
     * @param expected what to pass instead, e.g. "a memory bank of unit embeddings"
     */
    public static <T> T requireNonNull(T value, String parameter, String expected) {
        if (value == null) {
            throw new InvalidInputException(parameter + " is null; pass " + expected);
        }
        return value;
    }
}
