/**
 * Runnable examples with the shipped miniature model (no paths, no downloads): captioning
 * ({@link dev.decap.examples.miniature.CaptionWithShippedModel}), the paper's strategies compared
 * ({@link dev.decap.examples.miniature.CompareStrategies}), a domain swap by memory
 * ({@link dev.decap.examples.miniature.MemoryDomainSwap}), and batch and video captioning
 * ({@link dev.decap.examples.miniature.BatchAndVideo}).
 */
package dev.decap.examples.miniature;
