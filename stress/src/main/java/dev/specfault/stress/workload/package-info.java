/**
 * Workloads: the loops the stress tool and the benchmarks run on an address space, after
 * will-it-scale (page_fault1/2/3) and the cases the designs differ on.
 *
 * <p>A workload runs on the calling thread, which must be bound to the emulated CPU it is given;
 * it touches nothing but the space's system calls and accesses, and reports failures as
 * exceptions (a workload expects none).
 */
package dev.specfault.stress.workload;
