/**
 * Evaluation of the shipped miniature model in Java: the world's contract as a Java2D renderer
 * ({@link dev.decap.examples.eval.MiniatureWorld}), the fact parser for captions
 * ({@link dev.decap.examples.eval.CaptionFacts}) and the evaluation itself
 * ({@link dev.decap.examples.eval.MiniatureEvaluation}, run by {@code decap evaluate-miniature}).
 */
package dev.decap.examples.eval;
