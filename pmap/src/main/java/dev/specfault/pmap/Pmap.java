package dev.specfault.pmap;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.srcu.SrcuDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One address space's side of the machine (Linux's {@code mm} page tables and TLB context, BSD's
 * {@code pmap}): the table tree rooted in a frame, the state TLB coherence keeps for it, and the
 * kernel-side operations on its entries.
 *
 * <h2>Who may do what</h2>
 * <ul>
 *   <li>Software walks ({@link #leafTable}) run under an SRCU read section of {@link #domain()} or
 *   under the space's mmap lock: a table page is freed only after a grace period.</li>
 *   <li>Table pages are allocated ({@link #leafTableAlloc}) only under the mmap lock (any mode) and
 *   installed by CAS on the parent entry, so two faults that race for the same table both end up
 *   using one of them; they are unlinked and freed ({@link #freeTables}) only under the mmap lock
 *   held for writing.</li>
 *   <li>A leaf entry changes only under its table's PTL (the speculative design) or the pmap lock
 *   (the locked design, {@link #pmapLock()}), with CAS or get-and-set whenever the entry is present,
 *   because the hardware sets A/D (AF, DBM-dirty) concurrently without any lock.</li>
 * </ul>
 *
 * <h2>Freeing a table page</h2>
 * <pre>
 *   lock its PTL ─▶ clear the parent entry (get-and-set) ─▶ DETACHED ─▶ unlock
 *     ─▶ flush the range (freedTables: waits out in-flight hardware walks, lazy CPUs included)
 *     ─▶ call_srcu (software walkers) ─▶ FREE, frame back to the allocator
 * </pre>
 *
 * <h2>Teardown (exit), in the order of the uvm_purge thread</h2>
 * <pre>
 *   stop (accesses return KILLED; in-flight ones end) ─▶ detach every CPU whose root register still
 *   points here, lazy ones included ─▶ flush the PCID/ASID everywhere and release it clean ─▶ zap
 *   every leaf ─▶ free the tables through SRCU
 * </pre>
 * Flushing before the detach (seeded bug {@code flush-before-detach}) lets a lazy CPU refill an
 * entry in between; the released tag's next owner then hits it.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [a] atomic
 *   [m] the owner's mmap lock (or vm_map lock) held for writing
 *   [p] PTL of the table holding the entry / or the pmap lock
 * </pre>
 */
public final class Pmap {
    public static final int LIVE = 0;
    public static final int STOPPED = 1;
    public static final int DEAD = 2;

    private final Machine machine;                 // [I]
    private final PhysicalMemory mem;              // [I]
    private final FrameAllocator frames;           // [I]
    private final PteFormat fmt;                   // [I]
    private final Arch arch;                       // [I]
    private final SrcuDomain domain;               // [I]
    private final long root;                       // [I]
    private final String name;                     // [I]
    private final boolean kernel;                  // [I] the machine's kernel-only space
    private final AtomicLongArray cpumask;         // [a] CPUs that have this space loaded (lazily too)
    private final ReentrantLock pmapLock = new ReentrantLock(); // [I] OpenBSD's per-pmap lock
    private volatile FaultHandler handler;         // [a] set once by the address space
    private volatile int lifecycle = LIVE;         // [a]

    /** x86: Linux mm->context.tlb_gen. [a] */
    final AtomicLong tlbGen = new AtomicLong();
    /** x86: the range of the flush that made tlbGen what it is (partial catch-up). [a] */
    volatile FlushInfo lastFlush;
    /** arm64: Linux mm->context.id (generation | ASID), 0 before the first switch. [a] */
    volatile long asidContext;

    private final LongAdder flushes = new LongAdder();        // [a]
    private final LongAdder ipis = new LongAdder();           // [a]
    private final LongAdder pagesFlushed = new LongAdder();   // [a]
    private final LongAdder tablesAllocated = new LongAdder(); // [a]
    private final LongAdder tablesFreed = new LongAdder();    // [a]

    /** One flush's generation and range. [I] */
    static final class FlushInfo {
        final long gen;
        final long start;
        final long end;

        FlushInfo(long gen, long start, long end) {
            this.gen = gen;
            this.start = start;
            this.end = end;
        }
    }

    /** Receives leaf entries (zap, teardown, checkers). */
    @FunctionalInterface
    public interface LeafVisitor {
        /** @param old the entry as it was (for a zap: the value get-and-clear returned, dirty bit included) */
        void visit(long va, long old);
    }

    /** Rewrites a present leaf (mprotect, fork's write-protect); returns the new entry. */
    @FunctionalInterface
    public interface LeafRewriter {
        long rewrite(long va, long old);
    }

    Pmap(Machine machine, SrcuDomain domain, long root, String name, boolean kernel) {
        this.machine = machine;
        this.mem = machine.memory();
        this.frames = machine.frames();
        this.fmt = machine.format();
        this.arch = machine.arch();
        this.domain = domain;
        this.root = root;
        this.name = name;
        this.kernel = kernel;
        this.cpumask = new AtomicLongArray((machine.cpuCount() + 63) / 64);
    }

    public Machine machine() {
        return machine;
    }

    public PteFormat format() {
        return fmt;
    }

    /** The SRCU domain that protects software walkers of this space's tables. */
    public SrcuDomain domain() {
        return domain;
    }

    /** The root table's frame. */
    public long root() {
        return root;
    }

    public String name() {
        return name;
    }

    public boolean isKernel() {
        return kernel;
    }

    /** OpenBSD's pmap lock: the locked design changes leaves under it instead of PTLs. */
    public ReentrantLock pmapLock() {
        return pmapLock;
    }

    public FaultHandler handler() {
        return handler;
    }

    /** Connects the address space's fault handler; once. */
    public void setHandler(FaultHandler h) {
        if (handler != null) {
            throw new IllegalStateException("fault handler already set for " + name);
        }
        handler = h;
    }

    public boolean isStopped() {
        return lifecycle != LIVE;
    }

    public boolean isDead() {
        return lifecycle == DEAD;
    }

    // ------------------------------------------------------------------------------------------
    // cpumask

    void cpumaskSet(int cpu) {
        cpumask.getAndAccumulate(cpu >>> 6, 1L << (cpu & 63), (a, b) -> a | b);
    }

    void cpumaskClear(int cpu) {
        cpumask.getAndAccumulate(cpu >>> 6, ~(1L << (cpu & 63)), (a, b) -> a & b);
    }

    boolean cpumaskTest(int cpu) {
        return (cpumask.get(cpu >>> 6) & (1L << (cpu & 63))) != 0;
    }

    // ------------------------------------------------------------------------------------------
    // Software walks and table allocation

    /** A table page's metadata. */
    public TablePage tablePage(long frame) {
        return machine.tablePage(frame);
    }

    /**
     * => an SRCU read section of {@link #domain()}, or the mmap lock. The leaf table of {@code va}:
     * its frame, or {@code -level} of the first table level that is missing. Never allocates (the
     * speculative fault falls back when a level is missing).
     */
    public long leafTable(long va) {
        long table = root;
        for (int level = arch.levels(); level > 1; level--) {
            final long e = mem.getOpaque(table, Arch.index(va, level));
            if (!fmt.isTable(e, level)) {
                return -level;
            }
            table = fmt.frame(e);
        }
        return table;
    }

    /**
     * => the mmap lock (any mode). The leaf table of {@code va}, allocating missing levels (zeroed,
     * installed by CAS on the parent entry: a loser frees its page); or {@link FrameAllocator#OOM}.
     */
    public long leafTableAlloc(long va, FrameCache cache) {
        long table = root;
        for (int level = arch.levels(); level > 1; level--) {
            final int idx = Arch.index(va, level);
            long e = mem.getOpaque(table, idx);
            while (!fmt.isTable(e, level)) {
                if (fmt.present(e)) {
                    throw new IllegalStateException("huge leaf at level " + level + " for 0x" + Long.toHexString(va));
                }
                final long nf = frames.alloc(cache, FrameAllocator.TABLE, true);
                if (nf == FrameAllocator.OOM) {
                    return FrameAllocator.OOM;
                }
                final TablePage tp = machine.tablePageForNewTable(nf);
                tp.init(level - 1, table, idx);
                // The CAS (a full fence) publishes the zeroed frame and its metadata with the entry.
                if (mem.cas(table, idx, e, fmt.table(nf))) {
                    tablesAllocated.increment();
                } else {
                    tp.setDetached();
                    tp.setFree();
                    frames.put(nf, cache);
                }
                e = mem.getOpaque(table, idx);
            }
            table = fmt.frame(e);
        }
        return table;
    }

    // ------------------------------------------------------------------------------------------
    // Entries

    /**
     * Whether the calling thread may change the leaves of {@code table}: it holds the table's PTL or
     * the space's pmap lock (for assertions; tests run with -ea).
     */
    private boolean leafLockHeld(long table) {
        if (pmapLock.isHeldByCurrentThread()) {
            return true;
        }
        final TablePage tp = machine.tablePage(table);
        return tp != null && tp.isLockedByCurrentThread();
    }

    /** Reads an entry once (opaque). */
    public long pte(long table, int idx) {
        return mem.getOpaque(table, idx);
    }

    /** => PTL or pmap lock. CAS on an entry (the hardware may have set A/D meanwhile). */
    public boolean pteCas(long table, int idx, long expect, long update) {
        assert leafLockHeld(table) : "pteCas without the PTL or the pmap lock";
        return mem.cas(table, idx, expect, update);
    }

    /**
     * => PTL (or pmap lock) held; the entry maps nothing. Installs a leaf with a release store (the
     * frame's contents are visible to whoever walks to it) and counts the mapping.
     */
    public void install(long table, int idx, long pte) {
        assert leafLockHeld(table) : "install without the PTL or the pmap lock";
        assert !fmt.mapsFrame(mem.getOpaque(table, idx)) : "install over a mapped entry";
        if (fmt.mapsFrame(pte)) {
            frames.mapInc(fmt.frame(pte));
        }
        mem.putRelease(table, idx, pte);
    }

    /**
     * => PTL (or pmap lock) held. Clears a leaf with get-and-set, so that an A/D bit the hardware
     * sets concurrently is in the returned value, and uncounts the mapping. The frame may still be in
     * TLBs: the caller flushes before freeing it.
     */
    public long clear(long table, int idx, long va) {
        assert leafLockHeld(table) : "clear without the PTL or the pmap lock";
        final long old;
        if (machine.hasBug(PmapBug.ZAP_PLAIN_WRITE)) {
            // Seeded bug: read, then write 0. A dirty bit set in between is lost.
            old = mem.getOpaque(table, idx);
            machine.hooks().at(PmapHooks.ZAP_AFTER_READ, this, va);
            mem.putRelease(table, idx, 0);
        } else {
            old = mem.getAndSet(table, idx, 0);
        }
        if (fmt.mapsFrame(old)) {
            final long f = fmt.frame(old);
            if (fmt.dirty(old) && frames.isLazyFree(f)) {
                // Written after MADV_FREE: the page keeps that when the entry goes (UVM's
                // pmap_remove_pte syncs the M bit into the page). A locked fork's child holds the
                // page through the amap with no entry of its own, so the parent's dirty entry was
                // all that said it had been written; Linux's child has a copy of it. Before the
                // uncount: a reclaim that sees the count drop then sees the flag.
                frames.markRedirtied(f);
            }
            frames.mapDec(f);
        }
        return old;
    }

    /**
     * => PTL (or pmap lock) held, the entry is present. Replaces it by a leaf with another frame or
     * other attributes (a COW break, a move): clear, flush the page everywhere, then write — the
     * break-before-make arm64 requires, and what Linux does on x86 too ({@code ptep_clear_flush}).
     *
     * @return the old entry (its final A/D state)
     */
    public long replace(long table, int idx, long va, long pte, Cpu self) {
        final long old = clear(table, idx, va);
        final long page = va & -PhysicalMemory.PAGE_SIZE; // a fault's address, within the page
        flushRange(page, page + PhysicalMemory.PAGE_SIZE, false, self);
        if (fmt.mapsFrame(pte)) {
            frames.mapInc(fmt.frame(pte));
        }
        mem.putRelease(table, idx, pte);
        return old;
    }

    /** {@link #reclaimLazyFree}: not lazy-free, or mapped more than once; nothing was done. */
    public static final int LAZY_SKIPPED = 0;
    /** {@link #reclaimLazyFree}: written since MADV_FREE; put back, and no longer lazy-free. */
    public static final int LAZY_KEPT = 1;
    /** {@link #reclaimLazyFree}: another reference holds the page; put back, still lazy-free. */
    public static final int LAZY_BUSY = 2;
    /** {@link #reclaimLazyFree}: cleared and flushed; the caller drops the mapping's reference and frees the page. */
    public static final int LAZY_DISCARDED = 3;

    /**
     * => PTL (or pmap lock) held. Linux's try_to_unmap_one for a lazy-free (MADV_FREE) page: if the
     * entry maps a frame marked lazy-free that no other entry maps, clear it ({@link #clear}:
     * get-and-clear, so that a dirty bit the hardware set before is in the old value), flush the
     * page everywhere (no CPU can write through a translation cached before), and then decide:
     * <ul>
     *   <li>the old entry or the page is dirty: it was written after MADV_FREE. Put the entry back
     *   as it was and make the page an ordinary, dirty one ({@link #LAZY_KEPT});</li>
     *   <li>the frame has more references than {@code refs} (a fault pinned it, get-unless-zero):
     *   put the entry back, still lazy-free ({@link #LAZY_BUSY});</li>
     *   <li>else the entry stays clear and the mapping is uncounted ({@link #LAZY_DISCARDED}): the
     *   caller drops the references and the next touch faults in a zero page.</li>
     * </ul>
     * A store whose dirty-bit CAS lands between a plain zap's read and its write (seeded bug
     * {@link PmapBug#ZAP_PLAIN_WRITE}) leaves a clean old entry: the page is discarded, the store lost.
     *
     * @param refs the frame's references when only this entry and its owner hold it (1 where the
     *             entry owns the page; 2 for an anon's page: the anon's and the mapping's)
     * @return one of {@link #LAZY_SKIPPED}, {@link #LAZY_KEPT}, {@link #LAZY_BUSY}, {@link #LAZY_DISCARDED}
     */
    public int reclaimLazyFree(long table, int idx, long va, int refs, Cpu self) {
        assert leafLockHeld(table) : "reclaimLazyFree without the PTL or the pmap lock";
        final long e = mem.getOpaque(table, idx);
        if (!fmt.mapsFrame(e)) {
            return LAZY_SKIPPED;
        }
        final long f = fmt.frame(e);
        if (!frames.isLazyFree(f) || frames.mapcount(f) != 1) {
            return LAZY_SKIPPED;
        }
        final long old = clear(table, idx, va);
        final long page = va & -PhysicalMemory.PAGE_SIZE;
        flushRange(page, page + PhysicalMemory.PAGE_SIZE, false, self);
        // The clear (get-and-set: a full fence) comes before the reads of the flags and the count: a
        // fault that pins the frame after it re-reads the entry, finds it changed and lets go (the
        // gup-fast pairing of Linux's smp_mb here).
        if (fmt.dirty(old) || frames.isDirty(f)) {
            frames.markRedirtied(f);
            install(table, idx, old);
            return LAZY_KEPT;
        }
        if (frames.refcount(f) != refs) {
            install(table, idx, old);
            return LAZY_BUSY;
        }
        return LAZY_DISCARDED;
    }

    /**
     * => PTL (or pmap lock) held. Rewrites a leaf in place by CAS (rights, A/D, DBM): only changes
     * the architecture allows without break-before-make.
     *
     * @return the entry written
     */
    public long rewrite(long table, int idx, long va, LeafRewriter fn) {
        assert leafLockHeld(table) : "rewrite without the PTL or the pmap lock";
        for (;;) {
            final long old = mem.getOpaque(table, idx);
            final long nu = fn.rewrite(va, old);
            if (nu == old) {
                return old;
            }
            if (fmt.needsBreakBeforeMake(old, nu)
                    || fmt.mapsFrame(old) && fmt.mapsFrame(nu) && fmt.frame(old) != fmt.frame(nu)) {
                // A new frame is a replacement on every architecture (Linux's ptep_clear_flush
                // first); x86's needsBreakBeforeMake says no to everything else.
                throw new IllegalStateException("in-place change needs break-before-make: 0x"
                        + Long.toHexString(old) + " -> 0x" + Long.toHexString(nu));
            }
            machine.hooks().at(PmapHooks.REWRITE_BEFORE_CAS, this, va);
            if (mem.cas(table, idx, old, nu)) {
                return nu;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Ranges

    /** Runs {@code body} for every leaf table that exists under [start, end), one table at a time. */
    private interface TableBody {
        void run(long table, long tableBase, int firstIdx, int endIdx);
    }

    private void forEachLeafTable(long start, long end, TableBody body) {
        descend(root, arch.levels(), 0, start, end, body);
    }

    /** Descends only into tables that exist: cost follows what is mapped, not the range's size. */
    private void descend(long table, int level, long base, long start, long end, TableBody body) {
        final long span = Arch.span(level);
        final long lo = Math.max(start, base);
        final long hi = Math.min(end, base + 512 * span);
        if (lo >= hi) {
            return;
        }
        if (level == 1) {
            body.run(table, base, (int) ((lo - base) >>> PhysicalMemory.PAGE_SHIFT),
                    (int) ((hi - base + PhysicalMemory.PAGE_SIZE - 1) >>> PhysicalMemory.PAGE_SHIFT));
            return;
        }
        final int first = (int) ((lo - base) / span);
        final int last = (int) ((hi - 1 - base) / span);
        for (int i = first; i <= last; i++) {
            final long e = mem.getOpaque(table, i);
            if (fmt.isTable(e, level)) {
                descend(fmt.frame(e), level - 1, base + i * span, start, end, body);
            }
        }
    }

    /**
     * => mmap lock for writing (or the space stopped). Zaps every leaf in [start, end): under each
     * table's PTL, get-and-clear, and the old entry to {@code sink}. The caller flushes the range
     * before it frees any frame the sink collected.
     *
     * @return leaves zapped
     */
    public long zapRange(long start, long end, LeafVisitor sink) {
        final long[] n = {0};
        forEachLeafTable(start, end, (table, base, first, last) -> {
            final TablePage tp = machine.tablePage(table);
            tp.lock();
            try {
                for (int i = first; i < last; i++) {
                    if (mem.getOpaque(table, i) != 0) {
                        final long va = base + ((long) i << PhysicalMemory.PAGE_SHIFT);
                        final long old = clear(table, i, va);
                        if (old != 0) {
                            sink.visit(va, old);
                            n[0]++;
                        }
                    }
                }
            } finally {
                tp.unlock();
            }
        });
        return n[0];
    }

    /**
     * => mmap lock for writing. Rewrites every leaf in [start, end) that maps a frame, under each
     * table's PTL (mprotect, fork's write-protect). The caller flushes afterwards if rights went down.
     *
     * @return leaves changed
     */
    public long protectRange(long start, long end, LeafRewriter fn) {
        final long[] n = {0};
        forEachLeafTable(start, end, (table, base, first, last) -> {
            final TablePage tp = machine.tablePage(table);
            tp.lock();
            try {
                for (int i = first; i < last; i++) {
                    final long e = mem.getOpaque(table, i);
                    if (fmt.mapsFrame(e)) {
                        final long va = base + ((long) i << PhysicalMemory.PAGE_SHIFT);
                        if (rewrite(table, i, va, fn) != e) {
                            n[0]++;
                        }
                    }
                }
            } finally {
                tp.unlock();
            }
        });
        return n[0];
    }

    /** Visits every leaf that maps a frame (checkers: exact in a quiet state). */
    public void forEachLeaf(LeafVisitor v) {
        forEachLeaf(0, arch.userTop(), v);
    }

    /** Visits every leaf in [start, end) that maps a frame (checkers: exact in a quiet state). */
    public void forEachLeaf(long start, long end, LeafVisitor v) {
        forEachLeafTable(start, end, (table, base, first, last) -> {
            for (int i = first; i < last; i++) {
                final long e = mem.getOpaque(table, i);
                if (fmt.mapsFrame(e)) {
                    v.visit(base + ((long) i << PhysicalMemory.PAGE_SHIFT), e);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // TLB flushes

    /**
     * Flushes [start, end) from every CPU's TLB: when this returns, no CPU can use a translation of
     * the range cached before the call. {@code self}: the calling thread's CPU, or null. The range
     * is whole pages (Linux's flush_tlb_range callers pass page-aligned bounds; a fault's address
     * is rounded down to its page first, {@code vmf->address}).
     */
    public void flushRange(long start, long end, boolean freedTables, Cpu self) {
        assert ((start | end) & (PhysicalMemory.PAGE_SIZE - 1)) == 0 && start < end
                : "flush of [" + Long.toHexString(start) + ", " + Long.toHexString(end) + ")";
        flushes.increment();
        pagesFlushed.add((end - start) >>> PhysicalMemory.PAGE_SHIFT);
        machine.coherence().flushRange(this, start, end, freedTables, self);
    }

    /** Counts a shootdown IPI (or a DSB wait for a CPU's in-flight access). */
    void countIpi() {
        ipis.increment();
    }

    // ------------------------------------------------------------------------------------------
    // Freeing tables

    /**
     * => mmap lock for writing; [addr, end) was unmapped and zapped. Linux's free_pgd_range: unlinks
     * every table page under [addr, end) whose whole span lies in [floor, ceiling) — the gap between
     * the previous area's end and the next area's start — flushes with freedTables, and frees them
     * after an SRCU grace period.
     *
     * @return table pages freed
     */
    public int freeTables(long addr, long end, long floor, long ceiling, Cpu self) {
        final List<TablePage> detached = unlinkTables(addr, end, floor, ceiling);
        if (detached.isEmpty()) {
            return 0;
        }
        flushRange(addr, end, true, self);
        retireTables(detached);
        return detached.size();
    }

    /**
     * {@link #freeTables}'s first half, for a caller that flushes once for its zap and its tables
     * (Linux's mmu_gather: unmap_vmas, free_pgtables, then one tlb_finish_mmu): unlinks the table
     * pages and returns them. The caller then flushes [addr, end) with {@code freedTables} and
     * passes them to {@link #retireTables}.
     */
    public List<TablePage> unlinkTables(long addr, long end, long floor, long ceiling) {
        final List<TablePage> detached = new ArrayList<>();
        freeLevel(root, arch.levels(), 0, addr, end, floor, ceiling, detached);
        return detached;
    }

    /** => unlinked by {@link #unlinkTables} and flushed with freedTables. Frees them after a grace period. */
    public void retireTables(List<TablePage> detached) {
        for (TablePage t : detached) {
            retireTable(t);
        }
    }

    private void freeLevel(long table, int level, long base, long addr, long end, long floor, long ceiling,
                           List<TablePage> out) {
        final long span = Arch.span(level);
        final long lo = Math.max(addr, base);
        final long hi = Math.min(end, base + 512 * span);
        if (lo >= hi) {
            return;
        }
        final int first = (int) ((lo - base) / span);
        final int last = (int) ((hi - 1 - base) / span);
        for (int i = first; i <= last; i++) {
            final long e = mem.getOpaque(table, i);
            if (!fmt.isTable(e, level)) {
                continue;
            }
            final long child = fmt.frame(e);
            final long childBase = base + i * span;
            if (level - 1 > 1) {
                freeLevel(child, level - 1, childBase, addr, end, floor, ceiling, out);
            }
            if (childBase >= floor && childBase + span <= ceiling && empty(child)) {
                machine.hooks().at(PmapHooks.FREE_TABLES_BEFORE_UNLINK, this, childBase);
                final TablePage tp = unlink(child, table, i);
                if (tp != null) {
                    out.add(tp);
                }
            }
        }
    }

    private boolean empty(long table) {
        return mem.isZero(table); // one event for the model checker (a 512-word loop looks like a livelock)
    }

    /**
     * Unlinks a table under its PTL: a fault holding the PTL finishes first; later ones see it
     * unlinked. Whether it is empty is decided again under the PTL, in the same critical section as
     * the unlink, so that an install that came between the caller's unlocked look and this lock
     * keeps the table linked (a correct fault never installs there: its area was marked dead before
     * the zap; only a seeded bug gets in). Freed tables are then empty by construction, which is
     * what {@link #freeTableNow} checks.
     *
     * @return the detached table, or null if it is not empty after all (left linked)
     */
    private TablePage unlink(long child, long parent, int idx) {
        final TablePage tp = machine.tablePage(child);
        tp.lock();
        try {
            if (!empty(child)) {
                return null;
            }
            mem.getAndSet(parent, idx, 0);
            tp.setDetached();
        } finally {
            tp.unlock();
        }
        return tp;
    }

    /** => unlinked and flushed. Frees the table page after an SRCU grace period (or at once with the seeded bug). */
    private void retireTable(TablePage tp) {
        if (machine.hasBug(PmapBug.TABLE_FREE_NO_GRACE)) {
            freeTableNow(tp);
        } else {
            domain.call(() -> freeTableNow(tp));
        }
    }

    private void freeTableNow(TablePage tp) {
        if (!empty(tp.frame())) {
            reportFreedWithEntries(tp);
        }
        tp.setFree();
        tablesFreed.increment();
        frames.put(tp.frame());
    }

    /**
     * P6: a table page about to be freed still holds entries: whatever they map leaks, unreachable
     * (see {@link PageTableCheck}). Reported to the machine's check; the page is freed anyway.
     */
    private void reportFreedWithEntries(TablePage tp) {
        final long t = tp.frame();
        int n = 0;
        int frames = 0;
        int first = -1;
        for (int i = 0; i < PhysicalMemory.WORDS_PER_FRAME; i++) {
            final long e = mem.getOpaque(t, i);
            if (e != 0) {
                n++;
                if (fmt.mapsFrame(e)) {
                    frames++;
                }
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (n == 0) {
            return; // isZero saw an entry: cannot happen (no one writes a detached table now)
        }
        machine.pageTableCheck().report("page-table page freed with " + n + " entries in it (" + frames
                + " mapping frames, which leak): level-" + tp.level() + " table at frame 0x" + Long.toHexString(t)
                + ", first at index " + first + " [space " + name + "]");
    }

    /**
     * Reader side: whether the table a software walker found at incarnation {@code seen} is still that
     * table (not freed, not reused). A failure is reported as a use-after-free of a table page.
     */
    public boolean validateTable(long frame, long seen) {
        final TablePage tp = machine.tablePage(frame);
        if (tp != null && tp.state() != TablePage.FREE && tp.incarnation() == seen) {
            return true;
        }
        machine.useAfterFree().report("use after free of a page-table page: frame 0x" + Long.toHexString(frame)
                + " walked at incarnation " + seen + ", now " + tp + " [space " + name + "]");
        return false;
    }

    // ------------------------------------------------------------------------------------------
    // Teardown

    /** Stops the space: accesses return KILLED from their next entry; waits for in-flight ones. */
    public void stop() {
        if (lifecycle == LIVE) {
            lifecycle = STOPPED;
        }
        for (Cpu c : machine.cpus()) {
            if (c.loadedOpaque() == this) {
                c.waitForAccessEnd();
            }
        }
    }

    /** Points every CPU whose root register still points here (lazy ones too) at the kernel space. */
    public void detachAll(Cpu self) {
        // After the stop: against a CPU switching to this space at the same time (Cpu.switchTo).
        java.lang.invoke.VarHandle.fullFence();
        for (Cpu c : machine.cpus()) {
            if (c.loadedOpaque() != this) {
                continue;
            }
            if (c == self) {
                c.switchTo(machine.initPmap());
            } else {
                final long token = c.beginRemote();
                try {
                    c.detachRemote(this);
                } finally {
                    c.endRemote(token);
                }
            }
        }
    }

    /**
     * Exit: stop, detach, flush and release the tag, zap every leaf into {@code sink} (which frees
     * the frames: nothing can translate through this space any more), free the tables through SRCU.
     */
    public void teardown(LeafVisitor sink, Cpu self) {
        teardown(sink, self, false);
    }

    /**
     * {@link #teardown(LeafVisitor, Cpu)} with the flush-before-detach order forced on for this call
     * when {@code flushBeforeDetach} (an address space's own seeded bug, e.g. the locked design's
     * purge-flush-before-detach); the machine's {@link PmapBug#FLUSH_BEFORE_DETACH} forces it for all.
     */
    public void teardown(LeafVisitor sink, Cpu self, boolean flushBeforeDetach) {
        if (kernel) {
            throw new IllegalStateException("the kernel space is never torn down");
        }
        stop();
        if (flushBeforeDetach || machine.hasBug(PmapBug.FLUSH_BEFORE_DETACH)) {
            machine.coherence().teardownFlush(this, self);
            machine.hooks().at(PmapHooks.TEARDOWN_BETWEEN_FLUSH_AND_DETACH, this, 0);
            detachAll(self);
        } else {
            detachAll(self);
            machine.hooks().at(PmapHooks.TEARDOWN_BETWEEN_DETACH_AND_FLUSH, this, 0);
            machine.coherence().teardownFlush(this, self);
        }
        zapRange(0, arch.userTop(), sink);
        final List<TablePage> all = new ArrayList<>();
        collectTables(root, arch.levels(), all);
        for (TablePage t : all) {
            t.setDetached();
            retireTable(t);
        }
        final TablePage rootPage = machine.tablePage(root);
        rootPage.setDetached();
        retireTable(rootPage);
        lifecycle = DEAD;
    }

    private void collectTables(long table, int level, List<TablePage> out) {
        if (level == 1) {
            return;
        }
        for (int i = 0; i < PhysicalMemory.WORDS_PER_FRAME; i++) {
            final long e = mem.getOpaque(table, i);
            if (fmt.isTable(e, level)) {
                final long child = fmt.frame(e);
                collectTables(child, level - 1, out);
                mem.putRelease(table, i, 0);
                out.add(machine.tablePage(child));
            }
        }
    }

    /**
     * P0 over this space's tables (exact in a quiet state): every table page linked from the root
     * (the root included) is a table frame in use, and no leaf — 4 KiB or huge — maps a free frame.
     * A linked table whose frame is free is reported once and not descended into: its contents are
     * whatever the frame holds now.
     */
    void checkTables(List<String> out) {
        checkLevel(root, arch.levels(), 0, out);
    }

    private void checkLevel(long table, int level, long base, List<String> out) {
        if (frames.isFree(table) || frames.kind(table) != FrameAllocator.TABLE) {
            out.add("P0: " + name + " level-" + level + " table page at frame 0x" + Long.toHexString(table)
                    + " (va 0x" + Long.toHexString(base) + ") is linked but its frame is "
                    + (frames.isFree(table) ? "free" : "not a table"));
            return;
        }
        final long span = Arch.span(level);
        for (int i = 0; i < PhysicalMemory.WORDS_PER_FRAME; i++) {
            final long e = mem.getOpaque(table, i);
            final long va = base + i * span;
            if (fmt.isTable(e, level)) {
                checkLevel(fmt.frame(e), level - 1, va, out);
            } else if (fmt.mapsFrame(e) && frames.isFree(fmt.frame(e))) {
                out.add("P0: " + name + (level > 1 ? " huge" : "") + " leaf va 0x" + Long.toHexString(va)
                        + " -> free frame 0x" + Long.toHexString(fmt.frame(e)));
            }
        }
    }

    /** Table pages linked in this space now, the root included (quiet state). */
    public int tableCount() {
        return 1 + countTables(root, arch.levels());
    }

    private int countTables(long table, int level) {
        if (level == 1) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < PhysicalMemory.WORDS_PER_FRAME; i++) {
            final long e = mem.getOpaque(table, i);
            if (fmt.isTable(e, level)) {
                n += 1 + countTables(fmt.frame(e), level - 1);
            }
        }
        return n;
    }

    public PmapStats stats() {
        return new PmapStats(flushes.sum(), ipis.sum(), pagesFlushed.sum(), tlbGen.get(),
                tablesAllocated.sum(), tablesFreed.sum());
    }

    @Override
    public String toString() {
        return "Pmap[" + name + ", root 0x" + Long.toHexString(root) + "]";
    }
}
