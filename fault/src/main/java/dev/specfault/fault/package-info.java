/**
 * Address spaces: the {@link dev.specfault.fault.AddressSpace} contract both fault-path designs
 * implement, with Linux 6.x semantics and errnos returned as values, and what they share
 * ({@link dev.specfault.fault.AbstractSpace}: argument checks, placement, layout plans; files;
 * counters; seeded bugs; test hooks).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>No system call and no access throws for bad input: system calls return {@code -errno},
 *   accesses return an {@link dev.specfault.pmap.AccessResult}.</li>
 *   <li>Every layout change is computed as one {@link dev.specfault.vma.LayoutPlan} under the
 *   space's writer lock and becomes visible at once (one published tree, or one map change under
 *   the map lock).</li>
 *   <li>Every PTE that maps a frame holds one reference on it; a page-cache page also holds the
 *   cache's. A frame is freed only after every translation of it has been flushed (P0).</li>
 *   <li>Each area that maps a {@link dev.specfault.fault.FileObject} holds a reference on it,
 *   dropped only when no fault can use the area any more.</li>
 *   <li>Seeded bugs are per-space settings ({@link dev.specfault.fault.FaultBug}), never static.</li>
 * </ul>
 *
 * <h2>What it may touch</h2>
 * {@code srcu}, {@code pmap} and {@code vma}; nothing above it ({@code stress} uses it). The lock
 * order is in {@code docs/locking.md}.
 */
package dev.specfault.fault;
