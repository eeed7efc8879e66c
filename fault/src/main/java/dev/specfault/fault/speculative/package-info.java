/**
 * The speculative design: page faults find their VMA record in the lock-free tree inside an SRCU
 * read section and validate under the leaf table's PTL; writers mark records dead (or make their
 * write sequence odd), change PTEs under the PTLs, flush, publish one new tree and free through
 * SRCU. The protocol and its argument are in {@link dev.specfault.fault.speculative.SpeculativeSpace}.
 *
 * <h2>Access modes</h2>
 * Records: {@code isDead()} and {@code writeSeq()} are acquire loads; {@code markDead()} and
 * {@code beginWrite()} are followed by a full fence (the zap's PTE loads come after them). PTEs are
 * read once (opaque) into a local, compared with hardware-set bits masked, and changed only under
 * the PTL by CAS or get-and-set.
 *
 * <h2>What it may touch</h2>
 * The {@code fault} package's shared parts, {@code vma}'s tree and planner, {@code pmap}'s machine
 * and {@code srcu}. Locks: the mmap lock (writers; the fault's slow path for reading), then one PTL
 * at a time; never the pmap lock (the locked design's).
 */
package dev.specfault.fault.speculative;
