/**
 * Virtual memory areas: the layout rules both designs share, the speculative design's lock-free VMA
 * tree and its records, and the locked design's vm_map.
 *
 * <ul>
 *   <li>{@link dev.specfault.vma.Area}, {@link dev.specfault.vma.Prot},
 *   {@link dev.specfault.vma.VmaFlags}: immutable values; Linux merge rules.</li>
 *   <li>{@link dev.specfault.vma.LayoutPlanner} / {@link dev.specfault.vma.LayoutPlan}: what mmap,
 *   munmap, mprotect and an entry replacement do, as pure functions over an
 *   {@link dev.specfault.vma.AreaIndex}; placement ({@code vm_unmapped_area} top-down).</li>
 *   <li>{@link dev.specfault.vma.VmaTree} and {@link dev.specfault.vma.Vma}: the speculative design
 *   (SRCU readers, one-store batches, records marked dead).</li>
 *   <li>{@link dev.specfault.vma.VmMap}: the locked design (a read/write lock and a timestamp).</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>An index holds non-overlapping, page-aligned, non-empty areas; after any sequence of planned
 *   changes no two adjacent areas can merge.</li>
 *   <li>A {@link dev.specfault.vma.Vma} record is immutable while live; it is marked dead while still
 *   in the tree, before its range's page-table entries change, and reclaimed only after an SRCU grace
 *   period of the tree's domain (P3).</li>
 *   <li>A tree batch becomes visible in one root store: no reader sees a hole where the range stayed
 *   mapped, nor part of a change.</li>
 *   <li>Tree writers are serialized by the caller (the mmap lock); the tree asserts that one batch at
 *   a time is open. VmMap changes hold its write lock.</li>
 *   <li>Seeded bugs ({@link dev.specfault.vma.VmaBug}) are per-tree settings, off by default.</li>
 * </ul>
 *
 * <h2>Access-mode naming</h2>
 * As in {@code dev.specfault.srcu}: VarHandles are private to the class whose field they touch and
 * used through accessors named by mode ({@code rootAcquire()}, {@code setRootRelease()},
 * {@code casWriter()}); {@code [I]} fields of records and nodes are read plainly, after the root's
 * acquire load, which orders them.
 *
 * <h2>May touch</h2>
 * {@code dev.specfault.srcu} (domains, poisoning pools) and the JDK. Nothing here knows page tables,
 * frames or CPUs: the writer's page-table work happens in the {@code fault} module, between
 * {@link dev.specfault.vma.VmaTree.Batch#markDead()} and {@link dev.specfault.vma.VmaTree.Batch#publish()}.
 */
package dev.specfault.vma;
