/**
 * The engine behind {@code stress} and {@code compare}: one cell (a design on an architecture under
 * a workload) on its own machine and space, with the invariant checks on, and the seeded bugs of
 * every layer by name.
 */
package dev.specfault.stress.run;
