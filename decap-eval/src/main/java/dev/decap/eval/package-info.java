/**
 * Caption metrics with pycocoevalcap parity: {@link dev.decap.eval.CaptionMetrics} scores candidate captions
 * against references with BLEU-1..4, ROUGE-L and CIDEr-D exactly as coco-caption computes them, after
 * {@link dev.decap.eval.PtbTokenizer}, a pure-Java reimplementation of the Stanford PTB tokenisation pycocoevalcap
 * runs. Results are immutable records ({@link dev.decap.eval.CaptionEvaluation},
 * {@link dev.decap.eval.CaptionScores}); invalid input raises {@link dev.decap.InvalidInputException}. No Java
 * subprocess, no CoreNLP, no native code. See {@code docs/metrics.md}.
 */
package dev.decap.eval;
