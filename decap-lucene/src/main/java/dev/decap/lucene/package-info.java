/**
 * Memory banks on an embedded Apache Lucene index: {@link dev.decap.lucene.LuceneMemoryBank} keeps captions and
 * unit embeddings in a Lucene directory (memory-mapped from disk, or in memory) and answers top-k searches
 * approximately through Lucene's HNSW graph, so that top-k projection decoding over millions of captions needs no
 * full scan. decap-core stays free of Lucene; this module is the only one that depends on it.
 */
package dev.decap.lucene;
