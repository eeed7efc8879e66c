/**
 * The sub-commands of {@code ./specfault}, one class each, and their argument converters.
 *
 * <h2>Invariants</h2>
 * Argument errors are picocli {@code ParameterException}s (one line, exit 2); the run's own results
 * go to the command's output stream, violations as lines starting {@code VIOLATION}.
 *
 * <h2>May touch</h2>
 * Every module's public API.
 */
package dev.specfault.stress.cli;
