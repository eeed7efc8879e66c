/**
 * The locked design (OpenBSD UVM): page faults under the vm_map lock held shared, anonymous memory
 * in reference-counted amaps of anons with an amap lock taken shared or exclusively and upgraded
 * without sleeping (ERESTART when the upgrade fails), a lock per file object, one lock per pmap,
 * stack growth under the map lock, and {@code uvm_purge} at exit. Its kernel-lock mode runs every
 * fault under one lock per machine.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Lock order MAPS → AMAP → UOBJ → PMAP; a thread holds at most one space's map lock, except
 *   fork, which also holds its brand-new child's. docs/locking.md has the table per operation.</li>
 *   <li>Layout ({@link dev.specfault.vma.VmMap} entries), anonymous-memory references
 *   ({@link dev.specfault.fault.locked.ArefMap}) and {@code vm_ssize} change only under the map lock
 *   held exclusively, and every such change bumps the map's timestamp: a fault that dropped the map
 *   lock and finds the timestamp unchanged on relock may trust everything it had looked up.</li>
 *   <li>An amap's slots, references and its anons change only under the amap lock held
 *   exclusively; the amaps of one fork lineage share one lock (anons shared between them are under
 *   it). A promotion (zero fill, copy-on-write, page-in) holds it exclusively.</li>
 *   <li>A removal (munmap, MAP_FIXED, a shrinking brk or mremap, exit) takes its arefs out of the
 *   table under the map lock and drops their amap references after releasing it, as
 *   {@code uvm_unmap_detach} does after {@code vm_map_unlock}: until then their slots stay covered
 *   by an aref no table holds, which only delays the freeing of their anons and pages (and makes an
 *   {@code amap_copy} meanwhile copy instead of taking the amap over).</li>
 *   <li>Leaf entries change only under the pmap lock; every mapping holds a frame reference of its
 *   own, an anon holds one on its page, the page cache one on each of its pages.</li>
 * </ul>
 *
 * <h2>Why the amap references live beside the map, not in {@code Area.anon}</h2>
 * UVM keeps a {@code vm_aref} in each map entry and never joins entries that have amaps. Here the
 * entries are the {@link dev.specfault.vma.Area} values both designs share, merged by Linux's rules,
 * so that both designs produce the same layout and {@code /proc/PID/maps} for the same calls (the
 * contract and the differential test check it). An amap identity in {@code Area.anon} would stop
 * merges Linux does (two adjacent mappings, one of them touched), and its slots could not be keyed
 * by {@code pgoff} either (a moved area keeps its pgoff, and a new mapping at the old place gets the
 * same one). So each space keeps its arefs in an address-keyed table under the same map lock, cut
 * and moved with the layout; {@code VmaFlags.NEEDS_COPY} likewise lives in the aref.
 *
 * <h2>Naming</h2>
 * Methods carry the UVM names they follow ({@code amap_copy}, {@code uvm_fault_upper},
 * {@code pmap_enter}, ...) in their comments. Locks: "shared" = RW_READ, "exclusive" = RW_WRITE.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.fault} (the contract and the system-call half), {@code vma} (VmMap, Area,
 * the planner), {@code pmap} (its kernel-side API under the pmap lock), {@code srcu} (only to free
 * table pages, as pmap requires). Nothing here is static except the per-machine registry of
 * {@link dev.specfault.fault.locked.LockedKernel}.
 */
package dev.specfault.fault.locked;
