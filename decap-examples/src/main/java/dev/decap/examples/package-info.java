/**
 * Runnable examples: {@link dev.decap.examples.CompareDecodingMethods} (PD, NND, visual decoding and retrieval
 * side by side) and {@link dev.decap.examples.CustomMemoryBankExample} (a domain-specific memory bank).
 */
package dev.decap.examples;
