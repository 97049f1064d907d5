package dev.decap.internal;

import dev.decap.DecapException;
import dev.decap.InferenceException;

import java.util.function.Supplier;

/**
 * Calls into components a caller supplies (memory banks, encoders, projectors, decoders, language models): a
 * {@link DecapException} from the component passes through unchanged; any other {@link RuntimeException} becomes an
 * {@link InferenceException} naming the component's role and class and the call, with the original as its cause;
 * what the component returns is checked ("expected 512, found 511"). Stateless.
 */
public final class Components {
    private Components() {
    }

    /** "the memory bank com.example.MyBank": the role and the class of a component, as messages name it. */
    public static String describe(String role, Object component) {
        return "the " + role + " " + (component == null ? "null" : component.getClass().getName());
    }

    /**
     * Runs {@code call} on a component.
     *
     * @param role      what the component is to the library ("memory bank", "image encoder")
     * @param component the component, for its class name
     * @param what      the call and its argument, e.g. {@code "embedding(17)"} or {@code "encode(image 3 of 8)"}
     */
    public static <T> T call(String role, Object component, String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (DecapException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(role, component, what, e);
        }
    }

    /** Runs a call that returns nothing; see {@link #call(String, Object, String, Supplier)}. */
    public static void run(String role, Object component, String what, Runnable call) {
        try {
            call.run();
        } catch (DecapException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure(role, component, what, e);
        }
    }

    /** The exception for a component's own failure. */
    public static InferenceException failure(String role, Object component, String what, RuntimeException e) {
        return new InferenceException(describe(role, component) + " failed in " + what + ": " + e, e);
    }

    /**
     * Checks an embedding a component returned: present, of {@code dimension} floats, finite and not all zeros.
     *
     * @param what what the embedding is for, e.g. {@code "image 2"} or {@code "entry 17"}
     * @return {@code embedding}
     * @throws InferenceException naming the component otherwise
     */
    public static float[] checkEmbedding(float[] embedding, int dimension, String role, Object component,
                                         String what) {
        if (embedding == null) {
            throw new InferenceException(describe(role, component) + " returned no embedding (null) for " + what);
        }
        if (embedding.length != dimension) {
            throw new InferenceException(describe(role, component) + " returned an embedding of the wrong dimension "
                    + "for " + what + ": expected " + dimension + ", found " + embedding.length);
        }
        boolean zero = true;
        for (int i = 0; i < embedding.length; i++) {
            float v = embedding[i];
            if (!Float.isFinite(v)) {
                throw new InferenceException(describe(role, component) + " returned a non-finite embedding for "
                        + what + ": element " + i + " is " + v);
            }
            zero &= v == 0f;
        }
        if (zero) {
            throw new InferenceException(describe(role, component) + " returned an all-zero embedding for " + what
                    + "; it has no direction to normalise");
        }
        return embedding;
    }
}
