/**
 * Text tokenisation with CLIP's conventions: the {@link dev.decap.tokenization.Tokenizer} contract,
 * {@link dev.decap.tokenization.ClipTokenizer}, a pure-Java port of OpenAI's CLIP byte-level BPE tokenizer that
 * produces the reference ids exactly (text cleaning as {@link dev.decap.tokenization.ClipTextCleaner}, the 77-token
 * context form, decoding), and {@link dev.decap.tokenization.WordTokenizer}, the word-level tokenizer a bundle may
 * carry instead (the shipped miniature model does). See {@code docs/tokenizer.md} and {@code docs/model-bundle.md}.
 */
package dev.decap.tokenization;
