/**
 * The linearizability harnesses (P8): {@link dev.specfault.fault.check.SpaceLinearizability} (and
 * its variants with lazy freeing and with seals) runs an address space's operations on private
 * anonymous memory under Lincheck, model checking or stress mode, against {@link dev.specfault.fault.check.SpaceModel},
 * and {@link dev.specfault.fault.check.FileLinearizability} those on shared and private mappings of a
 * file, with pread and pwrite, against {@link dev.specfault.fault.check.FileSpaceModel}: independent
 * page-level models of Linux's semantics (the file model's answers are the kernel's on 1,000
 * sequences, FileModelKernelTest). Main code, so that tests and {@code ./specfault check} share it; Lincheck is a
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
