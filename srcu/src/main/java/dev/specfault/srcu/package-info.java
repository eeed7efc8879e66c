/**
 * The reclaimer: a sleepable-RCU-like domain ({@link dev.specfault.srcu.SrcuDomain}) with read
 * sections, grace periods, {@code call()} callbacks kept per reader slot (Linux's per-CPU
 * {@code srcu_cblist}) and run on the thread that queued them or on the driver's,
 * {@code barrier()}, and pluggable grace-period drivers.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A callback passed to {@code call()} runs only after every read section of its domain that
 *   began before the call has ended; {@code synchronize()} returns only after every read section
 *   that began before it has ended. (P3 rests on this.)</li>
 *   <li>Read sections never block, never allocate after a thread's first section in a domain, and
 *   write only the calling thread's own counters.</li>
 *   <li>Domains are independent: a reader stalled in one delays only that domain's grace periods.</li>
 *   <li>Seeded bugs ({@link dev.specfault.srcu.SrcuBug}) are per-domain settings, off by default.</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * Accessors say their mode: {@code xPlain()} (owner-only data), {@code xOpaque()},
 * {@code xAcquire()}, {@code setXRelease()}, {@code setXVolatile()}, {@code casX()}. Algorithm code
 * does not call VarHandles directly. Every fence is named with the letter of its Linux counterpart
 * (A–E) and says what it orders.
 *
 * <h2>May touch</h2>
 * The JDK and JCTools only; this is the bottom layer and knows nothing of pages or VMAs.
 */
package dev.specfault.srcu;
