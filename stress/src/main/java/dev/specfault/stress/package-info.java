/**
 * The {@code ./specfault} command-line tool's entry point.
 *
 * <h2>Invariants</h2>
 * Exit code 0 on success, 1 when a correctness violation was found (a {@code VIOLATION} line says
 * what), 2 for a bad argument (one line, no stack trace) or a failure of the tool.
 *
 * <h2>May touch</h2>
 * Every module; nothing below imports this one.
 */
package dev.specfault.stress;
