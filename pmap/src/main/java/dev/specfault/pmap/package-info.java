/**
 * The emulated machine, kernel-side API: a {@link dev.specfault.pmap.Machine} of CPUs with TLBs and
 * root registers, page tables that live in physical frames, the walker's results, the TLB-coherence
 * model, and one address space's table tree ({@link dev.specfault.pmap.Pmap}) with the operations
 * the fault paths use: {@code leafTable}, {@code leafTableAlloc}, {@code install}, {@code clear},
 * {@code replace}, {@code rewrite}, {@code zapRange}, {@code protectRange}, {@code flushRange},
 * {@code freeTables}, {@code teardown}. The formats and the hardware models of each architecture
 * are in {@code .x86} and {@code .arm64}; frames in {@code .phys}.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Tables hold frame numbers, never Java objects; a zero entry is "not present" and frame 0 is
 *   never mapped, so a zero TLB value is a miss.</li>
 *   <li>Every entry is read once into a local and reasoned about there. A present entry is changed
 *   only by CAS or get-and-set, because the hardware walker sets A/D (arm64 AF, DBM-dirty) by CAS
 *   at any time without a lock; a plain (release) store is used only on an entry that is not present
 *   (install, the write half of {@code replace}) or in a space that no CPU can walk any more
 *   (teardown).</li>
 *   <li>A leaf entry changes only under its table's PTL ({@link dev.specfault.pmap.TablePage#lock},
 *   the speculative design) or under the space's pmap lock ({@link dev.specfault.pmap.Pmap#pmapLock},
 *   the locked design); the hardware's A/D CAS is the only lock-free writer.</li>
 *   <li>A valid entry whose frame or memory attributes change goes through break-before-make
 *   ({@code replace}: clear, flush, write); rights and A/D/AF/DBM may change in place
 *   ({@code rewrite} refuses anything else).</li>
 *   <li>Table pages are allocated only under the mmap lock and linked by CAS on the parent entry;
 *   they are unlinked under their PTL and freed only after a flush that waited out in-flight
 *   hardware walks <em>and</em> an SRCU grace period of the space's domain (software walkers), in
 *   that order. Each allocation of a frame as a table is a new incarnation, which software walkers
 *   validate (P3).</li>
 *   <li>A CPU is bound to one thread; its TLB, root register and statistics are written only by that
 *   thread or by a remote operation that holds the CPU's REMOTE bit. An access never blocks; a page
 *   fault leaves the access (IN_ACCESS cleared) before the {@link dev.specfault.pmap.FaultHandler}
 *   runs, so a flush never waits for a blocked fault.</li>
 *   <li>When {@code flushRange} returns, no CPU can use a translation of the range cached before the
 *   call (CPUs not inside an access catch up at their next entry; the checkers know which cached
 *   entries are unreachable). With {@code freedTables}, no CPU's walk cache
 *   ({@link dev.specfault.pmap.WalkCache}) can start a walk at a table of the range either: x86's
 *   INVLPG empties the PCID's paging-structure caches and lazy CPUs are switched away, arm64
 *   invalidates all levels ({@code TLBI VAE1IS}) instead of the last one. A walk-cache entry whose
 *   table was freed or reused is reported as a use-after-free (P3) when a walk would start from
 *   it.</li>
 *   <li>Teardown: stop, detach every root register (lazy CPUs too), flush the tag, zap, free tables.</li>
 *   <li>Seeded bugs ({@link dev.specfault.pmap.PmapBug}) and test hooks
 *   ({@link dev.specfault.pmap.PmapHooks}) are per-machine settings, off by default, never static.</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * Frame words are touched only through {@code PhysicalMemory}'s named accessors: {@code getAcquire}
 * (hardware walker, emulated load), {@code getOpaque} (software reading an entry once — also
 * {@link dev.specfault.pmap.Pmap#pte}), {@code getVolatile} (checkers), {@code putRelease} (emulated
 * store, install of a not-present entry), {@code cas} ({@code pteCas}, hardware A/D, linking a
 * table), {@code getAndSet} (a zap's get-and-clear, unlinking a table). Fields with VarHandles have
 * accessors that say the mode: {@code Cpu.stateOpaque/stateAcquire/stateVolatile/casState/
 * setStateRelease}, {@code loadedOpaque/setLoadedRelease}, {@code lazyOpaque/setLazyRelease};
 * {@code TablePage.casPtl/ptlOpaque/setPtlRelease}; TLB arrays are read and written opaque. The CPU
 * state word is {@code seq | REMOTE | IN_ACCESS}: taken by CAS (a full fence, the CPU's side of the
 * Dekker pair with a flusher's generation bump or TLBI post), left by a release store.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.srcu} (domains for table reclamation, {@code UseAfterFreeLog}), its own
 * sub-packages and the JDK; Agrona and JCTools only through {@code .phys}. Nothing above it: the
 * kernel side reaches pmap through {@link dev.specfault.pmap.FaultHandler}, which pmap defines and
 * the address-space layer implements.
 */
package dev.specfault.pmap;
