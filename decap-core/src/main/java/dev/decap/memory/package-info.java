/**
 * DeCap's memory bank: captions with their unit CLIP text embeddings, which projection decoding mixes and retrieval
 * searches.
 *
 * <p>{@link dev.decap.memory.MemoryBank} is the contract (four abstract methods; exact brute-force
 * {@code scan}/{@code search} defaults), {@link dev.decap.memory.InMemoryMemoryBank} the standard heap-backed
 * implementation. Custom banks are held to the contract by {@code MemoryBankContractTest} in decap-core's
 * test-jar. Banks are immutable and safe for concurrent readers.
 */
package dev.decap.memory;
