/**
 * Text tokenisation with CLIP's conventions: the {@link dev.decap.tokenization.Tokenizer} contract and
 * {@link dev.decap.tokenization.ClipTokenizer}, a pure-Java port of OpenAI's CLIP byte-level BPE tokenizer that
 * produces the reference ids exactly (text cleaning as {@link dev.decap.tokenization.ClipTextCleaner}, the 77-token
 * context form, decoding). See {@code docs/tokenizer.md}.
 */
package dev.decap.tokenization;
