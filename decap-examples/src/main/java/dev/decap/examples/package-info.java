/**
 * Runnable examples: {@link dev.decap.examples.CompareDecodingMethods} (PD, NND, visual decoding and retrieval
 * side by side), {@link dev.decap.examples.CustomMemoryBankExample} (a domain-specific memory bank) and
 * {@link dev.decap.examples.LuceneBankExample} (a memory bank on disk in an embedded Lucene index, searched
 * approximately through its HNSW graph).
 */
package dev.decap.examples;
