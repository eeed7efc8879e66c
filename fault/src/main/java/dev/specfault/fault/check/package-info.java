/**
 * The linearizability harness (P8): {@link dev.specfault.fault.check.SpaceLinearizability} runs
 * an address space's operations under Lincheck, model checking or stress mode, against
 * {@link dev.specfault.fault.check.SpaceModel}, an independent page-level model of Linux's
 * semantics. Main code, so that tests and {@code ./specfault check} share it; Lincheck is a
 * compile dependency of this module for that reason.
 *
 * <h2>Invariants</h2>
 * Each invocation builds its own machine and space (nothing static but the configuration of the
 * check in progress, set before Lincheck starts and only read after); each Lincheck thread is bound
 * to its own emulated CPU; no background thread runs (inline SRCU grace periods); OOM cannot
 * happen (the frame pool is sized for the window); P0, P1, P5 and P3 are checked in
 * {@code @Validate}.
 */
package dev.specfault.fault.check;
