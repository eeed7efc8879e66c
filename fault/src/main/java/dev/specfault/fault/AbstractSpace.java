package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_FIXED_NOREPLACE;
import static dev.specfault.fault.Mman.MAP_GROWSDOWN;
import static dev.specfault.fault.Mman.MAP_NORESERVE;
import static dev.specfault.fault.Mman.MAP_POPULATE;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.MAP_SHARED_VALIDATE;
import static dev.specfault.fault.Mman.MAP_STACK;
import static dev.specfault.fault.Mman.MAP_TYPE;
import static dev.specfault.fault.Mman.PAGE_MASK;
import static dev.specfault.fault.Mman.PAGE_SIZE;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.vma.AnonVma;
import dev.specfault.vma.Area;
import dev.specfault.vma.AreaIndex;
import dev.specfault.vma.AreaMap;
import dev.specfault.vma.LayoutPlan;
import dev.specfault.vma.LayoutPlanner;
import dev.specfault.vma.VmaFlags;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The system-call half of an address space, shared by both designs: argument checks, errnos,
 * placement, and the layout each call asks for (a {@link LayoutPlan} from {@code vma}'s planner,
 * with Linux's splits and merges). What a design does differently — how the plan is made
 * visible, how PTEs and anonymous memory follow it, and the fault path — is behind the abstract
 * methods.
 *
 * <h2>Linux behaviour reproduced here (6.x, x86-64; checked with strace)</h2>
 * <ul>
 *   <li>mmap: EINVAL for an unaligned offset (anonymous memory too), len 0, a map type other than
 *   SHARED/PRIVATE/SHARED_VALIDATE/DROPPABLE (unknown flags are ignored except under
 *   SHARED_VALIDATE; DROPPABLE is anonymous only), an unaligned FIXED address, GROWSDOWN on anything
 *   but private anonymous memory; ENOMEM when the rounded length overflows, the range passes
 *   TASK_SIZE, no gap fits, the map count is above {@code max_map_count}, or at it for a FIXED
 *   mapping that splits an area; EPERM for FIXED below {@code mmap_min_addr}; EEXIST for
 *   FIXED_NOREPLACE over a mapping. MAP_LOCKED faults the pages in, as MAP_POPULATE does. A hint
 *   is used when the range is free (guard gaps included), otherwise top-down placement below
 *   {@code mmap_base}.</li>
 *   <li>munmap: EINVAL for an unaligned start, len 0 or a range past TASK_SIZE; holes are fine;
 *   ENOMEM when a split would pass the map-count limit.</li>
 *   <li>mprotect: EINVAL for an unaligned start or an unknown bit; len 0 succeeds; ENOMEM when the
 *   range overflows, starts in a hole, or hits one (after applying to the part before it).
 *   PROT_GROWSDOWN starts the change at the first area in the range, which must grow down
 *   (EINVAL); PROT_GROWSUP on a mapped start, or both, is EINVAL (docs/linux/prot-grows.c).</li>
 *   <li>brk: below the start of the break or failing: the current break; shrinking unmaps;
 *   growing needs a page and the guard gap of free space above.</li>
 *   <li>mremap: EINVAL for unknown flags, FIXED or DONTUNMAP without MAYMOVE, DONTUNMAP with
 *   lengths that differ or on a special mapping, an unaligned address, new length 0, old length 0
 *   of a private mapping (a shared one is duplicated), an unaligned or overlapping new address (FIXED
 *   or DONTUNMAP); EPERM for a FIXED target below {@code mmap_min_addr}; EFAULT when the old range
 *   is not inside one mapping (FIXED with equal lengths: when it starts in a hole; it may span areas
 *   and holes, which all move, Linux 6.17); ENOMEM when it cannot grow in place without MAYMOVE.
 *   DONTUNMAP moves the pages and leaves the old areas mapped, whole and empty, with VM_LOCKED
 *   cleared; without FIXED its new address is a hint.</li>
 *   <li>madvise(MADV_DONTNEED): EINVAL for an unaligned start, an unknown advice or an overflow;
 *   len 0 succeeds; applies to the mapped parts and returns ENOMEM if the range had a hole; EINVAL
 *   at the first MAP_LOCKED area, after applying to the areas before it.</li>
 *   <li>madvise(MADV_FREE): the same checks; EINVAL at the first area that is not private
 *   anonymous memory (file or shared), after applying to the areas before it (Linux's walk stops
 *   at the first error, which wins over a hole's ENOMEM). Linux takes the mmap lock for reading
 *   here; both designs take their writer lock, as for MADV_DONTNEED.</li>
 *   <li>madvise with advice that changes {@code vm_flags} (NORMAL, RANDOM, SEQUENTIAL, DONTFORK,
 *   DOFORK, MERGEABLE, UNMERGEABLE, HUGEPAGE, NOHUGEPAGE, DONTDUMP, DODUMP, WIPEONFORK, KEEPONFORK):
 *   the same argument checks; area by area, splitting at the range's ends, merging equal
 *   neighbours; a hole gives ENOMEM at the end; an area's refusal (EINVAL) stops the walk; a split
 *   refused at the map-count limit is EAGAIN, the first cut kept. fork leaves DONTFORK areas out of
 *   the child and gives it WIPEONFORK ones empty.</li>
 *   <li>madvise WILLNEED, COLD, PAGEOUT: the same walk (COLD and PAGEOUT: EINVAL on locked or
 *   VM_PFNMAP memory); PAGEOUT discards the lazy-free pages still clean. DONTNEED_LOCKED: DONTNEED
 *   that locked memory allows. POPULATE_READ/WRITE: faults the range in; ENOMEM at a hole (it
 *   stops there), EINVAL for an area without the right or VM_PFNMAP, EFAULT past a file's end.</li>
 *   <li>mlock/mlock2/munlock: the start rounded down; ENOMEM at a hole (the areas before it
 *   changed); the pages faulted in after, a PROT_NONE area or a page past a file's end making it
 *   ENOMEM; mlockall(MCL_FUTURE) locks later mappings and heap growth; MCL_CURRENT every area now.
 *   The caller is taken to hold CAP_IPC_LOCK (no RLIMIT_MEMLOCK).</li>
 *   <li>mseal (6.18; docs/linux/mseal.c): EINVAL for flags, an unaligned start, a length that wraps;
 *   ENOMEM for a hole (nothing sealed); area by area as vma_modify_flags, ENOMEM at a refused cut.
 *   A sealed area: munmap, MAP_FIXED over it and brk's shrink are EPERM (before any change but the
 *   cut at the start of an unsealed first area); mprotect is EPERM at it, the rights before it
 *   changed, even to the same rights; mremap of it is EPERM before any other check of the area,
 *   onto it (FIXED) EPERM, a multi-area move stops at it; DONTNEED, DONTNEED_LOCKED, FREE,
 *   DONTFORK and WIPEONFORK are EPERM at it if it is private anonymous memory without PROT_WRITE.
 *   fork copies the seal; mlock and the other advice are allowed.</li>
 *   <li>merging: as {@code vma_merge} (see {@link dev.specfault.vma.LayoutPlanner}), with VM_ACCOUNT
 *   among the flags (set by mmap on private writable memory without MAP_NORESERVE, by brk, on the
 *   stack; added and removed by mprotect, {@link dev.specfault.vma.LayoutPlanner#mprotectFlags}) and
 *   the area's anonymous identity ({@link dev.specfault.vma.AnonVma}: set by the first write fault in
 *   private memory, {@link #needsAnon}; forked by fork, {@link #forkCopy}).</li>
 * </ul>
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [m] the writer lock (speculative: the mmap lock; locked: the vm_map lock) held for writing
 * </pre>
 */
public abstract class AbstractSpace implements AddressSpace, FileObject.Mapper {
    /** Internal result: the fault path asks the caller to retry the access. */
    protected static final long NO_ADDR = -1;

    protected final String name; // [I]
    protected final Machine machine; // [I]
    protected final SpaceConfig config; // [I]
    protected final SpaceStats stats = new SpaceStats(); // [I]
    protected final Set<FaultBug> bugs; // [I]
    protected final FaultHooks hooks; // [I]

    protected long startBrk; // [m]
    protected long brk; // [m], read racily by currentBrk()
    /** mm->def_flags: LOCKED (and LOCKONFAULT) after mlockall(MCL_FUTURE); not inherited by fork. */
    protected int defFlags; // [m]
    /** Spaces made so far: each one's {@link #hashCode} comes from it. */
    private static final java.util.concurrent.atomic.AtomicInteger MADE = new java.util.concurrent.atomic.AtomicInteger(); // [a]
    private final int hash = MADE.incrementAndGet() * 0x9E3779B9; // [I]
    /** The files this space has mapped, each told so ({@link FileObject#addMapper}): a truncation zaps here. */
    private final java.util.Map<FileObject, int[]> mappedFiles = new java.util.HashMap<>(); // [m] areas per file

    protected AbstractSpace(String name, Machine machine, SpaceConfig config, Set<FaultBug> bugs, FaultHooks hooks) {
        this.name = name;
        this.machine = machine;
        this.config = config;
        this.bugs = bugs.isEmpty() ? EnumSet.noneOf(FaultBug.class) : EnumSet.copyOf(bugs);
        this.hooks = hooks == null ? FaultHooks.NONE : hooks;
        this.startBrk = config.brkStart();
        this.brk = config.brkStart();
    }

    // ------------------------------------------------------------------------------------------
    // Truncation (the reverse map: FileObject's class comment)

    /**
     * => writer lock, an area {@code a} about to enter this space's layout. Registers the space with
     * the file it maps, if any (before any PTE of it can be copied here: a fork's child registers
     * under its parent's writer lock, which a truncation's zap of the parent takes too).
     */
    protected final void noteMapped(Area a) {
        if (a.backing() instanceof FileObject f && f.kind() == FileObject.Kind.FILE) {
            final int[] n = mappedFiles.computeIfAbsent(f, x -> new int[1]);
            if (n[0]++ == 0) {
                f.addMapper(this);
            }
        }
    }

    /**
     * => writer lock, an area {@code a} gone from the layout (its PTEs zapped in the same change; a
     * speculative fault still on its record fails on the record's dead state): the file's last area
     * here unregisters the space, so that neither keeps the other (file_race makes a file a round).
     */
    protected final void noteUnmapped(Area a) {
        if (a.backing() instanceof FileObject f && f.kind() == FileObject.Kind.FILE) {
            final int[] n = mappedFiles.get(f);
            if (n != null && --n[0] == 0) {
                mappedFiles.remove(f);
                f.removeMapper(this);
            }
        }
    }

    /**
     * Identity equality, with a hash of its own rather than the identity hash (as {@link FileObject}'s):
     * a space put in a hash set at a harness's set-up and looked up by its threads must be found,
     * and Lincheck's model checker rewrites identity hash codes in between (a truncation's passes
     * never ended when a file's mappers were such a set: a space it had zapped was not found in its
     * set of those done).
     */
    @Override
    public final boolean equals(Object o) {
        return this == o;
    }

    @Override
    public final int hashCode() {
        return hash;
    }

    /** Tests: the files this space is registered with (each mapped by one of its areas). */
    final int mappedFileCount() {
        writeLock();
        try {
            return mappedFiles.size();
        } finally {
            writeUnlock();
        }
    }

    /** => writer lock, the space exiting. It maps no file any more. */
    protected final void forgetMapped() {
        for (FileObject f : mappedFiles.keySet()) {
            f.removeMapper(this);
        }
        mappedFiles.clear();
    }

    /**
     * {@code unmap_mapping_range(mapping, from, 0, even_cows=1)} for this space: under the writer lock,
     * MADV_DONTNEED's zap ({@link #discard}) of the part of each area mapping {@code file} from page
     * {@code fromPgoff} of the file on, shared pages and private copies alike.
     */
    @Override
    public final void truncateZap(FileObject file, long fromPgoff) {
        writeLock();
        try {
            if (isExited()) {
                return;
            }
            final List<Area> hit = new ArrayList<>();
            index().forEachOverlapping(0, config.taskSize(), a -> {
                if (a.backing() == file && a.pgoff() + a.pages() > fromPgoff) {
                    hit.add(a);
                }
            });
            for (Area a : hit) {
                if (hasBug(FaultBug.TRUNCATE_SHARED_ONLY) && (a.flags() & VmaFlags.SHARED) == 0) {
                    continue; // the seeded bug: private mappings keep their pages past the end
                }
                final long from = Math.max(a.start(), a.start() + ((fromPgoff - a.pgoff()) << Area.PAGE_SHIFT));
                truncateDiscard(a, from, a.end());
            }
        } finally {
            writeUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // What a design provides

    /**
     * pmap's fault handler (the designs declare {@code FaultHandler}): the design's {@link #handle},
     * as a flight-recorder event while one records, and direct reclaim ({@link #reclaim}) on OOM.
     * => called by a CPU of this space, outside its access; the locked design's populate calls it
     * with no CPU.
     */
    public final int handleFault(Cpu cpu, long va, int access, long walk) {
        final int r = FaultEvents.recording() ? FaultEvents.timed(this, this::handle, cpu, va, access, walk)
                : handle(cpu, va, access, walk);
        return r == AccessResult.OOM && reclaim() ? dev.specfault.pmap.FaultHandler.RETRY : r;
    }

    /** The design's fault: resolves the fault at {@code va} (the CPU retries) or returns the signal. */
    protected abstract int handle(Cpu cpu, long va, int access, long walk);

    /**
     * Direct reclaim, for a fault that found no free frame: if the SRCU domain of any space on the
     * machine holds frames back (table pages and records waiting for a grace period: this space's,
     * or a fork's exited child's), waits until every callback queued there has run ({@link
     * Machine#drainDeferredFrees}) — as the kernel's allocator reclaims before it reports OOM, from
     * every mm — and, if that
     * freed nothing, discards this space's clean lazy-free pages ({@link #reclaimLazyFree}); says
     * whether that freed any frame, or a fault's worth of frames is free now (another thread's
     * reclaim may have run the callbacks between this caller's failed allocation and this call), in
     * which case the access is retried rather than killed. Called with no lock held and outside any
     * read section (the top of {@code handleFault}).
     *
     * @return true if the allocation may succeed now (retry the access), false if the OOM stands
     */
    @Override
    public final boolean reclaim() {
        final dev.specfault.pmap.phys.FrameAllocator frames = machine.frames();
        final long before = frames.inUse();
        machine.drainDeferredFrees(pmap().domain());
        if (stillShort(frames, before)) {
            reclaimLazyFree(); // then this space's lazy-free pages that are still clean
        }
        if (stillShort(frames, before)) {
            return false;
        }
        stats.retry(SpaceStats.Retry.RECLAIM);
        return true;
    }

    /**
     * Frames one fault allocates at most: a table for each level below the root (five-level x86)
     * and a page. With this many free, a retry can succeed although this call freed nothing; with
     * fewer, a fault that gave back a partial allocation (its table, when the page failed) would be
     * told to retry for ever.
     */
    private static final int FAULT_FRAMES = 8;

    /** Nothing freed since {@code before}, and fewer than a fault's worth of frames free. */
    private static boolean stillShort(dev.specfault.pmap.phys.FrameAllocator frames, long before) {
        final long n = frames.inUse();
        return n >= before && n > frames.limit() - FAULT_FRAMES;
    }

    /**
     * fork, as the design does it ({@link #forkOnce}); out of frames, it reclaims ({@link #reclaim})
     * and forks again, at most three times in all: dup_mmap's and pgd_alloc's allocations reclaim
     * before they fail, as a fault's do. The half-made child of a failed try has exited, so its
     * frames are reclaimed too.
     */
    @Override
    public final AddressSpace fork() {
        for (int i = 0;; i++) {
            final AddressSpace child = forkOnce();
            if (child != null || i == 2 || isExited() || !reclaim()) {
                return child;
            }
        }
    }

    /** The design's fork: the child, or null for ENOMEM (or when this space has exited). */
    protected abstract AddressSpace forkOnce();

    /** Takes the writer lock (mmap lock / vm_map lock) for writing. */
    protected abstract void writeLock();

    protected abstract void writeUnlock();

    /** => writer lock. The current layout. */
    protected abstract AreaIndex index();

    /** What a commit does to the PTEs (and anonymous memory) of the ranges it changes. */
    protected enum Change {
        /** Nothing mapped there can exist (a new area in a hole, a stack growing). */
        NONE,
        /** Remove every page in the range (munmap, FIXED over a mapping, shrink). */
        ZAP,
        /** Lower the rights of the range's PTEs to {@code prot}. */
        PROTECT,
        /**
         * Only the areas' flags change (madvise); PTEs and pages stay. The locked design cuts its
         * arefs at start and end, as UVM's entry clipping does ({@code amap_splitref}).
         */
        FLAGS
    }

    /**
     * => writer lock. Makes {@code plan} the layout and changes the PTEs of [start, end) as
     * {@code change} says, in the design's order; frees what it removed. Each added area that maps
     * a {@link FileObject} takes a reference on it; each removed one drops its reference once no
     * fault can still use the area (after an SRCU grace period).
     */
    protected abstract void commit(LayoutPlan plan, Change change, long start, long end, int prot);

    /**
     * => writer lock; {@code plan} unmaps [oldStart, oldStart + oldLen) and maps {@code moved} (the
     * new areas, inside [newStart, newStart + max(len, newLen))) over whatever is there. Drops the
     * pages under each of {@code moved} and of the old range's tail [oldStart + len, oldStart +
     * oldLen), moves the pages of [oldStart, oldStart + len) to newStart (the mapped parts of it: a
     * multi-area move leaves holes, and the target's pages across from them stay), frees the old
     * range's empty tables, and makes {@code plan} the layout. With {@code keepOld}
     * (MREMAP_DONTUNMAP; then oldLen == newLen == len) the old range stays mapped ({@code plan}
     * keeps its areas, at most with VM_LOCKED cleared) and empty: its pages move, nothing is dropped
     * or freed there, and a fault on it waits for the move (Linux write-locks the source vma).
     *
     * @return 0 or -ENOMEM (a table page could not be allocated; nothing changed)
     */
    protected abstract long commitMove(LayoutPlan plan, long oldStart, long oldLen, long newStart, long newLen,
                                       long len, List<Area> moved, boolean keepOld);

    /** => writer lock. Drops the pages of [start, end) inside {@code a} (MADV_DONTNEED). */
    protected abstract void discard(Area a, long start, long end);

    /**
     * A truncation's zap of {@code [start, end)} of {@code a} (past the file's new end): MADV_DONTNEED's
     * {@link #discard}, which the speculative design overrides for its seeded bug. => writer lock.
     */
    protected void truncateDiscard(Area a, long start, long end) {
        discard(a, start, end);
    }

    /**
     * => writer lock; {@code a} is private anonymous memory. MADV_FREE of [start, end) inside it
     * (madvise_free_pte_range): every present page that only this entry maps becomes lazy-free and
     * clean — the entry's dirty and accessed state cleared in place, the page marked — and the
     * range is flushed, so that the next store must set the dirty state again through the
     * entry. Pages mapped more than once (shared after fork) and absent entries are left alone.
     */
    protected abstract void lazyFree(Area a, long start, long end);

    /**
     * => the PTL (or pmap lock) of the entry {@code old}; for {@link Pmap#protectRange}. MADV_FREE
     * of one leaf: the entry to write (clean and old), the page marked lazy-free; {@code old}
     * itself if the page is mapped more than once. May run more than once for one entry (a lost CAS).
     */
    protected final long lazyFreeLeaf(long old) {
        final dev.specfault.pmap.PteFormat fmt = pmap().format();
        if (!fmt.mapsFrame(old)) {
            return old;
        }
        final long f = fmt.frame(old);
        if (machine.frames().mapcount(f) != 1) {
            return old;
        }
        machine.frames().markLazyFree(f);
        if (fmt.protNone(old)) {
            return fmt.leaf(f, dev.specfault.pmap.Prot.NONE, 0);
        }
        return fmt.mkclean(fmt.mkold(old));
    }

    /**
     * The design's reclaim of lazy-free pages ({@link #reclaimLazyFree}): under its locks, for each
     * leaf of this space in [start, end) that maps a lazy-free page, {@link Pmap#reclaimLazyFree} and, if it
     * discarded the page, drop its references. Counts in {@link #stats}.
     *
     * @return pages discarded
     */
    protected abstract long reclaimLazyFreeLocked(long start, long end);

    @Override
    public final long reclaimLazyFree(long start, long end) {
        if (isExited() || Long.compareUnsigned(start, end) >= 0) {
            return 0;
        }
        return reclaimLazyFreeLocked(start, end);
    }

    /** Where a reclaim walk looks: the space's private anonymous areas now (racy snapshot is fine). */
    protected static boolean lazyFreeable(Area a) {
        return (a.flags() & VmaFlags.SHARED) == 0 && a.backing() == null;
    }

    /**
     * Enters the design's read side of the layout (speculative: an SRCU read section; locked: the
     * map lock shared), in which {@link #areaAt} may be called.
     *
     * @return a token for {@link #layoutReadUnlock}
     */
    protected abstract int layoutReadLock();

    protected abstract void layoutReadUnlock(int token);

    /** => {@link #layoutReadLock}. The area containing {@code va}, or null. */
    protected abstract Area areaAt(long va);

    /** The area containing {@code va} now (inside a read side of its own), or null. */
    private Area areaNow(long va) {
        final int token = layoutReadLock();
        try {
            return areaAt(va);
        } finally {
            layoutReadUnlock(token);
        }
    }

    /** The fault path without a CPU (MAP_POPULATE): RETRY when it did something, else a signal. */
    protected abstract int faultWithoutCpu(long va, int access);

    /**
     * Faults [start, end) in, for MAP_POPULATE (no lock held; errors ignored, as Linux does). A page
     * that fails (out of memory, beyond a file's end) ends the populate of its area: the next area
     * is tried, as {@code __mm_populate} with {@code ignore_errors} does, and a huge area of a
     * machine that ran out of frames is not faulted page after failing page (a replayed
     * MAP_POPULATE of 16 TiB took 7 minutes).
     */
    protected void populate(long start, long end, boolean write) {
        for (long va = start; va < end; va += PAGE_SIZE) {
            final int r = faultIn(va, write);
            if (r == AccessResult.KILLED) {
                return;
            }
            if (r == AccessResult.OOM || r == AccessResult.SIGBUS || r == AccessResult.SIGSEGV) {
                final Area a = areaNow(va);
                if (a == null) {
                    continue;
                }
                va = a.end() - PAGE_SIZE;
            }
        }
    }

    /**
     * Faults the page at {@code va} in (for writing: a writable entry) unless it is there already,
     * with no lock held, at most 8 attempts. Out of frames, it reclaims ({@link #reclaim}) and tries
     * again, as a fault from a CPU does ({@link #handleFault}): GUP's faults are handle_mm_fault's.
     *
     * @return RETRY when it is there (or the attempts ran out), else the signal the fault ended in
     */
    private int faultIn(long va, boolean write) {
        final int access = write ? dev.specfault.pmap.Prot.ACCESS_WRITE : dev.specfault.pmap.Prot.ACCESS_READ;
        int r = dev.specfault.pmap.FaultHandler.RETRY;
        for (int i = 0; i < 8 && !isPopulated(va, write); i++) {
            r = faultWithoutCpu(va, access);
            if (r == AccessResult.OOM && reclaim()) {
                r = dev.specfault.pmap.FaultHandler.RETRY;
                continue;
            }
            if (r != dev.specfault.pmap.FaultHandler.RETRY) {
                break;
            }
        }
        return r;
    }

    private boolean isPopulated(long va, boolean write) {
        final int token = layoutReadLock();
        try {
            final Pmap p = pmap();
            final long t = p.leafTable(va);
            if (t < 0) {
                return false;
            }
            final long e = p.pte(t, dev.specfault.pmap.Arch.index(va, 1));
            return p.format().present(e) && (!write || p.format().writable(e));
        } finally {
            layoutReadUnlock(token);
        }
    }

    /**
     * A leaf's entry after mprotect to {@code prot}: rights only go down here (write-protect, or a
     * PROT_NONE leaf that keeps its frame); faults raise them again.
     */
    protected static long lowerLeaf(dev.specfault.pmap.PteFormat fmt, long old, int prot) {
        if (!fmt.mapsFrame(old) || fmt.protNone(old)) {
            return old;
        }
        final int flags = (fmt.dirty(old) ? dev.specfault.pmap.Prot.DIRTY : 0)
                | (fmt.young(old) ? dev.specfault.pmap.Prot.YOUNG : 0);
        if ((prot & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) == 0) {
            return fmt.leaf(fmt.frame(old), dev.specfault.pmap.Prot.NONE, flags);
        }
        long n = old;
        if ((prot & Mman.PROT_WRITE) == 0 && fmt.writable(n)) {
            n = fmt.wrprotect(n);
        }
        return n;
    }

    /**
     * => writer lock; [start, end) was just unmapped. Linux free_pgd_range's floor and ceiling: the
     * end of the area below and the start of the area above, or null when the range is mapped again
     * (MAP_FIXED over a mapping: its tables stay in use).
     */
    protected final long[] tableGap(long start, long end) {
        final AreaIndex idx = index();
        final Area next = idx.find(start);
        if (next != null && next.start() < end) {
            return null;
        }
        final long ceiling = next == null ? config.taskSize() : next.start();
        final Area prev = next == null ? idx.last() : idx.prev(next);
        return new long[] {prev == null ? 0 : prev.end(), ceiling};
    }

    /**
     * => writer lock, the layout still the old one; [start, end) is about to be removed with nothing
     * mapped in its place (munmap, a shrink). The floor and ceiling {@link #tableGap} will give once
     * the removal is in: the areas that straddle an edge keep their outer parts.
     */
    protected final long[] removalGap(long start, long end) {
        final AreaIndex idx = index();
        final Area at = idx.find(start);
        final long floor;
        if (at != null && at.start() < start) {
            floor = start;
        } else {
            final Area prev = at == null ? idx.last() : idx.prev(at);
            floor = prev == null ? 0 : prev.end();
        }
        final Area over = idx.find(end - 1);
        final long ceiling;
        if (over != null && over.start() < end && over.end() > end) {
            ceiling = end;
        } else {
            final Area next = idx.find(end);
            ceiling = next == null ? config.taskSize() : next.start();
        }
        return new long[] {floor, ceiling};
    }

    /**
     * => writer lock. mremap's move, first step: the destination's leaf tables for every source
     * table that exists, so that nothing has changed yet if one cannot be allocated.
     *
     * @return false on OOM
     */
    protected final boolean allocMoveTables(long oldStart, long newStart, long len) {
        if (len == 0) {
            return true; // a shared mapping's duplicate (old_len 0): no page moves
        }
        final Pmap p = pmap();
        final long span = dev.specfault.pmap.Arch.span(2);
        for (long va = oldStart & -span; va < oldStart + len; va += span) {
            if (p.leafTable(Math.max(va, oldStart)) >= 0) {
                final long lo = newStart + (Math.max(va, oldStart) - oldStart);
                final long hi = newStart + (Math.min(va + span, oldStart + len) - oldStart) - 1;
                if (p.leafTableAlloc(lo, null) == dev.specfault.pmap.phys.FrameAllocator.OOM
                        || p.leafTableAlloc(hi, null) == dev.specfault.pmap.phys.FrameAllocator.OOM) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The rights of a new leaf in area {@code a}: x86 has no write-only or exec-only pages. */
    protected static int leafProt(Area a, boolean writable) {
        int prot = a.prot() & (dev.specfault.pmap.Prot.READ | dev.specfault.pmap.Prot.WRITE
                | dev.specfault.pmap.Prot.EXEC);
        if ((prot & (dev.specfault.pmap.Prot.WRITE | dev.specfault.pmap.Prot.EXEC)) != 0) {
            prot |= dev.specfault.pmap.Prot.READ;
        }
        if (!writable) {
            prot &= ~dev.specfault.pmap.Prot.WRITE;
        }
        return prot;
    }

    /**
     * => {@link #layoutReadLock}, quiet state. P1 and P5 over every CPU's TLB: an entry of this
     * space that a CPU could still use must lie in an area that grants its rights.
     */
    protected final void checkTlbCoverage(List<String> out) {
        final Pmap p = pmap();
        for (Cpu c : machine.cpus()) {
            c.tlb().forEach((tag, vpn, t) -> {
                if (!machine.tagOwnedBy(c, tag, p) || !machine.coherence().reachable(c, tag, vpn)
                        || !c.tlb().contains(tag, vpn, t)) {
                    return;
                }
                final long va = vpn << dev.specfault.pmap.phys.PhysicalMemory.PAGE_SHIFT;
                final Area a = areaAt(va);
                if (a == null) {
                    out.add("P1: " + c + " TLB entry for 0x" + Long.toHexString(va) + " outside every area of " + name);
                    return;
                } else if (dev.specfault.pmap.WalkResult.writable(t) && (a.prot() & Mman.PROT_WRITE) == 0) {
                    out.add("P5: " + c + " writable TLB entry for 0x" + Long.toHexString(va) + " in " + a);
                } else if ((a.prot() & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) == 0) {
                    out.add("P1: " + c + " TLB entry for 0x" + Long.toHexString(va) + " in PROT_NONE " + a);
                }
                // In a quiet state an entry a CPU can still use agrees with the tables: the same
                // frame, rights no greater. A frame freed under a stale entry and handed out again
                // is not free any more, so this is what catches a missed flush once memory is reused.
                final long leaf = p.leafTable(va);
                final long pte = leaf < 0 ? 0 : p.pte(leaf, dev.specfault.pmap.Arch.index(va, 1));
                final dev.specfault.pmap.PteFormat f = p.format();
                if (dev.specfault.pmap.WalkResult.sizeCode(t) != 0) {
                    out.add("P1: " + c + " huge TLB entry for 0x" + Long.toHexString(va) + " (only 4 KiB pages are mapped)");
                } else if (leaf < 0 || !f.present(pte) || f.frame(pte) != dev.specfault.pmap.WalkResult.frame(t)) {
                    out.add("P1: " + c + " TLB entry for 0x" + Long.toHexString(va) + " -> frame 0x"
                            + Long.toHexString(dev.specfault.pmap.WalkResult.frame(t)) + ", its PTE "
                            + (leaf < 0 || !f.present(pte) ? "is not present" : "maps 0x" + Long.toHexString(f.frame(pte))));
                } else if (dev.specfault.pmap.WalkResult.writable(t) && !f.writable(pte)) {
                    out.add("P5: " + c + " writable TLB entry for 0x" + Long.toHexString(va) + ", its PTE read-only");
                }
            });
        }
    }

    /** Maps the initial stack if the configuration asks for it (a new space, as after execve). */
    protected final void mapInitialStackIfConfigured() {
        if (config.initialStack()) {
            writeLock();
            try {
                mapInitialStack();
            } finally {
                writeUnlock();
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Accessors

    @Override
    public String name() {
        return name;
    }

    @Override
    public Machine machine() {
        return machine;
    }

    @Override
    public SpaceConfig config() {
        return config;
    }

    @Override
    public SpaceStats stats() {
        return stats;
    }

    @Override
    public long currentBrk() {
        return brk;
    }

    @Override
    public long startBrk() {
        return startBrk;
    }

    public Set<FaultBug> bugs() {
        return bugs;
    }

    protected final boolean hasBug(FaultBug b) {
        return bugs.contains(b);
    }

    // ------------------------------------------------------------------------------------------
    // Memory accesses

    @Override
    public int load(Cpu cpu, long va) {
        if (!enter(cpu)) {
            return AccessResult.KILLED;
        }
        return cpu.load(va);
    }

    @Override
    public int store(Cpu cpu, long va, long value) {
        if (!enter(cpu)) {
            return AccessResult.KILLED;
        }
        return cpu.store(va, value);
    }

    /** Makes {@code cpu} run this space (a context switch if it ran another). */
    private boolean enter(Cpu cpu) {
        final Pmap p = pmap();
        if (p.isStopped()) {
            return false;
        }
        if (cpu.loadedOpaque() != p || cpu.lazyOpaque()) {
            cpu.switchTo(p);
        }
        return true;
    }

    /** Whether an access of kind {@code access} ({@link dev.specfault.pmap.Prot}) is allowed by {@code prot}. */
    public static boolean allowed(int prot, int access) {
        switch (access) {
            case dev.specfault.pmap.Prot.ACCESS_WRITE:
                return (prot & Mman.PROT_WRITE) != 0;
            case dev.specfault.pmap.Prot.ACCESS_EXEC:
                return (prot & Mman.PROT_EXEC) != 0;
            default:
                // Linux vma_is_accessible(): any right lets a read through (x86 cannot express
                // write-only or execute-only pages).
                return (prot & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0;
        }
    }

    /**
     * Linux's {@code untagged_addr} for a user address, the MMU's own ({@link
     * dev.specfault.pmap.Walker#untag}): arm64 clears the top byte of an address whose bit 55 is clear
     * ({@code addr & sign_extend64(addr, 55)}), x86-64 without LAM changes nothing. munmap, mprotect,
     * mremap's old address and mlock/munlock untag theirs first, madvise after its range checks
     * (Documentation/arch/arm64/tagged-address-abi.rst: address-space management takes tagged
     * pointers); mmap, brk and mremap's new address do not (5.6's dcde237319e6, so that a tag cannot
     * alias a mapping).
     */
    protected final long untagged(long addr) {
        return machine.walker().untag(addr);
    }

    // ------------------------------------------------------------------------------------------
    // mmap

    @Override
    public long mmap(long addr, long len, int prot, int flags) {
        return mmap(addr, len, prot, flags | MAP_ANONYMOUS, null, 0);
    }

    @Override
    public long mmap(long addr, long len, int prot, int flags, FileObject file, long offset) {
        // x86-64 and arm64 sys_mmap: the byte offset must be page-aligned, anonymous memory too,
        // before anything else.
        if ((offset & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        // Linux calc_vm_prot_bits(): mmap ignores unknown protection bits (checked with strace:
        // PROT_READ|0x10 maps r--p); only mprotect rejects them.
        prot &= Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC;
        if (len == 0) {
            return -Errno.EINVAL;
        }
        final boolean anonymous = file == null || (flags & MAP_ANONYMOUS) != 0;
        final int type = flags & MAP_TYPE;
        if (anonymous) {
            // do_mmap's anonymous branch knows SHARED, PRIVATE and (6.11) DROPPABLE: SHARED|PRIVATE
            // (which is MAP_SHARED_VALIDATE) is EINVAL here.
            if (type != MAP_SHARED && type != MAP_PRIVATE && type != Mman.MAP_DROPPABLE) {
                return -Errno.EINVAL;
            }
        } else {
            if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) {
                return -Errno.EINVAL;
            }
            if (type == MAP_SHARED_VALIDATE && (flags & ~Mman.MAP_KNOWN) != 0) {
                return -Errno.EOPNOTSUPP;
            }
        }
        if ((flags & MAP_FIXED_NOREPLACE) != 0) {
            flags |= MAP_FIXED;
        }
        final long rlen = Mman.pageAlign(len);
        if (rlen == 0 || len < 0) {
            return -Errno.ENOMEM;
        }
        final boolean fixed = (flags & MAP_FIXED) != 0;
        if (fixed) {
            // __get_unmapped_area's order: a range past TASK_SIZE (ENOMEM), then an unaligned
            // address (EINVAL), then security_mmap_addr (EPERM); found by replaying random calls
            // recorded on 6.18 (until 2026-12-01 the alignment came first).
            if (Long.compareUnsigned(rlen, config.taskSize()) > 0
                    || Long.compareUnsigned(addr, config.taskSize() - rlen) > 0) {
                return -Errno.ENOMEM;
            }
            if ((addr & ~PAGE_MASK) != 0) {
                return -Errno.EINVAL;
            }
            if (addr < config.mmapMinAddr()) {
                return -Errno.EPERM;
            }
        } else if (Long.compareUnsigned(rlen, config.taskSize()) > 0) {
            return -Errno.ENOMEM;
        }
        final boolean shared = type != MAP_PRIVATE && type != Mman.MAP_DROPPABLE;
        int vmFlags = shared ? VmaFlags.SHARED : 0;
        boolean lockPopulate = false; // VM_LOCKED when do_mmap decided to populate
        if (type == Mman.MAP_DROPPABLE) {
            // do_mmap: droppable pages are not reserved, and do not survive a fork or a core dump.
            vmFlags |= VmaFlags.DROPPABLE | VmaFlags.NORESERVE | VmaFlags.WIPEONFORK | VmaFlags.DONTDUMP;
        }
        if ((flags & Mman.MAP_LOCKED) != 0) {
            vmFlags |= VmaFlags.LOCKED;
        }
        if (anonymous) {
            vmFlags |= VmaFlags.ANONYMOUS;
        } else if (file.kind() == FileObject.Kind.PFN) {
            vmFlags |= VmaFlags.DONTDUMP; // [vvar]: VM_IO | VM_DONTDUMP | VM_PFNMAP
        }
        if ((flags & MAP_GROWSDOWN) != 0) {
            vmFlags |= VmaFlags.GROWSDOWN;
        }
        if ((flags & MAP_NORESERVE) != 0) {
            vmFlags |= VmaFlags.NORESERVE;
        }
        if ((vmFlags & (VmaFlags.SHARED | VmaFlags.NORESERVE)) == 0 && (prot & Mman.PROT_WRITE) != 0) {
            vmFlags |= VmaFlags.ACCOUNT; // mmap_region: accountable_mapping (private, writable, reserved)
        }
        if ((flags & MAP_STACK) != 0) {
            vmFlags |= VmaFlags.NOHUGEPAGE; // Linux 6.7 calc_vm_flag_bits (CONFIG_TRANSPARENT_HUGEPAGE)
        }
        final long start;
        writeLock();
        try {
            final AreaIndex idx = index();
            if (idx.count() > config.maxMapCount()) {
                return -Errno.ENOMEM; // do_mmap's first check
            }
            if (fixed) {
                start = addr;
                if ((flags & MAP_FIXED_NOREPLACE) != 0 && overlaps(idx, start, start + rlen)) {
                    return -Errno.EEXIST;
                }
            } else {
                start = place(idx, addr, rlen);
                if (start == NO_ADDR) {
                    return -Errno.ENOMEM;
                }
            }
            // do_mmap, after placement: no locked (or huge) droppable memory; GROWSDOWN only for
            // private anonymous memory (a file's, shared memory's or droppable memory's is EINVAL).
            if (type == Mman.MAP_DROPPABLE && (flags & (Mman.MAP_LOCKED | Mman.MAP_HUGETLB)) != 0) {
                return -Errno.EINVAL; // "a locked or stack area makes no sense to be droppable"
            }
            if ((flags & MAP_GROWSDOWN) != 0 && (shared || !anonymous || type == Mman.MAP_DROPPABLE)) {
                return -Errno.EINVAL;
            }
            Object backing = null;
            long pgoff;
            if (anonymous && shared) {
                if (rlen > FileObject.MAX_SIZE) {
                    return -Errno.ENOMEM; // the emulator's page cache limit (Linux's shmem would take it)
                }
                backing = SharedAnon.create(rlen, machine.frames(), start); // its one reference is the area's
                pgoff = 0;
            } else if (anonymous) {
                pgoff = start >>> 12; // Linux: vm_pgoff of anonymous memory is its first page number
            } else {
                backing = file;
                pgoff = offset >>> 12;
                // file_mmap_ok, after placement: the last page must lie below the largest file size
                // (MAX_LFS_FILESIZE for a regular file or memfd), else EOVERFLOW.
                if (file.kind() == FileObject.Kind.FILE
                        && Long.compareUnsigned(pgoff, (Long.MAX_VALUE - rlen) >>> 12) > 0) {
                    return -Errno.EOVERFLOW;
                }
            }
            vmFlags |= defFlags; // do_mmap: mm->def_flags (mlockall(MCL_FUTURE))
            // do_mmap asks for a populate from VM_LOCKED before __mmap_complete clears the lock bits
            // where vma_supports_mlock says no; populate_vma_page_range then skips only an area
            // still LOCKONFAULT. So droppable memory under MCL_FUTURE|MCL_ONFAULT is faulted in.
            lockPopulate = (vmFlags & VmaFlags.LOCKED) != 0;
            if (!anonymous && file.kind() != FileObject.Kind.FILE) {
                vmFlags &= ~(VmaFlags.LOCKED | VmaFlags.LOCKONFAULT); // __mmap_complete: not on VM_SPECIAL
                lockPopulate = false; // GUP refuses VM_IO/VM_PFNMAP: nothing faulted in
            } else if (type == Mman.MAP_DROPPABLE) {
                vmFlags &= ~(VmaFlags.LOCKED | VmaFlags.LOCKONFAULT); // nor on droppable memory (6.11)
            }
            final Area a = new Area(start, start + rlen, prot, vmFlags, backing, pgoff, null);
            final LayoutPlan plan = LayoutPlanner.map(idx, a);
            // The first check let the count reach max_map_count + 1 (do_mmap: "> max"); what a
            // FIXED mapping replaces is refused as munmap's would be (unmapRefused).
            final long refused = unmapRefused(idx, start, start + rlen);
            if (refused != 0) {
                if (anonymous && shared) {
                    ((FileObject) backing).release();
                }
                return refused;
            }
            commit(plan, overlaps(idx, start, start + rlen) ? Change.ZAP : Change.NONE, start, start + rlen, 0);
            if (anonymous && shared) {
                ((FileObject) backing).release(); // the creation reference: the areas hold their own now
            }
        } finally {
            writeUnlock();
        }
        if (((flags & MAP_POPULATE) != 0 || lockPopulate) && (vmFlags & VmaFlags.LOCKONFAULT) == 0) {
            // MAP_LOCKED (or mlockall(MCL_FUTURE)): mlock faults the pages in (__mm_populate), as
            // MAP_POPULATE does; not for LOCKONFAULT (populate_vma_page_range returns at once).
            populate(start, start + rlen, (prot & Mman.PROT_WRITE) != 0 && !shared);
        }
        return start;
    }

    /**
     * => writer lock; {@code first} is the area at addr. Whether Linux's split_vma refuses a split
     * mprotect makes of [addr, end) ("map_count >= max" before each): at addr inside {@code first},
     * then at end inside the area there (one more area by then if both split).
     */
    private boolean splitRefused(AreaIndex idx, Area first, long addr, long end) {
        final boolean atStart = first.start() < addr;
        final Area last = idx.find(end - 1);
        final boolean atEnd = last != null && last.start() < end && end < last.end();
        final long n = idx.count();
        return atStart && n >= config.maxMapCount() || atEnd && n + (atStart ? 1 : 0) >= config.maxMapCount();
    }

    /**
     * => writer lock; {@link #splitRefused} said yes for [addr, end) inside the one area {@code a}.
     * If the refusal came at the second cut, the first one (at addr) was made and stays: Linux's
     * vma_modify does not undo it (checked on 6.18: a refused mprotect or madvise leaves one more
     * line in /proc/PID/maps). The two pieces are not merged back.
     */
    private void keepFirstSplit(AreaIndex idx, Area a, long addr) {
        if (a.start() < addr && idx.count() < config.maxMapCount()) {
            cut(a, addr);
        }
    }

    /**
     * => writer lock; mprotect of [addr, end) (no special mapping refusing it before end) needs a cut
     * and the map count is within one of the limit. Linux's mprotect_fixup goes area by area: each
     * area's change merges as vma_modify does or cuts the area, each cut refused once
     * {@code map_count >= max}; at a refusal the walk stops with ENOMEM, the areas before it keep
     * their new rights and a first cut made before a refused second one stays (checked on 6.18).
     * The walk is replayed here on a copy of the layout; if a cut is refused, what it changed is
     * committed as one plan (the changed areas' PTEs lowered, one flush).
     *
     * @return 0 if no cut is refused before end or a hole (the caller applies its plan as usual),
     *         else -ENOMEM with the partial change made
     */
    private long protectAtTheLimit(AreaIndex idx, long addr, long end, int prot) {
        final AreaMap copy = AreaMap.copyOf(idx);
        final int max = config.maxMapCount();
        long at = addr;
        long changedEnd = addr;
        boolean refused = false;
        while (at < end) {
            final Area a = copy.find(at);
            if (a == null || a.start() > at) {
                return 0; // a hole: the caller's plan stops there too
            }
            final long e = Math.min(a.end(), end);
            final LayoutPlan step = LayoutPlanner.protect(copy, at, e, prot);
            if (step.countDelta() > 0) {
                final int n = copy.count();
                if (n >= max) {
                    refused = true; // the first cut
                    break;
                }
                if (step.countDelta() > 1 && n + 1 >= max) {
                    // The second cut (two only when the range lies inside this one area): the first stays.
                    copy.apply(new LayoutPlan(List.of(a), List.of(a.withRange(a.start(), at), a.withRange(at, a.end())),
                            false));
                    refused = true;
                    break;
                }
            }
            copy.apply(step);
            changedEnd = e;
            at = e;
        }
        if (!refused) {
            return 0;
        }
        // The window the walk could touch: from the area before addr to the one after end.
        final Area first = idx.find(addr);
        final Area before = idx.prev(first);
        final Area last = idx.find(end - 1);
        final Area after = last == null ? null : idx.next(last);
        final long lo = before != null ? before.start() : first.start();
        final long hi = after != null ? after.end() : last != null ? last.end() : end;
        final List<Area> was = idx.overlapping(lo, hi);
        final List<Area> now = copy.overlapping(lo, hi);
        final List<Area> removed = new ArrayList<>(was);
        removed.removeAll(now);
        final List<Area> added = new ArrayList<>(now);
        added.removeAll(was);
        if (!removed.isEmpty()) {
            commit(new LayoutPlan(removed, added, false), changedEnd > addr ? Change.PROTECT : Change.FLAGS, addr,
                    changedEnd, prot);
        }
        return -Errno.ENOMEM;
    }

    /** => writer lock. Whether unmapping or replacing [start, end) would split a special mapping ([vdso], [vvar]). */
    protected static boolean cutsSpecial(AreaIndex idx, long start, long end) {
        return cutsSpecialAt(idx, start) || cutsSpecialAt(idx, end);
    }

    private static boolean cutsSpecialAt(AreaIndex idx, long at) {
        final Area a = idx.find(at);
        return a != null && a.start() < at && at < a.end() && FileObject.kindOf(a) != FileObject.Kind.FILE;
    }

    /** => writer lock. Whether [start, end) lies strictly inside one area (unmapping it splits the area in two). */
    protected static boolean splitsOneArea(AreaIndex idx, long start, long end) {
        final Area a = idx.find(start);
        return a != null && a.start() < start && end < a.end();
    }

    /** => writer lock. Whether any area overlaps [start, end). */
    protected static boolean overlaps(AreaIndex idx, long start, long end) {
        final Area a = idx.find(start);
        return a != null && a.start() < end;
    }

    /**
     * => writer lock. Linux get_unmapped_area: a page-aligned hint if [hint, hint + len) is free,
     * guard gaps included; otherwise the highest gap below mmap_base; otherwise bottom-up.
     */
    protected long place(AreaIndex idx, long hint, long len) {
        final long low = Math.max(PAGE_SIZE, config.mmapMinAddr());
        if (hint != 0) {
            // Linux round_hint_to_min(): the hint is rounded down to a page, and a hint below
            // mmap_min_addr becomes mmap_min_addr.
            long h = hint & PAGE_MASK;
            if (h != 0 && h < config.mmapMinAddr()) {
                h = Mman.pageAlign(config.mmapMinAddr());
            }
            if (h != 0 && Long.compareUnsigned(h, config.taskSize() - len) <= 0 && h >= config.mmapMinAddr()
                    && fits(idx, h, len)) {
                return h;
            }
        }
        long at = LayoutPlanner.unmappedTopDown(idx, len, low, config.mmapBase(), config.stackGuardGap());
        if (at < 0) {
            // Linux falls back to a bottom-up search from TASK_UNMAPPED_BASE (window / 3).
            at = LayoutPlanner.unmappedTopDown(idx, len, low, config.mmapWindow(), config.stackGuardGap());
        }
        return at < 0 ? NO_ADDR : at;
    }

    /** [h, h + len) overlaps nothing, and the next area's guard gap (vm_start_gap) is respected. */
    private boolean fits(AreaIndex idx, long h, long len) {
        final Area next = idx.find(h);
        if (next == null) {
            return true;
        }
        long gapStart = next.start();
        if ((next.flags() & VmaFlags.GROWSDOWN) != 0) {
            gapStart = next.start() > config.stackGuardGap() ? next.start() - config.stackGuardGap() : 0;
        }
        final Area prev = next.start() <= h ? next : idx.prev(next);
        if (prev != null && prev.end() > h) {
            return false;
        }
        return h + len <= gapStart;
    }

    // ------------------------------------------------------------------------------------------
    // munmap

    @Override
    public long munmap(long tagged, long len) {
        final long addr = untagged(tagged);
        if ((addr & ~PAGE_MASK) != 0 || Long.compareUnsigned(addr, config.taskSize()) > 0
                || Long.compareUnsigned(len, config.taskSize() - addr) > 0) {
            return -Errno.EINVAL;
        }
        final long rlen = Mman.pageAlign(len);
        if (rlen == 0) {
            return -Errno.EINVAL;
        }
        if (isExited()) {
            return 0;
        }
        unmapLock();
        try {
            return unmapLocked(addr, addr + rlen);
        } finally {
            unmapUnlock();
        }
    }

    /**
     * munmap's (and brk's) {@link #writeLock}; an in-place mremap shrink marks its hold the same way
     * ({@link #beginUnmap}). A design whose munmap frees the zapped pages after
     * downgrading the lock (Linux's: {@code vms_complete_munmap_vmas} calls
     * {@code mmap_write_downgrade} before the pages go) notes here that this hold is munmap's.
     */
    protected void unmapLock() {
        writeLock();
        beginUnmap();
    }

    /**
     * => writer lock: from here this hold is an unmap's, released by {@link #unmapUnlock} (munmap
     * and brk take it with {@link #unmapLock}; mremap marks it so once it knows it only shrinks in
     * place: Linux's {@code shrink_vma(vrm, true)}, {@code do_vmi_munmap(..., unlock=true)}).
     */
    protected void beginUnmap() {
    }

    /** The {@link #writeUnlock} of munmap, brk and an in-place mremap shrink: see {@link #unmapLock}. */
    protected void unmapUnlock() {
        writeUnlock();
    }

    /** => writer lock. */
    protected long unmapLocked(long start, long end) {
        final AreaIndex idx = index();
        final LayoutPlan plan = LayoutPlanner.unmap(idx, start, end);
        if (plan.removed().isEmpty()) {
            return 0;
        }
        final long refused = unmapRefused(idx, start, end);
        if (refused != 0) {
            return refused;
        }
        commit(plan, Change.ZAP, start, end, 0);
        return 0;
    }

    /**
     * => writer lock; something is mapped in [start, end). Linux's vms_gather_munmap_vmas, for
     * munmap, brk's shrink, an mremap's unmaps and what MAP_FIXED replaces, in its order: a hole
     * punched inside one area is refused at the map-count limit (ENOMEM: "let map_count go just
     * above its limit temporarily"; mmap may have left it one above); a sealed first area is EPERM;
     * the first area is cut at start (a special mapping refuses: EINVAL, special_mapping_split);
     * then area by area, a sealed one is EPERM; the last area is cut at end (a special mapping
     * refuses: EINVAL). A refusal after the first cut keeps that cut (checked on 6.18: a refused
     * munmap, MAP_FIXED or mremap shrink leaves the extra line in /proc/PID/maps, for a sealed area
     * or a [vdso] cut at the end alike).
     *
     * @return 0, or the errno with nothing changed but that kept cut
     */
    private long unmapRefused(AreaIndex idx, long start, long end) {
        return unmapRefused(idx, start, end, true);
    }

    /** {@link #unmapRefused(AreaIndex, long, long)}; with {@code keepCut} false, a check that changes nothing. */
    private long unmapRefused(AreaIndex idx, long start, long end, boolean keepCut) {
        if (splitsOneArea(idx, start, end) && idx.count() >= config.maxMapCount()) {
            return -Errno.ENOMEM;
        }
        final Area first = idx.find(start);
        if (first == null || first.start() >= end) {
            return 0;
        }
        if (sealed(first)) {
            return -Errno.EPERM;
        }
        final boolean cutAtStart = first.start() < start;
        if (cutAtStart && FileObject.kindOf(first) != FileObject.Kind.FILE) {
            return -Errno.EINVAL;
        }
        long refusal = 0;
        for (Area a = idx.next(first); a != null && a.start() < end; a = idx.next(a)) {
            if (sealed(a)) {
                refusal = -Errno.EPERM;
                break;
            }
        }
        if (refusal == 0 && cutsSpecialAt(idx, end)) {
            refusal = -Errno.EINVAL;
        }
        if (refusal != 0 && cutAtStart && keepCut) {
            cut(first, start);
        }
        return refusal;
    }

    /** => writer lock. Cuts {@code a} in two at {@code at}, inside it, changing nothing else (no merge). */
    private void cut(Area a, long at) {
        commit(new LayoutPlan(List.of(a), List.of(a.withRange(a.start(), at), a.withRange(at, a.end())), false),
                Change.FLAGS, at, at, 0);
    }

    /** Whether {@code a} is sealed (mseal). */
    protected static boolean sealed(Area a) {
        return (a.flags() & VmaFlags.SEALED) != 0;
    }

    /**
     * Linux 6.18's can_madvise_modify: whether a sealed area refuses a discarding advice (DONTNEED,
     * DONTNEED_LOCKED, FREE, DONTFORK, WIPEONFORK; REMOVE and GUARD_INSTALL are not modelled): only
     * private anonymous memory ({@code vma_is_anonymous}: shared anonymous memory is shmem, and every
     * file mapping is let through) without PROT_WRITE, whose data the caller could not otherwise
     * change.
     */
    private static boolean sealedAgainstDiscard(Area a) {
        return sealed(a) && a.backing() == null && (a.flags() & VmaFlags.SHARED) == 0
                && (a.prot() & Mman.PROT_WRITE) == 0;
    }

    // ------------------------------------------------------------------------------------------
    // mprotect

    @Override
    public long mprotect(long addr, long len, int prot) {
        final List<long[]> populate = new ArrayList<>(0);
        final long r = mprotectLocked(untagged(addr), len, prot, populate);
        for (long[] range : populate) {
            populate(range[0], range[1], true);
        }
        return r;
    }

    /**
     * mprotect; {@code populate} gets the ranges to fault in after the lock: Linux's
     * mprotect_fixup populates a locked private area that becomes writable
     * ({@code (oldflags & (VM_WRITE|VM_SHARED|VM_LOCKED)) == VM_LOCKED}, so that its COW is broken now).
     */
    private long mprotectLocked(long addr, long len, int prot, List<long[]> populate) {
        // do_mprotect_pkey(): PROT_GROWSDOWN and PROT_GROWSUP are taken off prot first, and both at
        // once is EINVAL before any other check (checked on 6.18: docs/linux/prot-grows.c).
        final int grows = prot & (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP);
        prot &= ~grows;
        if (grows == (Mman.PROT_GROWSDOWN | Mman.PROT_GROWSUP)) {
            return -Errno.EINVAL;
        }
        if ((addr & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        if (len == 0) {
            return 0;
        }
        final long rlen = Mman.pageAlign(len);
        final long rangeEnd = addr + rlen;
        if (rlen == 0 || Long.compareUnsigned(rangeEnd, addr) <= 0) {
            return -Errno.ENOMEM;
        }
        // arch_validate_prot(): R, W, X and PROT_SEM (0x8, accepted and ignored).
        if ((prot & ~(Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC | Mman.PROT_SEM)) != 0) {
            return -Errno.EINVAL;
        }
        prot &= Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC;
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        writeLock();
        try {
            final AreaIndex idx = index();
            final Area first = idx.find(addr);
            if (first == null || first.start() >= rangeEnd) {
                return -Errno.ENOMEM; // vma_find(start, end): no area in the range
            }
            if (grows == Mman.PROT_GROWSDOWN) {
                // The change starts at the first area's start, below addr or above it (addr in
                // the hole under it); that area must grow down.
                addr = first.start();
                if ((first.flags() & VmaFlags.GROWSDOWN) == 0) {
                    return -Errno.EINVAL;
                }
            } else if (first.start() > addr) {
                return -Errno.ENOMEM;
            } else if (grows == Mman.PROT_GROWSUP) {
                return -Errno.EINVAL; // it would end at the area's end, but no area grows up here (no VM_GROWSUP)
            }
            // Linux goes area by area up to a hole: one without VM_MAYWRITE/VM_MAYEXEC ([vvar])
            // refuses W or X (EACCES), then mprotect_fixup: a sealed one refuses any change, the same
            // rights too (EPERM), a special mapping refuses a split (EINVAL); the areas before it
            // keep their change.
            long end = rangeEnd;
            long refused = 0;
            for (Area s = first, prev = null; s != null && s.start() < end
                    && (prev == null || s.start() == prev.end()); prev = s, s = idx.next(s)) {
                final FileObject.Kind k = FileObject.kindOf(s);
                if (k == FileObject.Kind.PFN && (prot & (Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0) {
                    refused = -Errno.EACCES;
                } else if (sealed(s)) {
                    refused = -Errno.EPERM;
                } else if (k != FileObject.Kind.FILE && (s.start() < addr || end < s.end())) {
                    refused = -Errno.EINVAL;
                }
                if (refused != 0) {
                    if (s.start() <= addr) {
                        return refused;
                    }
                    end = s.start();
                    break;
                }
            }
            final LayoutPlan plan = LayoutPlanner.protect(idx, addr, end, prot);
            if (!plan.removed().isEmpty() && idx.count() >= config.maxMapCount() - 1) {
                // Near the limit (a cut at count >= max is refused, and the call makes at most two;
                // merges later in the walk do not undo a refusal at its start): Linux's area-by-area
                // walk, to find where it stops and what it changed before.
                final long r = protectAtTheLimit(idx, addr, end, prot);
                if (r != 0) {
                    return r;
                }
            }
            // The range the plan changed: from addr to the first hole (or end).
            long applied = addr;
            Area a = first;
            while (a != null && a.start() <= applied && applied < end) {
                applied = Math.min(a.end(), end);
                a = idx.next(a);
            }
            if (!plan.removed().isEmpty()) {
                if ((prot & Mman.PROT_WRITE) != 0) {
                    for (Area o : idx.overlapping(addr, applied)) {
                        if ((o.prot() & Mman.PROT_WRITE) == 0
                                && (o.flags() & (VmaFlags.SHARED | VmaFlags.LOCKED | VmaFlags.LOCKONFAULT)) == VmaFlags.LOCKED) {
                            populate.add(new long[] {Math.max(o.start(), addr), Math.min(o.end(), applied)});
                        }
                    }
                }
                commit(plan, Change.PROTECT, addr, applied, prot);
            }
            if (refused != 0) {
                return refused;
            }
            return plan.hitHole() || applied < end ? -Errno.ENOMEM : 0;
        } finally {
            writeUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // brk

    @Override
    public long brk(long addr) {
        if (isExited()) {
            return brk;
        }
        final long[] populate = {0, 0};
        final long r = brkLocked(addr, populate);
        if (populate[1] > populate[0]) {
            populate(populate[0], populate[1], true); // do_brk_flags under mlockall(MCL_FUTURE): mm_populate
        }
        return r;
    }

    /**
     * brk; {@code populate} gets the range to fault in after the lock (a locked heap's growth).
     * Under munmap's lock ({@link #unmapLock}): Linux's brk shrinks through
     * {@code do_vmi_align_munmap(..., unlock=true)}, which downgrades before the pages go.
     */
    private long brkLocked(long addr, long[] populate) {
        unmapLock();
        try {
            final long orig = brk;
            if (addr < startBrk) {
                return orig;
            }
            final long newbrk = Mman.pageAlign(addr);
            final long oldbrk = Mman.pageAlign(brk);
            if (newbrk == 0 || Long.compareUnsigned(newbrk, config.taskSize()) > 0) {
                return orig;
            }
            if (oldbrk == newbrk) {
                brk = addr;
                return addr;
            }
            if (addr <= brk) {
                // Linux (6.18, SYSCALL_DEFINE1(brk)): a shrink needs an area in [newbrk, oldbrk)
                // (the heap, or whatever was mapped over it); with none the break stays.
                final Area in = index().find(newbrk);
                if (in == null || in.start() >= oldbrk) {
                    return orig;
                }
                final long r = unmapLocked(newbrk, oldbrk);
                if (r < 0) {
                    return orig;
                }
                brk = addr;
                return addr;
            }
            final AreaIndex idx = index();
            // Linux: the next area, with its guard gap, must leave a page above the new break.
            final Area next = idx.find(oldbrk);
            if (next != null) {
                long gapStart = next.start();
                if ((next.flags() & VmaFlags.GROWSDOWN) != 0) {
                    gapStart = next.start() > config.stackGuardGap() ? next.start() - config.stackGuardGap() : 0;
                }
                if (newbrk + PAGE_SIZE > gapStart) {
                    return orig;
                }
            }
            if (idx.count() > config.maxMapCount()) {
                return orig; // do_brk_flags: "map_count > max", as do_mmap
            }
            // do_brk_flags: VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm->def_flags; it extends the heap
            // area only where a merge would (a fork's child's written heap is not extended).
            final Area a = new Area(oldbrk, newbrk, Mman.PROT_READ | Mman.PROT_WRITE,
                    VmaFlags.ANONYMOUS | VmaFlags.ACCOUNT | defFlags, null, oldbrk >>> 12, null);
            final LayoutPlan plan = LayoutPlanner.map(idx, a);
            commit(plan, Change.NONE, oldbrk, newbrk, 0);
            if ((defFlags & (VmaFlags.LOCKED | VmaFlags.LOCKONFAULT)) == VmaFlags.LOCKED) {
                populate[0] = oldbrk;
                populate[1] = newbrk;
            }
            brk = addr;
            return addr;
        } finally {
            unmapUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // mremap

    @Override
    public long mremap(long addr, long oldLen, long newLen, int flags, long newAddr) {
        // the old address is untagged, new_addr is not (5.6's dcde237319e6: no aliases by a tag)
        final long r = mremapLocked(untagged(addr), oldLen, newLen, flags, newAddr);
        if (!Errno.isError(r) && Long.compareUnsigned(newLen, oldLen) > 0) {
            // do_mremap: a VM_LOCKED area's new part is faulted in (mm_populate), as mlock would.
            final Area a = areaNow(r);
            if (a != null && (a.flags() & (VmaFlags.LOCKED | VmaFlags.LOCKONFAULT)) == VmaFlags.LOCKED) {
                populate(r + oldLen, r + newLen,
                        (a.prot() & Mman.PROT_WRITE) != 0 && (a.flags() & VmaFlags.SHARED) == 0);
            }
        }
        return r;
    }

    private long mremapLocked(long addr, long oldLen, long newLen, int flags, long newAddr) {
        if ((flags & ~(Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP)) != 0) {
            return -Errno.EINVAL;
        }
        if ((flags & Mman.MREMAP_FIXED) != 0 && (flags & Mman.MREMAP_MAYMOVE) == 0) {
            return -Errno.EINVAL;
        }
        final boolean dontUnmap = (flags & Mman.MREMAP_DONTUNMAP) != 0;
        // vrm_implies_new_addr: FIXED and DONTUNMAP both take new_addr (DONTUNMAP without FIXED as
        // a hint, as mmap's), so both check it.
        final boolean newAddrGiven = (flags & (Mman.MREMAP_FIXED | Mman.MREMAP_DONTUNMAP)) != 0;
        if ((addr & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        final long olen = Mman.pageAlign(oldLen);
        final long nlen = Mman.pageAlign(newLen);
        // Linux (6.18, do_mremap): both lengths are page-aligned first, so an old length that wraps
        // to 0 is the old_len 0 case below, not an error of its own.
        if (nlen == 0) {
            return -Errno.EINVAL;
        }
        if (Long.compareUnsigned(nlen, config.taskSize()) > 0) {
            return -Errno.EINVAL; // check_mremap_params: "Is the new length silly?", before any lookup
        }
        if (newAddrGiven) {
            // Linux (6.18, check_mremap_params): the new range is checked before the old one is
            // looked up, so an overlap is EINVAL even when nothing is mapped at addr.
            if ((newAddr & ~PAGE_MASK) != 0) {
                return -Errno.EINVAL;
            }
            if (Long.compareUnsigned(newAddr, config.taskSize() - nlen) > 0) {
                return -Errno.EINVAL;
            }
            if (dontUnmap && ((flags & Mman.MREMAP_MAYMOVE) == 0 || olen != nlen)) {
                return -Errno.EINVAL; // DONTUNMAP is always a move, and never a resize
            }
            if (Long.compareUnsigned(addr + olen, newAddr) > 0 && Long.compareUnsigned(newAddr + nlen, addr) > 0) {
                // vrm_overlaps, in unsigned arithmetic: an old range whose end wraps past 2^64 (a
                // huge old_len) still overlaps a target above its start.
                return -Errno.EINVAL; // overlapping ranges
            }
        }
        if (isExited()) {
            return -Errno.EFAULT;
        }
        writeLock();
        boolean unmapHold = false; // an in-place shrink: released by unmapUnlock, the tail freed after the downgrade
        try {
            final AreaIndex idx = index();
            if (newAddrGiven && idx.count() + 2 >= config.maxMapCount() - 3) {
                // check_mremap_params, after its EINVAL checks and before anything is looked up: the
                // target and the old range might each be split in three (docs/linux/mremap-map-count.c).
                return -Errno.ENOMEM;
            }
            final Area vma = idx.lookup(addr);
            if (vma == null) {
                return -Errno.EFAULT; // before anything at the FIXED target is unmapped
            }
            if (sealed(vma)) {
                // check_prep_vma: before its other checks, and before the no-op of equal lengths
                return -Errno.EPERM;
            }
            if (olen == 0 && (vma.flags() & VmaFlags.SHARED) == 0) {
                // check_prep_vma: old_len 0 "duplicates" a mapping; for a private one that would be
                // a fresh mapping unrelated to the original, so it is refused. A shared one is
                // duplicated: a second mapping of the same pages, placed as a move would be.
                return -Errno.EINVAL;
            }
            if (dontUnmap && FileObject.kindOf(vma) != FileObject.Kind.FILE) {
                return -Errno.EINVAL; // VM_DONTEXPAND or VM_PFNMAP: refused before the length is looked at
            }
            if ((flags & Mman.MREMAP_FIXED) != 0) {
                return mremapTo(idx, vma, addr, olen, nlen, newAddr, dontUnmap);
            }
            if (dontUnmap) {
                if (olen > vma.end() - addr) {
                    return -Errno.EFAULT;
                }
                if (newAddr != 0 && Long.compareUnsigned(newAddr, config.mmapMinAddr()) < 0 && fits(idx, newAddr, nlen)) {
                    // Unlike mmap's, mremap's hint is not raised to mmap_min_addr: get_unmapped_area
                    // takes the free hint, and security_mmap_addr refuses it.
                    return -Errno.EPERM;
                }
                final long to = place(idx, newAddr, nlen); // the hint, as mmap's (get_unmapped_area)
                return to == NO_ADDR ? -Errno.ENOMEM : move(idx, vma, addr, olen, to, nlen, true);
            }
            if (Long.compareUnsigned(olen, nlen) >= 0) {
                if (olen != nlen) {
                    // shrink_vma(vrm, true): the tail's do_vmi_munmap unlocks, and so downgrades before
                    // the tail's pages go, as munmap's
                    unmapHold = true;
                    beginUnmap();
                    final long r = shrinkTail(idx, addr, olen, nlen);
                    if (r < 0) {
                        return r;
                    }
                }
                return addr;
            }
            if (olen > vma.end() - addr) {
                return -Errno.EFAULT;
            }
            if (FileObject.kindOf(vma) != FileObject.Kind.FILE) {
                return -Errno.EFAULT; // resize_is_valid: VM_DONTEXPAND / VM_PFNMAP cannot grow
            }
            // Grow in place (no map-count check: no area is added, even at the limit): the old range reaches the area's end and the room above is free.
            if (olen == vma.end() - addr) {
                final long newEnd = addr + nlen;
                final Area next = idx.next(vma);
                if (Long.compareUnsigned(newEnd, config.taskSize()) <= 0 && newEnd > addr
                        && (next == null || next.start() >= newEnd)) {
                    commit(LayoutPlanner.extend(idx, vma, vma.start(), newEnd), Change.NONE, vma.end(), newEnd, 0);
                    return addr;
                }
            }
            if ((flags & Mman.MREMAP_MAYMOVE) == 0) {
                return -Errno.ENOMEM;
            }
            final long to = place(idx, 0, nlen);
            if (to == NO_ADDR) {
                return -Errno.ENOMEM;
            }
            return move(idx, vma, addr, olen, to, nlen, false);
        } finally {
            if (unmapHold) {
                unmapUnlock();
            } else {
                writeUnlock();
            }
        }
    }

    /**
     * => writer lock. A shrink's unmap of the tail [addr + nlen, addr + olen) (shrink_vma's
     * do_vmi_munmap, with munmap's range check: an old length past TASK_SIZE is EINVAL, not an unmap
     * of everything above the area). {@code olen} is above {@code nlen}, unsigned.
     */
    private long shrinkTail(AreaIndex idx, long addr, long olen, long nlen) {
        final long tail = addr + nlen;
        if (!tailUnmappable(tail, olen - nlen)) {
            return -Errno.EINVAL;
        }
        return unmapLocked(tail, addr + olen);
    }

    /** The smaller of two lengths, as the kernel's unsigned longs compare. */
    private static long unsignedMin(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /** do_vmi_munmap's range check: [start, start + len) lies in user space. */
    private boolean tailUnmappable(long start, long len) {
        return Long.compareUnsigned(start, config.taskSize()) <= 0
                && Long.compareUnsigned(len, config.taskSize() - start) <= 0;
    }

    /**
     * => writer lock; the new range was checked (aligned, in user space, not overlapping the old one).
     * Linux's mremap_to unmaps the target, then the tail that shrinking drops, then moves; here the
     * three are one plan, published in one store like every writer's, so that a fault never finds
     * the target unmapped while the call maps it before and after (P8). What the kernel checks
     * before unmapping anything (6.18: the part that moves must lie in the area, else EFAULT with
     * nothing changed) is checked first.
     */
    private long mremapTo(AreaIndex idx, Area vma, long addr, long olen, long nlen, long newAddr, boolean keepOld) {
        if (olen == 0 && newAddr == addr) {
            // Linux mremap_to: the target is unmapped first, then the old range looked up again; a
            // duplicate onto its own address (not an overlap for old_len 0) finds nothing there.
            final long r = unmapLocked(newAddr, newAddr + nlen);
            return r < 0 ? r : -Errno.EFAULT;
        }
        if (Long.compareUnsigned(newAddr, config.mmapMinAddr()) < 0) {
            // get_unmapped_area's security_mmap_addr, as mmap's MAP_FIXED (a process without
            // CAP_SYS_RAWIO). Linux gets there after check_prep_vma's EFAULT (a resize whose moving
            // part runs past the area) and after mremap_to has unmapped the target, which may reach
            // above mmap_min_addr.
            if (olen != nlen && unsignedMin(olen, nlen) > vma.end() - addr) {
                return -Errno.EFAULT;
            }
            final long r = unmapLocked(newAddr, newAddr + nlen);
            if (r < 0) {
                return r;
            }
            if (Long.compareUnsigned(olen, nlen) > 0) {
                // mremap_to shrinks before it asks for the new address (vrm_set_new_addr): the tail
                // goes (or the call fails on it), and only then is the target refused.
                final long tail = shrinkTail(idx, addr, olen, nlen);
                if (tail < 0) {
                    return tail;
                }
            }
            return -Errno.EPERM;
        }
        if (olen == nlen && vma.end() - addr < olen) {
            return moveAreas(idx, addr, olen, newAddr, keepOld);
        }
        if (Long.compareUnsigned(olen, nlen) > 0) {
            // A shrink: mremap_to unmaps the target, then shrink_vma the tail, then moves what is
            // left. When the tail's unmap fails (a range past TASK_SIZE; a cut through a special
            // mapping such as [vdso]), the call fails with the target already unmapped.
            if (nlen > vma.end() - addr) {
                return -Errno.EFAULT; // check_prep_vma, before anything is unmapped
            }
            final long tail = addr + nlen;
            if (!tailUnmappable(tail, olen - nlen)) {
                final long r = unmapLocked(newAddr, newAddr + nlen);
                return r < 0 ? r : -Errno.EINVAL;
            }
            if (unmapRefused(idx, tail, addr + olen, false) != 0) {
                // The target goes (or is refused), then the tail's unmap is refused (a sealed area, a
                // special mapping cut), keeping its first cut.
                final long r = unmapLocked(newAddr, newAddr + nlen);
                return r < 0 ? r : unmapLocked(tail, addr + olen);
            }
        }
        return move(idx, vma, addr, olen, newAddr, nlen, keepOld);
    }

    /**
     * => writer lock; FIXED, the old length equals the new one, and [addr, addr + len) runs past the
     * area at addr. Linux 6.17's multi-VMA move (remap_move): every area in the range, cut at its
     * ends, moves by the same offset, so the holes between them are kept; the target's pages across
     * from a hole are not unmapped (the kernel unmaps each area's own target as it moves it). A hole
     * at the start is EFAULT, checked by the caller (nothing at addr). Linux moves the areas one by
     * one and an error half-way keeps the ones moved before it; here the areas before the refusal
     * move as one plan, published in one store (the map-count limit checked for all of it first),
     * and the refusing area's target unmap, if it got that far, comes after it.
     */
    private long moveAreas(AreaIndex idx, long addr, long len, long to, boolean keepOld) {
        final List<Area> moved = new ArrayList<>();
        // Area by area, as remap_move: check_prep_vma (a sealed area: EPERM; a special mapping
        // under DONTUNMAP: EINVAL), mremap_to's unmap of the area's own target (munmap's refusals),
        // then the move, whose cut of a special mapping is refused (EINVAL) with that target
        // already unmapped. The areas before the refusal move (checked on 6.18). The area at addr
        // was checked by the caller.
        long span = len;
        long refusal = 0;
        long[] refusedTarget = null; // the target unmap of the refusing area, made for real after the move
        for (Area a : idx.overlapping(addr, addr + len)) {
            final long s = Math.max(a.start(), addr);
            final long e = Math.min(a.end(), addr + len);
            final long ts = to + (s - addr);
            final long te = to + (e - addr);
            if (sealed(a)) {
                refusal = -Errno.EPERM;
            } else if (keepOld && FileObject.kindOf(a) != FileObject.Kind.FILE) {
                refusal = -Errno.EINVAL;
            } else if ((refusal = unmapRefused(idx, ts, te, false)) != 0) {
                refusedTarget = new long[] {ts, te};
            } else if (FileObject.kindOf(a) != FileObject.Kind.FILE && (s > a.start() || e < a.end())) {
                refusal = -Errno.EINVAL;
                refusedTarget = new long[] {ts, te};
            }
            if (refusal != 0) {
                span = s - addr;
                break;
            }
        }
        if (span == 0) {
            return refusedTarget != null ? refusedOrUnmapped(refusedTarget, refusal) : refusal;
        }
        for (Area a : idx.overlapping(addr, addr + span)) {
            final long s = Math.max(a.start(), addr);
            final long e = Math.min(a.end(), addr + span);
            moved.add(movedArea(a, s, to + (s - addr), to + (e - addr)));
        }
        final LayoutPlan plan = keepOld ? Plans.keepThenMap(idx, addr, addr + span, moved)
                : Plans.unmapThenMap(idx, addr, addr + span, moved);
        if (idx.count() + plan.countDelta() > config.maxMapCount()) {
            return -Errno.ENOMEM;
        }
        final long r = commitMove(plan, addr, span, to, span, span, moved, keepOld);
        if (r < 0) {
            return r;
        }
        if (span == len) {
            return to;
        }
        return refusedTarget != null ? refusedOrUnmapped(refusedTarget, refusal) : refusal;
    }

    /**
     * => writer lock. A multi-area move's refusal at an area whose target is {@code target}: the
     * target's unmap is made for real, which either is refused (its errno, with the cut munmap keeps)
     * or unmaps it before the move's own refusal {@code refusal}.
     */
    private long refusedOrUnmapped(long[] target, long refusal) {
        final long r = unmapLocked(target[0], target[1]);
        return r < 0 ? r : refusal;
    }

    /**
     * Whether a fault with {@code access} in {@code a} needs the area's anonymous identity first
     * ({@code vmf_anon_prepare}) and it has none: a write in private memory (Linux's
     * {@code do_anonymous_page}, {@code do_cow_fault} and {@code wp_page_copy} prepare it). A read of
     * private anonymous memory maps the shared zero page and prepares nothing, see
     * {@link #zeroPageProt} — unless the space's kernel allocates a page there
     * ({@link SpaceConfig#zeroPage} false): then any fault in private anonymous memory prepares it,
     * and a read of a private file mapping still does not (docs/linux/anon-read.c).
     */
    protected boolean needsAnon(Area a, int access) {
        return a.anon() == null && (a.flags() & VmaFlags.SHARED) == 0
                && (access == dev.specfault.pmap.Prot.ACCESS_WRITE || !config.zeroPage() && a.backing() == null);
    }

    /**
     * The rights of the zeroed page of its own that a fault with {@code access} gives private
     * anonymous memory {@code a}: Linux maps the shared zero page for a read, read-only, and
     * allocates at the first write, which also sets up the area's anon_vma. Here a read gets a page
     * of its own; while the area has no anonymous identity it goes in read-only, so that the first
     * write still faults and sets the identity up (the layout depends on it: mprotect's VM_ACCOUNT,
     * merging). Otherwise it is writable if the area is.
     */
    protected static int zeroPageProt(Area a, int access) {
        return leafProt(a, access == dev.specfault.pmap.Prot.ACCESS_WRITE || a.anon() != null);
    }

    /**
     * {@code copy_vma}: the area {@code [start, end)} that {@code a}'s part from {@code from} becomes
     * when moved there. It keeps its offsets and anonymous identity, except that private anonymous
     * memory with no identity yet (nothing written) gets the offset of its new place, as a new
     * mapping would, and so merges there like one.
     */
    private static Area movedArea(Area a, long from, long start, long end) {
        final boolean fresh = (a.flags() & (VmaFlags.ANONYMOUS | VmaFlags.SHARED)) == VmaFlags.ANONYMOUS
                && a.anon() == null;
        return new Area(start, end, a.prot(), a.flags(), a.backing(), fresh ? start >>> 12 : a.pgoffAt(from), a.anon());
    }

    /**
     * {@code dup_mmap}'s copy of a parent's area {@code a}: without VM_LOCKED; with an anonymous
     * identity of its own, forked ({@code anon_vma_fork}), if the parent's area has one and is not
     * VM_WIPEONFORK (the child gets that one empty, with none).
     */
    protected static Area forkCopy(Area a) {
        final AnonVma anon = (a.flags() & VmaFlags.WIPEONFORK) != 0 ? null : AnonVma.forkedFrom(a.anon());
        return new Area(a.start(), a.end(), a.prot(), a.flags() & ~(VmaFlags.LOCKED | VmaFlags.LOCKONFAULT),
                a.backing(), a.pgoff(), anon);
    }

    /**
     * => writer lock. Moves [addr, addr + min(olen, nlen)) of {@code vma} to [to, to + nlen),
     * replacing whatever is mapped there (FIXED), and unmaps the rest of [addr, addr + olen).
     */
    private long move(AreaIndex idx, Area vma, long addr, long olen, long to, long nlen, boolean keepOld) {
        final long len = unsignedMin(olen, nlen);
        if (len > vma.end() - addr) {
            return -Errno.EFAULT;
        }
        final boolean special = FileObject.kindOf(vma) != FileObject.Kind.FILE;
        if (special && Long.compareUnsigned(nlen, olen) > 0) {
            return -Errno.EFAULT; // check_prep_vma: a special mapping cannot grow (VM_DONTEXPAND)
        }
        if (special && (addr > vma.start() || addr + len < vma.end())) {
            // A special mapping moves whole: a part is a split, which prep_move_vma refuses after
            // mremap_to unmapped the target and a shrink its tail (checked on 6.18; the tail's own
            // refusals were checked by the caller). A shrink whose tail lies past the mapping moves
            // it whole.
            long r = unmapLocked(to, to + nlen);
            if (r == 0 && Long.compareUnsigned(olen, nlen) > 0) {
                r = unmapLocked(addr + nlen, addr + olen);
            }
            return r < 0 ? r : -Errno.EINVAL;
        }
        final long targetRefusal = unmapRefused(idx, to, to + nlen);
        if (targetRefusal != 0) {
            return targetRefusal; // mremap_to's unmap of a FIXED target (a placed one is free)
        }
        if (idx.count() >= config.maxMapCount() - 3) {
            // move_vma: "we'd prefer to avoid failure later on in do_munmap, which may split one vma
            // into three". A FIXED move never gets here that high (its first check is lower).
            return -Errno.ENOMEM;
        }
        final Area moved = movedArea(vma, addr, to, to + nlen);
        // One plan: unmap the old range (DONTUNMAP: keep it, unlocked), map the new one (over the
        // target); published in one store.
        final LayoutPlan plan = keepOld ? Plans.keepThenMap(idx, addr, addr + olen, List.of(moved))
                : Plans.unmapThenMap(idx, addr, addr + olen, List.of(moved));
        assert idx.count() + plan.countDelta() <= config.maxMapCount() : "a move adds at most three areas";
        final long r = commitMove(plan, addr, olen, to, nlen, len, List.of(moved), keepOld);
        return r < 0 ? r : to;
    }

    // ------------------------------------------------------------------------------------------
    // madvise

    @Override
    public long madvise(long tagged, long len, int advice) {
        final boolean setsFlags = Mman.madviseSetsFlags(advice);
        final boolean walkOnly = advice == Mman.MADV_WILLNEED || advice == Mman.MADV_COLD || advice == Mman.MADV_PAGEOUT;
        final boolean populate = advice == Mman.MADV_POPULATE_READ || advice == Mman.MADV_POPULATE_WRITE;
        if (!Mman.madviseModelled(advice)) {
            return -Errno.EINVAL;
        }
        // is_valid_madvise checks the address as given; madvise_do_behavior untags it afterwards
        if ((tagged & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        final long rlen = Mman.pageAlign(len);
        if (len != 0 && rlen == 0) {
            return -Errno.EINVAL;
        }
        if (Long.compareUnsigned(tagged + rlen, tagged) < 0) {
            return -Errno.EINVAL;
        }
        if (rlen == 0) {
            return 0;
        }
        final long addr = untagged(tagged);
        final long end = addr + rlen;
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        if (populate) {
            return populateRange(addr, end, advice == Mman.MADV_POPULATE_WRITE);
        }
        if (walkOnly) {
            final List<long[]> reclaim = new ArrayList<>();
            long r;
            writeLock();
            try {
                r = walkOnlyLocked(addr, end, advice, reclaim);
            } finally {
                writeUnlock();
            }
            for (long[] range : reclaim) {
                reclaimLazyFree(range[0], range[1]);
            }
            return r;
        }
        writeLock();
        try {
            if (setsFlags) {
                return adviseFlagsLocked(addr, end, advice);
            }
            final List<Area> hit = new ArrayList<>();
            index().forEachOverlapping(addr, end, hit::add);
            long covered = addr;
            boolean hole = false;
            for (Area a : hit) {
                if (a.start() > covered) {
                    hole = true;
                }
                if (sealedAgainstDiscard(a)) {
                    return -Errno.EPERM; // madvise_vma_behavior's first check (6.18)
                }
                if ((a.flags() & VmaFlags.LOCKED) != 0 && advice != Mman.MADV_DONTNEED_LOCKED
                        || FileObject.kindOf(a) == FileObject.Kind.PFN) {
                    return -Errno.EINVAL; // madvise_dontneed_free_valid_vma: not on VM_LOCKED or VM_PFNMAP memory
                }
                if (advice == Mman.MADV_FREE) {
                    // madvise_free_single_vma: only anonymous private memory ("vma_is_anonymous":
                    // a shared anonymous area is shmem); the walk stops at the first error.
                    if ((a.flags() & VmaFlags.SHARED) != 0 || a.backing() != null) {
                        return -Errno.EINVAL;
                    }
                    lazyFree(a, Math.max(addr, a.start()), Math.min(end, a.end()));
                } else {
                    discard(a, Math.max(addr, a.start()), Math.min(end, a.end()));
                }
                covered = a.end();
            }
            if (covered < end) {
                hole = true;
            }
            return hole ? -Errno.ENOMEM : 0;
        } finally {
            writeUnlock();
        }
    }

    /**
     * => writer lock (Linux takes the mmap lock for reading). madvise_walk_vmas for WILLNEED, COLD and
     * PAGEOUT, which change nothing here but what PAGEOUT reclaims: a hole is skipped and gives
     * ENOMEM at the end; COLD and PAGEOUT refuse locked and VM_PFNMAP memory (can_madv_lru_vma),
     * after the areas before. PAGEOUT's private anonymous ranges go to {@code reclaim}, for the
     * caller to reclaim after the lock (Linux's reclaim discards the lazy-free pages still clean;
     * the others would go to swap, which keeps their contents: here they stay).
     */
    private long walkOnlyLocked(long start, long end, int advice, List<long[]> reclaim) {
        return walkAreas(start, end, (idx, a, s, e) -> {
            if (advice != Mman.MADV_WILLNEED
                    && ((a.flags() & VmaFlags.LOCKED) != 0 || FileObject.kindOf(a) == FileObject.Kind.PFN)) {
                return -Errno.EINVAL;
            }
            if (advice == Mman.MADV_PAGEOUT && lazyFreeable(a)) {
                reclaim.add(new long[] {s, e});
            }
            return 0;
        });
    }

    /** One area's part of a madvise walk: 0, or an error that stops the walk. */
    @FunctionalInterface
    private interface AreaStep {
        long apply(AreaIndex idx, Area a, long start, long end);
    }

    /**
     * => writer lock. Linux madvise_walk_vmas: {@code step} on each area's part of [start, end), in
     * order; a hole is skipped and makes the result ENOMEM at the end (so does a range with no area
     * at all); a step's error stops the walk, the areas before keeping what it did.
     */
    private long walkAreas(long start, long end, AreaStep step) {
        final AreaIndex idx = index();
        long at = start;
        long unmapped = 0;
        while (at < end) {
            final Area a = idx.find(at);
            if (a == null) {
                return -Errno.ENOMEM;
            }
            if (at < a.start()) {
                unmapped = -Errno.ENOMEM;
                at = a.start();
                if (at >= end) {
                    break;
                }
            }
            final long e = Math.min(a.end(), end);
            final long r = step.apply(idx, a, at, e);
            if (r != 0) {
                return r;
            }
            at = e;
        }
        return unmapped;
    }

    /**
     * MADV_POPULATE_READ/WRITE (madvise_populate → faultin_page_range, GUP with
     * FOLL_MADV_POPULATE): faults [start, end) in page by page through the fault path, with no
     * writer lock held, as MAP_POPULATE. Unlike the walk it stops at a hole (ENOMEM, no area at the
     * address); an area without the right (PROT_NONE for a read, no PROT_WRITE for a write) or
     * VM_IO/VM_PFNMAP ([vvar]) is EINVAL; a fault that ends in SIGBUS (a page past a file's end) is
     * EFAULT; running out of frames is ENOMEM. The pages before the error stay populated.
     */
    private long populateRange(long start, long end, boolean write) {
        long at = start;
        int lookups = 0;
        while (at < end) {
            final Area a = areaNow(at);
            if (a == null) {
                return -Errno.ENOMEM;
            }
            if (FileObject.kindOf(a) == FileObject.Kind.PFN
                    || (a.prot() & (write ? Mman.PROT_WRITE : Mman.PROT_READ)) == 0) {
                return -Errno.EINVAL; // check_vma_flags under FOLL_MADV_POPULATE
            }
            final long e = Math.min(a.end(), end);
            for (; at < e; at += PAGE_SIZE) {
                final int r = faultIn(at, write);
                if (r == AccessResult.SIGBUS) {
                    return -Errno.EFAULT;
                }
                if (r == AccessResult.OOM) {
                    return -Errno.ENOMEM;
                }
                if (r == AccessResult.SIGSEGV || r == AccessResult.KILLED) {
                    // The layout changed under the fault (GUP looks the area up again): a second
                    // time at the same page, or a killed space, is VM_FAULT_SIGSEGV: EFAULT.
                    if (++lookups > 1 || r == AccessResult.KILLED || isExited()) {
                        return -Errno.EFAULT;
                    }
                    break;
                }
                lookups = 0;
            }
        }
        return 0;
    }

    /**
     * => writer lock. Linux madvise_walk_vmas with a behaviour that changes {@code vm_flags}: area
     * by area over [start, end); a hole is skipped and makes the result ENOMEM at the end; an
     * area's error stops the walk, the areas before it keeping their change.
     */
    private long adviseFlagsLocked(long start, long end, int advice) {
        return walkAreas(start, end, (idx, a, s, e) -> adviseFlags(idx, a, s, e, advice));
    }

    /**
     * => writer lock; [start, end) lies inside {@code a}. Linux madvise_vma_behavior for one area:
     * the new flags, the advice's own refusals, then madvise_update_vma (nothing if the flags do not
     * change; else merge or split, as vma_modify_flags). A split refused at the map-count limit is
     * ENOMEM there, which madvise reports as EAGAIN; a special mapping refuses a split (EINVAL).
     */
    private long adviseFlags(AreaIndex idx, Area a, long start, long end, int advice) {
        final int f = a.flags();
        final FileObject.Kind kind = FileObject.kindOf(a);
        // VM_SPECIAL: [vdso] is VM_DONTEXPAND, [vvar] VM_IO|VM_PFNMAP; a file's vm_file is set.
        final boolean special = kind != FileObject.Kind.FILE;
        final boolean fileOrShared = !special && a.backing() != null || (f & VmaFlags.SHARED) != 0;
        if ((advice == Mman.MADV_DONTFORK || advice == Mman.MADV_WIPEONFORK) && sealedAgainstDiscard(a)) {
            return -Errno.EPERM; // can_madvise_modify, before the advice's own checks
        }
        final int nf;
        switch (advice) {
            case Mman.MADV_NORMAL:
                nf = f & ~(VmaFlags.RAND_READ | VmaFlags.SEQ_READ);
                break;
            case Mman.MADV_SEQUENTIAL:
                nf = f & ~VmaFlags.RAND_READ | VmaFlags.SEQ_READ;
                break;
            case Mman.MADV_RANDOM:
                nf = f & ~VmaFlags.SEQ_READ | VmaFlags.RAND_READ;
                break;
            case Mman.MADV_DONTFORK:
                nf = f | VmaFlags.DONTCOPY;
                break;
            case Mman.MADV_DOFORK:
                if (kind == FileObject.Kind.PFN) {
                    return -Errno.EINVAL; // VM_IO
                }
                nf = f & ~VmaFlags.DONTCOPY;
                break;
            case Mman.MADV_WIPEONFORK:
                if (fileOrShared) {
                    return -Errno.EINVAL; // "only supported on anonymous memory": vm_file or VM_SHARED
                }
                nf = f | VmaFlags.WIPEONFORK;
                break;
            case Mman.MADV_KEEPONFORK:
                if ((f & VmaFlags.DROPPABLE) != 0) {
                    return -Errno.EINVAL;
                }
                nf = f & ~VmaFlags.WIPEONFORK;
                break;
            case Mman.MADV_DONTDUMP:
                nf = f | VmaFlags.DONTDUMP;
                break;
            case Mman.MADV_DODUMP:
                if (special || (f & VmaFlags.DROPPABLE) != 0) {
                    return -Errno.EINVAL;
                }
                nf = f & ~VmaFlags.DONTDUMP;
                break;
            case Mman.MADV_MERGEABLE:
                // ksm_madvise: an area KSM cannot work on (vma_ksm_compatible: shared, special,
                // droppable) is left as it is, and the call succeeds.
                nf = special || (f & (VmaFlags.SHARED | VmaFlags.DROPPABLE)) != 0 ? f : f | VmaFlags.MERGEABLE;
                break;
            case Mman.MADV_UNMERGEABLE:
                nf = f & ~VmaFlags.MERGEABLE;
                break;
            case Mman.MADV_HUGEPAGE:
                nf = f & ~VmaFlags.NOHUGEPAGE | VmaFlags.HUGEPAGE;
                break;
            case Mman.MADV_NOHUGEPAGE:
                nf = f & ~VmaFlags.HUGEPAGE | VmaFlags.NOHUGEPAGE;
                break;
            default:
                throw new IllegalArgumentException("advice " + advice);
        }
        return setFlags(idx, a, start, end, nf, -Errno.EAGAIN);
    }

    /**
     * => writer lock; [start, end) lies inside {@code a}. vma_modify_flags: nothing if the flags do
     * not change; else merge or split. A split is refused at the map-count limit with
     * {@code limitErrno} (madvise turns split_vma's ENOMEM into EAGAIN; mseal does not), the first
     * cut kept; a special mapping refuses any split (EINVAL).
     */
    private long setFlags(AreaIndex idx, Area a, long start, long end, int nf, long limitErrno) {
        if (nf == a.flags()) {
            return 0;
        }
        final LayoutPlan plan = LayoutPlanner.setFlags(idx, a, start, end, nf);
        if (plan.countDelta() > 0) {
            // vma_modify: no merge, so split_vma at start, then at end ("map_count >= max" first,
            // then the special mapping's may_split).
            if (FileObject.kindOf(a) != FileObject.Kind.FILE) {
                return idx.count() >= config.maxMapCount() ? limitErrno : -Errno.EINVAL;
            }
            if (splitRefused(idx, a, start, end)) {
                keepFirstSplit(idx, a, start);
                return limitErrno;
            }
        }
        commit(plan, Change.FLAGS, start, end, 0);
        return 0;
    }

    // ------------------------------------------------------------------------------------------
    // msync and mincore

    @Override
    public long msync(long tagged, long len, int flags) {
        // SYSCALL_DEFINE3(msync): untagged first, then flags, alignment, ASYNC with SYNC.
        final long addr = untagged(tagged);
        if ((flags & ~(Mman.MS_ASYNC | Mman.MS_INVALIDATE | Mman.MS_SYNC)) != 0 || (addr & ~PAGE_MASK) != 0
                || (flags & Mman.MS_ASYNC) != 0 && (flags & Mman.MS_SYNC) != 0) {
            return -Errno.EINVAL;
        }
        final long end = addr + ((len + PAGE_SIZE - 1) & PAGE_MASK); // len + ~PAGE_MASK wraps as in C
        if (Long.compareUnsigned(end, addr) < 0) {
            return -Errno.ENOMEM;
        }
        if (end == addr) {
            return 0;
        }
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        writeLock(); // Linux takes mmap_lock for reading; the writer lock is this API's walk of the index
        try {
            final AreaIndex idx = index();
            long start = addr;
            long unmapped = 0;
            for (Area a = idx.find(start); ; a = idx.next(a)) {
                if (a == null) {
                    return -Errno.ENOMEM;
                }
                if (Long.compareUnsigned(start, a.start()) < 0) {
                    if (flags == Mman.MS_ASYNC) {
                        return -Errno.ENOMEM; // the result is ENOMEM anyway and there is nothing to do
                    }
                    start = a.start();
                    if (Long.compareUnsigned(start, end) >= 0) {
                        return -Errno.ENOMEM;
                    }
                    unmapped = -Errno.ENOMEM;
                }
                if ((flags & Mman.MS_INVALIDATE) != 0 && (a.flags() & VmaFlags.LOCKED) != 0) {
                    return -Errno.EBUSY;
                }
                // MS_SYNC of a shared file mapping: vfs_fsync_range, nothing to write back here.
                start = a.end();
                if (Long.compareUnsigned(start, end) >= 0) {
                    return unmapped;
                }
            }
        } finally {
            writeUnlock();
        }
    }

    @Override
    public long mincore(long tagged, long len, byte[] vec) {
        final long addr = untagged(tagged);
        if ((addr & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        // access_ok(start, len): the range must not wrap and must end within user space
        final long top = addr + len;
        if (Long.compareUnsigned(top, addr) < 0 || Long.compareUnsigned(top, config.taskSize()) > 0) {
            return -Errno.ENOMEM;
        }
        long pages = (len >>> 12) + ((len & ~PAGE_MASK) != 0 ? 1 : 0);
        if (pages == 0) {
            return 0;
        }
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        writeLock();
        try {
            final AreaIndex idx = index();
            final dev.specfault.pmap.Pmap p = pmap();
            long va = addr;
            long n = 0;
            while (pages > 0) {
                // do_mincore: the area at va (vma_lookup), up to its end (at most 4096 pages at a
                // time, which changes no result); then copy_to_user of those bytes
                final Area a = idx.find(va);
                if (a == null || a.start() > va) {
                    return -Errno.ENOMEM;
                }
                final long end = Math.min(a.end(), va + pages * PAGE_SIZE);
                final long count = (end - va) >>> 12;
                if (vec == null || n + count > vec.length) {
                    return -Errno.EFAULT; // the copy reaches a byte the caller cannot be written to
                }
                for (; va < end; va += PAGE_SIZE, n++, pages--) {
                    vec[(int) n] = (byte) (resident(p, a, va) ? 1 : 0);
                }
            }
            return 0;
        } finally {
            writeUnlock();
        }
    }

    /** => the writer lock. mincore's answer for the page at {@code va} of {@code a}. */
    private boolean resident(dev.specfault.pmap.Pmap p, Area a, long va) {
        final FileObject.Kind kind = FileObject.kindOf(a);
        if (kind != FileObject.Kind.FILE) {
            return true; // no vm_file ([vdso], [vvar]): can_do_mincore is false, every page reported in
        }
        final long t = p.leafTable(va);
        if (t >= 0 && p.format().mapsFrame(p.pte(t, dev.specfault.pmap.Arch.index(va, 1)))) {
            return true;
        }
        final int own = privatePage(a, va);
        if (own >= 0) {
            return own == 1; // a private page of the design's: in memory, or paged out (a swap entry's)
        }
        // pte_none: a file's page, or shared anonymous memory's (shmem), when its cache has it
        return a.backing() instanceof FileObject f && f.cachedFrame(a.pgoffAt(va)) >= 0;
    }

    /**
     * => the writer lock. The private page at {@code va} of {@code a} (anonymous, or a private copy
     * of a file's page) that the design holds with no PTE mapping it, for mincore: 1 in memory, 0
     * paged out (Linux's swap entry: mincore looks at the swap cache, never the file), -1 none.
     * Never in Linux's design, where such a page always has its PTE (and no swap is modelled).
     */
    protected int privatePage(Area a, long va) {
        return -1;
    }

    // ------------------------------------------------------------------------------------------
    // mseal

    @Override
    public long mseal(long tagged, long len, long flags) {
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        final long addr = untagged(tagged); // do_mseal untags first, then checks the alignment
        if ((addr & ~PAGE_MASK) != 0) {
            return -Errno.EINVAL;
        }
        final long rlen = Mman.pageAlign(len);
        if (len != 0 && rlen == 0) {
            return -Errno.EINVAL; // "len was rounded up from small -ve to zero"
        }
        final long end = addr + rlen;
        if (Long.compareUnsigned(end, addr) < 0) {
            return -Errno.EINVAL;
        }
        if (rlen == 0) {
            return 0;
        }
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        writeLock();
        try {
            final AreaIndex idx = index();
            // range_contains_unmapped: a hole anywhere (past TASK_SIZE too) and nothing is sealed
            long at = addr;
            for (Area a = idx.find(addr); a != null && a.start() <= at && at < end; a = idx.next(a)) {
                at = a.end();
            }
            if (Long.compareUnsigned(at, end) < 0) {
                return -Errno.ENOMEM;
            }
            // mseal_apply: area by area, as vma_modify_flags (merging with sealed neighbours)
            return walkAreas(addr, end, (i, a, s, e) -> sealed(a) ? 0 : setFlags(i, a, s, e, a.flags() | VmaFlags.SEALED, -Errno.ENOMEM));
        } finally {
            writeUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // mlock, munlock, mlock2, mlockall, munlockall

    @Override
    public long mlock(long addr, long len, int flags) {
        if ((flags & ~Mman.MLOCK_ONFAULT) != 0) {
            return -Errno.EINVAL; // mlock2
        }
        return doMlock(untagged(addr), len, VmaFlags.LOCKED | ((flags & Mman.MLOCK_ONFAULT) != 0 ? VmaFlags.LOCKONFAULT : 0));
    }

    @Override
    public long munlock(long addr, long len) {
        return doMlock(untagged(addr), len, 0);
    }

    /**
     * Linux do_mlock / munlock: the start is rounded down to its page and the length up
     * ({@code PAGE_ALIGN(len + offset_in_page(start))}); then apply_vma_lock_flags under the writer
     * lock, and for mlock __mm_populate after it, whose EFAULT (a PROT_NONE area, a page past a
     * file's end) is ENOMEM and ENOMEM (no frame) EAGAIN (__mlock_posix_error_return).
     */
    private long doMlock(long addr, long len, int lockFlags) {
        final long start = addr & PAGE_MASK;
        final long rlen = Mman.pageAlign(len + (addr & ~PAGE_MASK));
        final long end = start + rlen;
        if (Long.compareUnsigned(end, start) < 0) {
            return -Errno.EINVAL;
        }
        if (end == start) {
            return 0;
        }
        if (isExited()) {
            return -Errno.ENOMEM;
        }
        writeLock();
        try {
            final long r = applyLockFlags(start, end, lockFlags);
            if (r != 0) {
                return r;
            }
        } finally {
            writeUnlock();
        }
        if (lockFlags == 0) {
            return 0;
        }
        final long p = populateLocked(start, end, false);
        return p == -Errno.EFAULT ? -Errno.ENOMEM : p == -Errno.ENOMEM ? -Errno.EAGAIN : p;
    }

    /**
     * => writer lock. apply_vma_lock_flags: the range must start inside an area and run through
     * areas without a hole (ENOMEM, the areas before it changed); each area's lock bits become
     * {@code lockFlags} (mlock_fixup: not on special mappings or MAP_DROPPABLE memory, which stay as
     * they are), splitting and merging as madvise does; a cut refused at the map-count limit is
     * ENOMEM (the first cut kept).
     */
    private long applyLockFlags(long start, long end, int lockFlags) {
        final AreaIndex idx = index();
        Area a = idx.find(start);
        if (a == null || a.start() > start) {
            return -Errno.ENOMEM;
        }
        long at = start;
        while (a != null && a.start() < end) {
            if (a.start() > at) {
                return -Errno.ENOMEM; // a hole
            }
            final long e = Math.min(a.end(), end);
            final int f = a.flags();
            final int nf = f & ~(VmaFlags.LOCKED | VmaFlags.LOCKONFAULT) | lockFlags;
            if (nf != f && FileObject.kindOf(a) == FileObject.Kind.FILE && (f & VmaFlags.DROPPABLE) == 0) {
                final LayoutPlan plan = LayoutPlanner.setFlags(idx, a, at, e, nf);
                if (plan.countDelta() > 0 && splitRefused(idx, a, at, e)) {
                    keepFirstSplit(idx, a, at);
                    return -Errno.ENOMEM;
                }
                commit(plan, Change.FLAGS, at, e, 0);
            }
            at = e;
            a = at < end ? idx.find(at) : null;
        }
        return at < end ? -Errno.ENOMEM : 0;
    }

    /**
     * __mm_populate for mlock (ignoreErrors false) and mlockall (true): the pages of every area in
     * [start, end) faulted in, no writer lock held, as populate_vma_page_range does: written for a
     * private writable area (COW broken), read otherwise; VM_PFNMAP areas and LOCKONFAULT ones
     * skipped; a PROT_NONE area is EFAULT, as is a page past a file's end (SIGBUS); no frame left is
     * ENOMEM.
     *
     * @return 0 or the first error (with ignoreErrors, always 0)
     */
    private long populateLocked(long start, long end, boolean ignoreErrors) {
        final List<Area> areas = new ArrayList<>();
        writeLock();
        try {
            index().forEachOverlapping(start, end, areas::add);
        } finally {
            writeUnlock();
        }
        for (Area a : areas) {
            if (FileObject.kindOf(a) == FileObject.Kind.PFN || (a.flags() & VmaFlags.LOCKONFAULT) != 0) {
                continue;
            }
            long r = 0;
            if ((a.prot() & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) == 0) {
                r = -Errno.EFAULT; // "we've never faulted in PROT_NONE pages"
            } else {
                final boolean write = (a.prot() & Mman.PROT_WRITE) != 0 && (a.flags() & VmaFlags.SHARED) == 0;
                final long e = Math.min(a.end(), end);
                for (long va = Math.max(start, a.start()); va < e && r == 0; va += PAGE_SIZE) {
                    final int f = faultIn(va, write);
                    if (f == AccessResult.OOM) {
                        r = -Errno.ENOMEM;
                    } else if (f == AccessResult.SIGSEGV && !stillThere(va)) {
                        break; // unmapped meanwhile (Linux, holding the mmap lock, would not have seen it)
                    } else if (f != dev.specfault.pmap.FaultHandler.RETRY) {
                        r = -Errno.EFAULT; // SIGBUS: a page past a file's end
                    }
                }
            }
            if (r != 0 && !ignoreErrors) {
                return r;
            }
        }
        return 0;
    }

    /** Whether an accessible area still holds {@code va}. */
    private boolean stillThere(long va) {
        final int token = layoutReadLock();
        try {
            final Area a = areaAt(va);
            return a != null && (a.prot() & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0;
        } finally {
            layoutReadUnlock(token);
        }
    }

    @Override
    public long mlockall(int flags) {
        final int known = Mman.MCL_CURRENT | Mman.MCL_FUTURE | Mman.MCL_ONFAULT;
        if (flags == 0 || (flags & ~known) != 0 || flags == Mman.MCL_ONFAULT) {
            return -Errno.EINVAL;
        }
        return applyMlockall(flags);
    }

    @Override
    public long munlockall() {
        return applyMlockall(0);
    }

    /**
     * apply_mlockall_flags: MCL_FUTURE sets mm->def_flags (LOCKED, LOCKONFAULT with MCL_ONFAULT) for
     * every later mapping and heap growth; MCL_CURRENT locks every area now (errors ignored, a
     * refused cut included) and faults everything in after the lock (mm_populate, errors ignored);
     * 0 (munlockall) clears both.
     */
    private long applyMlockall(int flags) {
        if (isExited()) {
            return 0;
        }
        final int onfault = (flags & Mman.MCL_ONFAULT) != 0 ? VmaFlags.LOCKONFAULT : 0;
        writeLock();
        try {
            defFlags = (flags & Mman.MCL_FUTURE) != 0 ? VmaFlags.LOCKED | onfault : 0;
            if ((flags & Mman.MCL_FUTURE) == 0 || (flags & Mman.MCL_CURRENT) != 0) {
                final int add = (flags & Mman.MCL_CURRENT) != 0 ? VmaFlags.LOCKED | onfault : 0;
                // Every area whole (errors ignored); a merge may join the next one, which then
                // has the flags already.
                for (Area a = index().find(0); a != null; ) {
                    final long next = a.end();
                    applyLockFlags(a.start(), a.end(), add);
                    a = index().find(next);
                }
            }
        } finally {
            writeUnlock();
        }
        if ((flags & Mman.MCL_CURRENT) != 0) {
            populateLocked(0, config.taskSize(), true);
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------
    // Stack growth (both designs: under the writer lock)

    /**
     * => writer lock. Linux expand_downwards: grows the GROWSDOWN area {@code vma} down to the page of
     * {@code va} within RLIMIT_STACK, above mmap_min_addr, keeping the guard gap to the previous
     * accessible area.
     *
     * @return whether it grew
     */
    protected boolean growLocked(Area vma, long va) {
        final long newStart = va & PAGE_MASK;
        if ((vma.flags() & VmaFlags.GROWSDOWN) == 0 || newStart >= vma.start()) {
            return newStart >= vma.start();
        }
        if (newStart < config.mmapMinAddr()) {
            return false;
        }
        final AreaIndex idx = index();
        final Area prev = idx.prev(vma);
        if (prev != null) {
            if (prev.end() > newStart) {
                return false;
            }
            final boolean accessible = (prev.prot() & (Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC)) != 0;
            if ((prev.flags() & VmaFlags.GROWSDOWN) == 0 && accessible
                    && newStart - prev.end() < config.stackGuardGap()) {
                return false;
            }
        }
        // expand_downwards prepares the anon_vma here, after the guard gap and before the pgoff and
        // RLIMIT_STACK checks (so a growth they refuse still leaves the area one), while the area
        // is still where it was (a stack grown down to another area's end does not take its).
        final AnonVma anon = vma.anon() != null || (vma.flags() & VmaFlags.SHARED) != 0 ? vma.anon()
                : LayoutPlanner.anonVmaFor(idx, vma);
        if ((vma.start() - newStart) >>> dev.specfault.pmap.phys.PhysicalMemory.PAGE_SHIFT > vma.pgoff()
                || vma.end() - newStart > config.rlimitStack()) {
            // "grow <= vma->vm_pgoff" (a moved stack keeps its pgoff); acct_stack_growth's rlimit.
            if (anon != vma.anon()) {
                commit(new LayoutPlan(List.of(vma), List.of(vma.withAnon(anon)), false), Change.NONE, vma.start(),
                        vma.start(), 0);
            }
            return false;
        }
        // No new area, so no map-count check; and no merge (expand_downwards only moves vm_start).
        final LayoutPlan grown = LayoutPlanner.extend(idx, vma, newStart, vma.end());
        final LayoutPlan plan = anon == vma.anon() ? grown
                : new LayoutPlan(grown.removed(), List.of(grown.added().get(0).withAnon(anon)), false);
        commit(plan, Change.NONE, newStart, vma.start(), 0);
        stats.fault(SpaceStats.Fault.GROWTH);
        return true;
    }

    /** => writer lock. Maps the initial stack, as execve leaves it. */
    protected void mapInitialStack() {
        final long top = config.stackTop();
        final long start = top - SpaceConfig.INITIAL_STACK;
        // VM_STACK_FLAGS include VM_ACCOUNT; execve wrote the arguments there, so it has an anon_vma.
        final Area a = new Area(start, top, Mman.PROT_READ | Mman.PROT_WRITE,
                VmaFlags.ANONYMOUS | VmaFlags.GROWSDOWN | VmaFlags.ACCOUNT, null, start >>> 12, AnonVma.fresh());
        commit(LayoutPlanner.map(index(), a), Change.NONE, start, top, 0);
    }

    @Override
    public String toString() {
        return design().cliName() + " space " + name;
    }
}
