/**
 * Workloads: the loops the stress tool and the benchmarks run on an address space, after
 * will-it-scale (page_fault1/2/3) and the cases the designs differ on (mmap_churn, mprotect_churn,
 * stack_growth, fork_storm, exit_race, unmap_race, ebizzy); {@code docs/stress.md} describes each
 * and the seeded bug it hits.
 *
 * <p>A workload's faulting and writer threads each run on the emulated CPU of their id, bound to
 * the calling thread; they touch nothing but the space's system calls and accesses (and spaces the
 * workload forks or builds on the same machine), and report a broken invariant to the
 * {@link dev.specfault.stress.workload.WorkloadContext} as one line, never by throwing. Every store
 * writes a tagged value and is read back; expected signals (SIGSEGV past a stack limit, or in an
 * area being unmapped) are counted, not reported. State shared by a cell's threads lives in the
 * context ({@link dev.specfault.stress.workload.Workload#start}); per-thread state is indexed by
 * thread id and touched by that thread only. ({@link dev.specfault.stress.workload.PageFault1}, the
 * benchmarks' loop, throws instead: a benchmark expects no failure.)
 */
package dev.specfault.stress.workload;
