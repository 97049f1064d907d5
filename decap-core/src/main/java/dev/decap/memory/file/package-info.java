/**
 * Memory bank files: DeCap's memory as a durable, checksummed, memory-mapped artifact (format specified in
 * {@code docs/memory-bank-format.md}).
 *
 * <ul>
 *   <li>{@link dev.decap.memory.file.MemoryBankWriter} writes a bank atomically (temporary file, fsync, rename),
 *       normalising and deduplicating captions and normalising embeddings; {@link dev.decap.memory.file.MemoryBanks}
 *       merges, appends and splits banks.</li>
 *   <li>{@link dev.decap.memory.file.MemoryBankFile} reads one through read-only mappings (fp32, fp16 or int8), implements
 *       {@link dev.decap.memory.MemoryBank}, and verifies every checksum on request.</li>
 *   <li>{@link dev.decap.memory.file.MemoryBankBuild} encodes a {@link dev.decap.memory.file.Corpus} (text lines, COCO
 *       captions JSON, JSON Lines) into a bank, resumably, reporting {@link dev.decap.memory.file.BuildProgress}.</li>
 *   <li>{@link dev.decap.memory.file.ShardedMemoryBank} joins shard files listed in a manifest; with
 *       {@link dev.decap.projection.PartialProjection} shards can be projected onto on different machines.</li>
 * </ul>
 *
 * <p>Every bank records the {@link dev.decap.memory.file.EncoderIdentity} of the text tower that produced it, so a
 * captioner with another tower refuses it ({@link dev.decap.memory.file.IncompatibleMemoryBankException}). Damaged
 * files raise {@link dev.decap.memory.file.CorruptMemoryBankException} naming the file and the section; failed writes
 * raise {@link dev.decap.memory.file.MemoryBankWriteException} and leave any existing bank untouched.
 */
package dev.decap.memory.file;
