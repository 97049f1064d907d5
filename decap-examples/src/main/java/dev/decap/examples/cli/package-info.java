/**
 * The {@code decap} command-line tool ({@code decap-examples/target/decap.jar}): {@code tokenize},
 * {@code preprocess}, {@code decode} and {@code caption}. Output is JSON lines; errors are one line and a non-zero
 * exit code.
 */
package dev.decap.examples.cli;
