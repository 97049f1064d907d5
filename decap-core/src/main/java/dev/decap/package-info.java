/**
 * DeCap zero-shot captioning: the {@link dev.decap.DeCap} captioner, its {@link dev.decap.Caption} results,
 * the exception hierarchy rooted at {@link dev.decap.DecapException}, and vector helpers.
 *
 * <p>The pipeline, in the paper's words: an image encoder (CLIP) embeds the image; a projector maps the embedding
 * into the text embedding space over a memory bank of caption embeddings; a caption decoder trained on text only
 * turns the projected prefix into words. Each role is an interface in its own package
 * ({@code encoding}, {@code memory}, {@code projection}, {@code decoding}); {@code tokenization} and {@code image}
 * hold the pure-Java CLIP tokenizer and image preprocessing.
 */
package dev.decap;
