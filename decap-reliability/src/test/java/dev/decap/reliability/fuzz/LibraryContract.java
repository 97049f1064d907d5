package dev.decap.reliability.fuzz;

import dev.decap.DecapException;

/**
 * The promise every fuzz target checks: a call on hostile input either returns or throws one of the library's own
 * exceptions ({@link DecapException} and its subclasses). Anything else that escapes (a {@code NullPointerException},
 * {@code IllegalArgumentException}, {@code IndexOutOfBoundsException}, {@code InvalidPathException},
 * {@code OutOfMemoryError}, ...) is rethrown wrapped in {@link ContractViolation}, which Jazzer reports as a finding
 * and saves the input for.
 */
final class LibraryContract {
    private LibraryContract() {
    }

    /** A call on fuzzed input. */
    interface Call {
        void run() throws Exception;
    }

    /** Runs {@code call}; returns normally if it returned or threw a {@link DecapException}. */
    static void onlyLibraryExceptions(String what, Call call) {
        try {
            call.run();
        } catch (DecapException expected) {
            // the promised way to refuse bad input; its message must say something
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new ContractViolation(what + " threw " + expected.getClass().getName()
                        + " without a message", expected);
            }
        } catch (Throwable t) {
            throw new ContractViolation(what + " let " + t.getClass().getName() + " escape: " + t.getMessage(), t);
        }
    }

    /** Something other than the library's exceptions escaped. */
    static final class ContractViolation extends AssertionError {
        private static final long serialVersionUID = 1L;

        ContractViolation(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
