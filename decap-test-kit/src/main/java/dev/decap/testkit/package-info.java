/**
 * The shared test kit: contract tests that every implementation of decap's service interfaces extends (the
 * library's own and users'), and the helpers they use.
 *
 * <ul>
 *   <li>{@link dev.decap.testkit.MemoryBankContractTest}: memory banks, with precision and approximate-search
 *       hooks;</li>
 *   <li>{@link dev.decap.testkit.ProjectorContractTest}: projectors, against a double-precision
 *       {@link dev.decap.testkit.ReferenceProjection};</li>
 *   <li>{@link dev.decap.testkit.LanguageModelContractTest}: step-wise decoders, and
 *       {@link dev.decap.testkit.FakeLanguageModel}, a language model without weights for testing decoding loops;</li>
 *   <li>{@link dev.decap.testkit.TestVectors}: deterministic test data.</li>
 * </ul>
 *
 * Add {@code dev.decap:decap-test-kit} with {@code test} scope; it brings JUnit Jupiter's API.
 */
package dev.decap.testkit;
