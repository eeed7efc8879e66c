package dev.specfault.fault.speculative;

import dev.specfault.fault.AbstractSpace;
import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FaultHooks;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.SpaceStats;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.FaultHandler;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.PteFormat;
import dev.specfault.pmap.TablePage;
import dev.specfault.pmap.WalkResult;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.vma.Area;
import dev.specfault.vma.AreaIndex;
import dev.specfault.vma.LayoutPlan;
import dev.specfault.vma.LayoutPlanner;
import dev.specfault.vma.Vma;
import dev.specfault.vma.VmaFlags;
import dev.specfault.vma.VmaTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;

/**
 * The speculative design: Linux-style page faults that find their VMA with no lock, under an SRCU
 * read section, do their work optimistically and validate under the page-table lock before the
 * PTE goes in (Peter Zijlstra's 2008 RFC, the SPF patchsets of Laurent Dufour and Michel
 * Lespinasse, Linux 6.4's per-VMA locks).
 *
 * <h2>Writers</h2>
 * Every writer (mmap, munmap, mprotect, mremap, brk, madvise, stack growth, fork, exit) holds the
 * mmap lock for writing and, for a plan that replaces records ({@link #commit}):
 * <pre>
 *   prepare the new tree off to the side
 *   mark every replaced record dead, still in the tree   (full fence: before the zap reads a PTE)
 *   zap / protect / move the PTEs, each table under its PTL
 *   a removal (the range left empty): unlink the tables it empties (floor/ceiling)
 *   flush TLBs for the range, once (with the tables: Linux's mmu_gather)
 *   publish the new tree in one store
 *   free the data frames; free the tables and retired records through SRCU
 * </pre>
 * Non-replacing writers (fork's write-protect of the parent, madvise) make the records' write
 * sequence odd across the PTE work instead.
 *
 * <h2>Faults ({@link #handleFault})</h2>
 * <pre>
 *   srcu_read_lock
 *   v = find(va); inc = v.incarnation; seq = v.writeSeq      none/below: SIGSEGV (or growth: fall back)
 *   dead or odd: look once more, then fall back             (no spinning: the fallback blocks)
 *   rights; walk: a level missing → fall back               (speculative faults never allocate tables)
 *   prepare: zero-fill / copy / page-cache page, frames pinned get-unless-zero
 *   PTL; re-check: !dead, incarnation, seq, table linked, PTE (A/D masked) → install; unlock
 *   srcu_read_unlock
 * </pre>
 * A failed re-check throws away what was prepared, counts the cause and starts over (at most
 * {@link #MAX_ATTEMPTS} times, then falls back). The fallback is the slow path under the mmap lock
 * held for reading, where tables may be allocated and the stack grown (under the write lock).
 *
 * <h2>Why the re-check is enough</h2>
 * A writer marks a record dead before it takes any PTL of its range, and a fault validates under
 * the PTL of the entry it installs: either the fault's critical section comes first (the zap then
 * removes what it installed) or the writer's (the fault then sees the record dead). Speculative
 * faults never create tables, so a zap that found no table leaves nothing a fault could fill.
 * Records and tables are freed only after a grace period, so everything read inside the read
 * section stays the object it was; the incarnation check turns a violation of that into a
 * reported use-after-free instead of a silent one.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [m] mmapLock held for writing (readers of the tree: [s])
 *   [s] read under an SRCU read section of domain, freed after a grace period
 *   [p] the PTL of the leaf table
 *   [c] the thread bound to the CPU of the slot's index
 * </pre>
 */
public final class SpeculativeSpace extends AbstractSpace implements FaultHandler {
    /** Speculative attempts of one fault before it falls back. */
    public static final int MAX_ATTEMPTS = 4;

    /** Internal results of one attempt. */
    private static final int AGAIN = -100;
    private static final int FALLBACK = -101;

    private static final int NOTHING = 0;
    private static final int INSTALL = 1;
    private static final int REPLACE = 2;
    private static final int REWRITE = 3;

    private final SpaceOptions options; // [I]
    private final SrcuDomain domain; // [I]
    private final Pmap pmap; // [I]
    private final PteFormat fmt; // [I]
    private final PhysicalMemory mem; // [I]
    private final FrameAllocator frames; // [I]
    private final VmaTree tree; // [s] lookups, [m] batches
    /**
     * The mmap lock, FIFO-fair: Linux's rwsem lets a writer steal the lock only until the first
     * waiter has waited RWSEM_WAIT_TIMEOUT (4 ms), then hands it off. The JDK's non-fair mode has no
     * hand-off, so a writer looping on mmap/munmap (mmap_churn) starved a falling-back fault for
     * up to a second; fair mode hands off at once, the closer of the JDK's two to the kernel.
     */
    private final ReentrantReadWriteLock mmapLock = new ReentrantReadWriteLock(true); // [I]
    private volatile boolean exited; // [m] written, read anywhere
    /**
     * The frames a commit's zap collected, reused from one commit to the next. [m], and after
     * munmap's downgrade the read hold of the thread that downgraded (writers are still kept out).
     */
    private final LongArrayList zapped = new LongArrayList();
    /**
     * This hold of the mmap lock is munmap's (or brk's, or an in-place mremap shrink's): its commit leaves the zapped frames in {@link #zapped}
     * for {@link #unmapUnlock} to free under the lock downgraded to read, as Linux's munmap does. [m]
     */
    private boolean unmapping;
    /** The unmap's commit got as far as its frees (zapped, flushed, published): {@link #unmapUnlock} frees. [m] */
    private boolean freeAfterDowngrade;
    /**
     * Each CPU's fault scratch, reused by the thread bound to it (Linux's {@code struct vm_fault}
     * lives on the faulting task's stack). A new one per fault was the fault path's only Java
     * allocation: a few dozen MB/s of garbage whose young collections and fresh heap pages (the
     * host's own page faults, under the emulated store) stood in the latency tail.
     */
    private final Prep[] scratch; // [c]

    private SpeculativeSpace(SpaceOptions o) {
        super(o.name(), o.machine(), o.config(), o.bugs(), o.hooks());
        this.options = o;
        final GracePeriodDriver driver = o.driver() != null ? o.driver() : GracePeriodDriver.shared();
        this.domain = SrcuDomain.builder(o.name()).driver(driver).bugs(o.srcuBugs()).build();
        this.pmap = machine.newPmap(o.name(), domain);
        if (pmap == null) {
            domain.close();
            throw new dev.specfault.fault.OutOfFramesException(o.name());
        }
        this.fmt = pmap.format();
        this.mem = machine.memory();
        this.frames = machine.frames();
        this.tree = VmaTree.builder(domain).log(machine.useAfterFree()).bugs(o.vmaBugs()).quarantine(o.vmaQuarantine())
                .build();
        this.scratch = new Prep[machine.cpuCount()];
        pmap.setHandler(this);
    }

    /** A new space; with the initial stack mapped if the configuration asks for it. */
    public static SpeculativeSpace create(SpaceOptions o) {
        final SpeculativeSpace s = new SpeculativeSpace(o);
        s.mapInitialStackIfConfigured();
        return s;
    }

    @Override
    public Design design() {
        return Design.SPECULATIVE;
    }

    @Override
    public Pmap pmap() {
        return pmap;
    }

    public SrcuDomain domain() {
        return domain;
    }

    public VmaTree tree() {
        return tree;
    }

    /** Threads waiting for the mmap lock (tests: a fault that fell back is blocked behind a writer). */
    public int mmapLockWaiters() {
        return mmapLock.getQueueLength();
    }

    @Override
    public boolean isExited() {
        return exited;
    }

    // ------------------------------------------------------------------------------------------
    // Locks

    /**
     * How long an mmap-lock acquisition spins before it queues: Linux's rwsem spins optimistically
     * while the owner runs (a writer's hold is microseconds), and only then sleeps. Without it each
     * contended acquisition paid a park and a wake-up — milliseconds on a loaded host — where the
     * locked design's StampedLock spins first.
     */
    private static final long SPIN_NANOS = 20_000;

    /** Takes {@code l}: at once, else spinning up to {@link #SPIN_NANOS}, else queued (fair). */
    private void acquire(java.util.concurrent.locks.Lock l) {
        if (l.tryLock()) {
            return;
        }
        stats.lockWait();
        final long until = System.nanoTime() + SPIN_NANOS;
        do {
            Thread.onSpinWait();
            if (l.tryLock()) {
                return;
            }
        } while (System.nanoTime() - until < 0);
        l.lock();
    }

    @Override
    protected void writeLock() {
        if (!mmapLock.isWriteLockedByCurrentThread()) {
            // The start of a writer operation is a safe point (no lock held; a fault that takes the
            // lock here has left its read section): run the callbacks this thread queued whose grace
            // period has ended, on its own CPU, as Linux's srcu_invoke_callbacks runs on the CPU
            // that queued them.
            domain.poll();
        }
        acquire(mmapLock.writeLock());
    }

    @Override
    protected void writeUnlock() {
        mmapLock.writeLock().unlock();
    }

    @Override
    protected void beginUnmap() {
        assert mmapLock.isWriteLockedByCurrentThread() && !unmapping : "one unmap per hold of the write lock";
        zapped.clear(); // what a commit that threw left (dropped, as a commit's own clear drops it)
        unmapping = true;
    }

    /**
     * munmap's unlock, as Linux's {@code vms_complete_munmap_vmas}: with the areas gone from the
     * tree (dead, the new tree published, the PTEs zapped and flushed: the emulator zaps before the
     * publication, where Linux zaps after the downgrade, so that a munmap is one linearization point),
     * the lock is downgraded to read ({@code mmap_write_downgrade}) and the zapped pages are freed
     * under it. A fault that falls back (a missing table) takes the lock for reading meanwhile,
     * instead of waiting for thousands of frames to be poisoned and freed; writers still wait.
     */
    @Override
    protected void unmapUnlock() {
        unmapping = false;
        final boolean free = freeAfterDowngrade && !zapped.isEmpty(); // not if the commit threw before its frees
        freeAfterDowngrade = false;
        if (!free) {
            writeUnlock();
            return;
        }
        final ReentrantReadWriteLock.ReadLock rl = mmapLock.readLock();
        rl.lock(); // held for writing: granted at once
        mmapLock.writeLock().unlock();
        try {
            hooks.at(FaultHooks.Point.WRITER_DOWNGRADED, this, 0);
            putAll(zapped); // writers are kept out by the read hold: the list is still ours
            zapped.clear();
        } finally {
            rl.unlock();
        }
    }

    @Override
    protected AreaIndex index() {
        assert mmapLock.isWriteLockedByCurrentThread() || mmapLock.getReadHoldCount() > 0;
        return tree.asAreaIndex();
    }

    // ------------------------------------------------------------------------------------------
    // The fault path

    /** What one attempt prepared before taking the PTL. Each CPU's own, reused ([c]: see {@link #scratch}). */
    private static final class Prep {
        /** In use by an attempt on its CPU (a hook may fault again on the same CPU meanwhile). */
        boolean busy; // [c]
        int kind = NOTHING; // [c]
        long newPte; // [c]
        /** A frame with a reference of ours that becomes the new mapping's, or -1. */
        long newFrame = -1; // [c]
        /** A COW source pinned by get-unless-zero, or -1. */
        long pinned = -1; // [c]
        /** The old frame a REPLACE unmapped, whose mapping reference we drop after unlock, or -1. */
        long unmapped = -1; // [c]
        /** For REWRITE: what to do to the entry as it is under the PTL. */
        int op; // [c]
        int prot; // [c]
        SpaceStats.Fault what = SpaceStats.Fault.SPURIOUS; // [c]

        Prep reset() {
            busy = true;
            kind = NOTHING;
            newPte = 0;
            newFrame = -1;
            pinned = -1;
            unmapped = -1;
            op = 0;
            prot = 0;
            what = SpaceStats.Fault.SPURIOUS;
            return this;
        }
    }

    /** A cleared scratch for one attempt: the CPU's own unless it is in use or there is no CPU. */
    private Prep takeScratch(Cpu cpu) {
        if (cpu != null) {
            Prep p = scratch[cpu.id()];
            if (p == null) {
                p = new Prep();
                scratch[cpu.id()] = p;
            }
            if (!p.busy) {
                return p.reset();
            }
        }
        return new Prep().reset();
    }

    private static final int OP_YOUNG = 1;
    private static final int OP_YOUNG_DIRTY = 2;
    private static final int OP_WRITE_DIRTY = 3;
    private static final int OP_UNPROTNONE = 4;

    /**
     * => called by a CPU of this space, outside its access (pmap's contract). Resolves the fault at
     * {@code va} and asks the CPU to retry, or returns the signal.
     */
    @Override
    protected int handle(Cpu cpu, long va, int access, long walk) {
        final int r = fault(cpu, va, access, walk);
        // A fault that raced exit saw the layout emptied: the thread is being killed, not faulting.
        return r != RETRY && exited ? AccessResult.KILLED : r;
    }

    private int fault(Cpu cpu, long va, int access, long walk) {
        if (exited) {
            return AccessResult.KILLED;
        }
        if (WalkResult.kind(walk) == WalkResult.NON_CANONICAL || WalkResult.kind(walk) == WalkResult.ADDRESS_SIZE
                || Long.compareUnsigned(va, config.taskSize()) >= 0) {
            return AccessResult.SIGSEGV;
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            stats.speculativeAttempt();
            final int token = domain.readLock();
            int r;
            try {
                r = speculate(cpu, va, access);
            } finally {
                domain.readUnlock(token);
            }
            if (r == AGAIN) {
                continue;
            }
            if (r == FALLBACK) {
                hooks.at(FaultHooks.Point.FAULT_BEFORE_FALLBACK, this, va);
                return slowFault(cpu, va, access);
            }
            stats.speculativeSuccess();
            return r;
        }
        stats.fallback(SpaceStats.Fallback.RETRIES_EXHAUSTED);
        return slowFault(cpu, va, access);
    }

    /** => SRCU read section. One speculative attempt. */
    private int speculate(Cpu cpu, long va, int access) {
        Vma v = tree.find(va);
        if (v == null) {
            return AccessResult.SIGSEGV;
        }
        hooks.at(FaultHooks.Point.FAULT_AFTER_FIND, this, va);
        long inc = v.incarnation();
        long seq = v.writeSeq();
        if (v.isDead() || (seq & 1) != 0) {
            // A writer is at work on this record: look once more (it may have published), then
            // leave it to the slow path, which waits for the writer on the mmap lock.
            v = tree.find(va);
            if (v == null) {
                return AccessResult.SIGSEGV;
            }
            inc = v.incarnation();
            seq = v.writeSeq();
            if (v.isDead() || (seq & 1) != 0) {
                stats.fallback(SpaceStats.Fallback.WRITER_ACTIVE);
                return FALLBACK;
            }
        }
        if (va >= v.end()) {
            // The record no longer covers the address it was found for: it changed after the lookup
            // (or, with a reclamation bug, was reused before its incarnation was read). Linux's
            // lock_vma_under_rcu re-checks the range once the VMA is stable for the same reason.
            stats.retry(SpaceStats.Retry.RANGE);
            return AGAIN;
        }
        if (v.start() > va) {
            if ((v.flags() & VmaFlags.GROWSDOWN) != 0) {
                stats.fallback(SpaceStats.Fallback.GROWTH);
                return FALLBACK;
            }
            return signal(v, inc, seq, AccessResult.SIGSEGV);
        }
        hooks.at(FaultHooks.Point.FAULT_AFTER_LOOKUP, this, va);
        if (!allowed(v.prot(), access)) {
            return signal(v, inc, seq, AccessResult.SIGSEGV);
        }
        if (needsAnon(v.area(), access)) {
            // vmf_anon_prepare under the per-VMA lock: the anon_vma is set up under the mmap lock
            // taken by trylock; if a writer holds it, VM_FAULT_RETRY, and the fault waits for it.
            if (!mmapLock.readLock().tryLock()) {
                stats.fallback(SpaceStats.Fallback.ANON_VMA);
                return FALLBACK;
            }
            try {
                if (v.isDead() || v.incarnation() != inc) {
                    stats.retry(SpaceStats.Retry.DEAD);
                    return AGAIN; // replaced before we had the lock
                }
                prepareAnon(v);
            } finally {
                mmapLock.readLock().unlock();
            }
        }
        final long table = pmap.leafTable(va);
        if (table < 0) {
            stats.fallback(SpaceStats.Fallback.MISSING_TABLE);
            return FALLBACK;
        }
        final int r = faultOn(cpu, v, inc, seq, va, access, table, true);
        if (r == AccessResult.OOM) {
            stats.fallback(SpaceStats.Fallback.NO_FRAME);
            return FALLBACK;
        }
        return r;
    }

    /**
     * => the mmap lock held, {@code v} live. {@code __anon_vma_prepare}: gives the record an anonymous
     * identity (a neighbour's, {@link LayoutPlanner#anonVmaFor}, or a new one) unless it has one.
     */
    private void prepareAnon(Vma v) {
        v.prepareAnon(LayoutPlanner.anonVmaFor(index(), v.area()));
    }

    /**
     * The slow path: the mmap lock held for reading (writers are excluded, so the record cannot
     * change), tables allocated as needed; stack growth under the write lock.
     */
    private int slowFault(Cpu cpu, long va, int access) {
        final ReentrantReadWriteLock.ReadLock rl = mmapLock.readLock();
        acquire(rl);
        try {
            if (exited) {
                return AccessResult.KILLED;
            }
            final int token = domain.readLock();
            try {
                final Vma v = tree.find(va);
                if (v == null) {
                    return AccessResult.SIGSEGV;
                }
                if (v.start() > va) {
                    if ((v.flags() & VmaFlags.GROWSDOWN) == 0 || cpu == null) {
                        // (No CPU: a populate, mlock's or madvise's, through GUP, which since 6.5
                        // never grows a stack: gup_vma_lookup. Its area shrank meanwhile.)
                        return AccessResult.SIGSEGV;
                    }
                    // fall through to growth below, after dropping the read lock
                } else {
                    if (!allowed(v.prot(), access)) {
                        return AccessResult.SIGSEGV;
                    }
                    if (needsAnon(v.area(), access)) {
                        prepareAnon(v);
                    }
                    final long table = pmap.leafTableAlloc(va, cpu == null ? null : cpu.frameCache());
                    if (table == FrameAllocator.OOM) {
                        return AccessResult.OOM;
                    }
                    final int r = faultOn(cpu, v, v.incarnation(), v.writeSeq(), va, access, table, false);
                    return r == AGAIN ? RETRY : r;
                }
            } finally {
                domain.readUnlock(token);
            }
        } finally {
            rl.unlock();
        }
        writeLock();
        try {
            if (exited) {
                return AccessResult.KILLED;
            }
            final Area a = index().find(va);
            if (a == null) {
                return AccessResult.SIGSEGV;
            }
            if (a.start() <= va) {
                return RETRY; // another fault grew it meanwhile
            }
            return growLocked(a, va) ? RETRY : AccessResult.SIGSEGV;
        } finally {
            writeUnlock();
        }
    }

    /**
     * Prepares, takes the PTL, validates and installs. {@code speculative}: the record was found
     * without the mmap lock and must be re-checked.
     *
     * @return {@link FaultHandler#RETRY} when done, {@link #AGAIN} when the attempt was thrown away,
     *         or a signal
     */
    private int faultOn(Cpu cpu, Vma v, long inc, long seq, long va, int access, long table, boolean speculative) {
        final FrameCache cache = cpu == null ? null : cpu.frameCache();
        final int idx = Arch.index(va, 1);
        final TablePage tp = pmap.tablePage(table);
        final long tinc = tp.incarnation();
        final long pte = pmap.pte(table, idx);
        final Prep p = takeScratch(cpu);
        try {
            final int r = prepare(p, v.area(), va, access, table, idx, pte, cache);
            if (r != RETRY) {
                // A SIGBUS (past the file's end) from a record found without a lock holds only if the
                // record is still live: the area may have been replaced, then the file shrunk.
                return speculative && r == AccessResult.SIGBUS ? signal(v, inc, seq, r) : r;
            }
            if (speculative) {
                hooks.at(FaultHooks.Point.FAULT_BEFORE_PTL, this, va);
            }
            if (tp.lock()) {
                stats.ptlWait();
            }
            SpaceStats.Retry why;
            try {
                why = validate(v, inc, seq, tp, table, tinc, idx, pte, speculative);
                if (why == null) {
                    apply(p, table, idx, va, cpu);
                }
            } finally {
                tp.unlock();
            }
            release(p, cache);
            if (why != null) {
                stats.retry(why);
                return AGAIN;
            }
            stats.fault(p.what);
            return RETRY;
        } finally {
            p.busy = false;
        }
    }

    /**
     * => SRCU read section. A signal decided from the record's snapshot stands only if the snapshot
     * is still valid (a seqlock reader validates before it acts on what it read); else the attempt
     * is thrown away.
     */
    private int signal(Vma v, long inc, long seq, int sig) {
        final SpaceStats.Retry why = recordChanged(v, inc, seq);
        if (why != null) {
            stats.retry(why);
            return AGAIN;
        }
        return sig;
    }

    /** Whether the record a speculative fault found changed since it read {@code inc} and {@code seq}. */
    private SpaceStats.Retry recordChanged(Vma v, long inc, long seq) {
        if (!hasBug(FaultBug.SKIP_DEAD_CHECK) && v.isDead()) {
            return SpaceStats.Retry.DEAD;
        }
        if (!hasBug(FaultBug.SKIP_INCARNATION_CHECK) && v.incarnation() != inc) {
            machine.useAfterFree().report("use after free of a VMA record: seen at incarnation " + inc
                    + ", now " + v.incarnation() + " [space " + name + "]");
            return SpaceStats.Retry.INCARNATION;
        }
        if (v.writeSeq() != seq) {
            return SpaceStats.Retry.SEQUENCE;
        }
        return null;
    }

    /** => PTL. The re-check; null when the attempt may install. */
    private SpaceStats.Retry validate(Vma v, long inc, long seq, TablePage tp, long table, long tinc, int idx,
                                      long pte, boolean speculative) {
        // First the use-after-free detector (KASAN's part, not the protocol's): the table this
        // fault walked and read its entry from must not have been freed or reused since, whatever
        // the other checks decide. Under a correct grace period it cannot be, so this never fires
        // without a bug; checked after the dead check, an early table free would hide behind the
        // dead area that every table free implies.
        if (!pmap.validateTable(table, tinc)) {
            return SpaceStats.Retry.TABLE_UNLINKED;
        }
        if (speculative) {
            final SpaceStats.Retry why = recordChanged(v, inc, seq);
            if (why != null) {
                return why;
            }
        }
        if (!hasBug(FaultBug.SKIP_TABLE_LINKED_CHECK)) {
            if (!tp.isLinked(mem, fmt)) {
                return SpaceStats.Retry.TABLE_UNLINKED;
            }
        }
        if (!hasBug(FaultBug.SKIP_PTE_RECHECK)
                && fmt.maskHardwareUpdates(pmap.pte(table, idx)) != fmt.maskHardwareUpdates(pte)) {
            return SpaceStats.Retry.PTE_CHANGED;
        }
        return null;
    }

    /**
     * No lock held (an SRCU read section or the mmap lock for reading). Works out what to install
     * and allocates, copies or pins what it needs.
     *
     * @return RETRY (prepared), AGAIN, SIGBUS or OOM
     */
    private int prepare(Prep p, Area a, long va, int access, long table, int idx, long pte, FrameCache cache) {
        final boolean write = access == Prot.ACCESS_WRITE;
        final boolean shared = (a.flags() & VmaFlags.SHARED) != 0;
        final FileObject file = a.backing() instanceof FileObject f ? f : null;
        if (fmt.mapsFrame(pte)) {
            if (fmt.protNone(pte)) {
                // mprotect raised the rights since: make it accessible again. Private pages come
                // back read-only (a write then breaks COW or reuses the page).
                p.kind = REWRITE;
                p.op = OP_UNPROTNONE;
                p.prot = leafProt(a, shared);
                p.what = SpaceStats.Fault.PROT_NONE;
                return RETRY;
            }
            if (write && !fmt.writable(pte)) {
                if (shared) {
                    p.kind = REWRITE;
                    p.op = OP_WRITE_DIRTY;
                    p.what = SpaceStats.Fault.WP_SHARED;
                    return RETRY;
                }
                final long old = fmt.frame(pte);
                hooks.at(FaultHooks.Point.FAULT_BEFORE_PIN, this, va);
                if (!frames.getUnlessZero(old)) {
                    stats.retry(SpaceStats.Retry.PIN_FAILED);
                    return AGAIN;
                }
                p.pinned = old;
                if (fmt.maskHardwareUpdates(pmap.pte(table, idx)) != fmt.maskHardwareUpdates(pte)) {
                    release(p, cache); // the frame may have been freed and reused before the pin
                    stats.retry(SpaceStats.Retry.PIN_FAILED);
                    return AGAIN;
                }
                if (frames.refcount(old) == 2
                        || (file != null && hasBug(FaultBug.PRIVATE_WRITE_TO_PAGE_CACHE) && file.cachedFrame(a.pgoffAt(va)) == old)) {
                    // Our pin and this mapping: nobody else can see the page; reuse it in place.
                    // (fork makes the write sequence odd before it adds a reference under the PTL.)
                    // A page of the page cache holds the cache's reference too: it is always copied.
                    p.kind = REWRITE;
                    p.op = OP_WRITE_DIRTY;
                    p.what = SpaceStats.Fault.COW_REUSE;
                    return RETRY;
                }
                final long nf = frames.alloc(cache, FrameAllocator.DATA, false);
                if (nf == FrameAllocator.OOM) {
                    release(p, cache);
                    return AccessResult.OOM;
                }
                mem.copy(old, nf);
                p.newFrame = nf;
                p.kind = REPLACE;
                p.newPte = fmt.leaf(nf, leafProt(a, true), Prot.DIRTY | Prot.YOUNG);
                p.what = SpaceStats.Fault.COW_COPY;
                return RETRY;
            }
            // Permitted: the access flag or software dirty state (arm64 without hardware AF/DBM),
            // or a stale TLB entry another fault already fixed.
            p.kind = REWRITE;
            p.op = write ? OP_YOUNG_DIRTY : OP_YOUNG;
            p.what = SpaceStats.Fault.ACCESS_FLAG;
            return RETRY;
        }
        if (file != null) {
            final long f = file.getPage(a.pgoffAt(va), cache);
            if (f == FileObject.SIGBUS) {
                return AccessResult.SIGBUS;
            }
            if (f == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
            if (shared || !write) {
                p.newFrame = f;
                p.kind = INSTALL;
                p.newPte = fmt.leaf(f, leafProt(a, shared), Prot.YOUNG | (write ? Prot.DIRTY : 0));
                p.what = SpaceStats.Fault.FILE;
                return RETRY;
            }
            final long nf = frames.alloc(cache, FrameAllocator.DATA, false);
            if (nf == FrameAllocator.OOM) {
                frames.put(f, cache);
                return AccessResult.OOM;
            }
            mem.copy(f, nf);
            frames.put(f, cache);
            p.newFrame = nf;
            p.kind = INSTALL;
            p.newPte = fmt.leaf(nf, leafProt(a, true), Prot.YOUNG | Prot.DIRTY);
            p.what = SpaceStats.Fault.COW_COPY;
            return RETRY;
        }
        // Private anonymous memory: a zeroed page of its own (Linux would map the shared zero page
        // read-only for a read; this emulator gives every touched page a frame).
        final long nf = frames.alloc(cache, FrameAllocator.DATA, true);
        if (nf == FrameAllocator.OOM) {
            return AccessResult.OOM;
        }
        p.newFrame = nf;
        p.kind = INSTALL;
        p.newPte = fmt.leaf(nf, zeroPageProt(a, access), Prot.YOUNG | (write ? Prot.DIRTY : 0));
        p.what = SpaceStats.Fault.ZERO_FILL;
        return RETRY;
    }

    /** => PTL, validated. Installs what was prepared. */
    private void apply(Prep p, long table, int idx, long va, Cpu cpu) {
        switch (p.kind) {
            case INSTALL:
                pmap.install(table, idx, p.newPte);
                p.newFrame = -1; // the mapping's reference now
                break;
            case REPLACE: {
                // COW break: clear, flush everywhere, then write; only then may the old frame go.
                final long old = pmap.replace(table, idx, va, p.newPte, cpu);
                p.newFrame = -1;
                p.unmapped = fmt.frame(old);
                break;
            }
            case REWRITE: {
                final int op = p.op;
                final int prot = p.prot;
                pmap.rewrite(table, idx, va, (x, cur) -> rewriteOp(cur, op, prot));
                break;
            }
            default:
                break;
        }
    }

    private long rewriteOp(long cur, int op, int prot) {
        switch (op) {
            case OP_YOUNG:
                return fmt.mkyoung(cur);
            case OP_YOUNG_DIRTY:
                return fmt.writable(cur) ? fmt.mkdirty(fmt.mkyoung(cur)) : fmt.mkyoung(cur);
            case OP_WRITE_DIRTY:
                return fmt.mkdirty(fmt.mkyoung(fmt.mkwrite(cur)));
            case OP_UNPROTNONE:
                return fmt.leaf(fmt.frame(cur), prot, Prot.YOUNG | (fmt.dirty(cur) ? Prot.DIRTY : 0));
            default:
                throw new AssertionError(op);
        }
    }

    /** No lock held. Drops whatever references the attempt still holds. */
    private void release(Prep p, FrameCache cache) {
        if (p.newFrame >= 0) {
            frames.put(p.newFrame, cache);
            p.newFrame = -1;
        }
        if (p.pinned >= 0) {
            frames.put(p.pinned, cache);
            p.pinned = -1;
        }
        if (p.unmapped >= 0) {
            frames.put(p.unmapped, cache);
            p.unmapped = -1;
        }
    }

    @Override
    protected int faultWithoutCpu(long va, int access) {
        return slowFault(null, va, access);
    }

    @Override
    protected int layoutReadLock() {
        return domain.readLock();
    }

    @Override
    protected void layoutReadUnlock(int token) {
        domain.readUnlock(token);
    }

    @Override
    protected Area areaAt(long va) {
        final Vma v = tree.lookup(va);
        return v == null ? null : v.area();
    }

    // ------------------------------------------------------------------------------------------
    // Writers

    @Override
    protected void commit(LayoutPlan plan, Change change, long start, long end, int prot) {
        assert mmapLock.isWriteLockedByCurrentThread();
        final VmaTree.Batch b = tree.prepare(plan);
        for (Vma v : b.addedRecords()) {
            if (v.backing() instanceof FileObject f) {
                f.acquire();
                noteMapped(v.area());
            }
        }
        final LongArrayList freed = zapped;
        freed.clear();
        if (hasBug(FaultBug.ZAP_BEFORE_MARK_DEAD)) {
            changePtes(change, start, end, prot, freed);
            hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, start);
            b.markDead();
            hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, start);
            b.publish();
            hooks.at(FaultHooks.Point.WRITER_AFTER_PUBLISH, this, start);
        } else if (hasBug(FaultBug.PUBLISH_BEFORE_ZAP)) {
            b.markDead();
            hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, start);
            b.publish();
            hooks.at(FaultHooks.Point.WRITER_AFTER_PUBLISH, this, start);
            changePtes(change, start, end, prot, freed);
            hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, start);
        } else {
            // A removal (the range left empty) unlinks the tables it empties with its zap, before
            // the publication, and flushes once for both (the seeded bugs' orders above keep the
            // zap's own flush and free the tables after the publication).
            final long[] gap = change == Change.ZAP && leavesEmpty(plan, start, end) ? removalGap(start, end) : null;
            b.markDead();
            hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, start);
            final List<TablePage> unlinked = changePtes(change, start, end, prot, freed, gap);
            hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, start);
            b.publish();
            hooks.at(FaultHooks.Point.WRITER_AFTER_PUBLISH, this, start);
            if (gap != null) {
                assert Arrays.equals(gap, tableGap(start, end))
                        : Arrays.toString(gap) + " before the publication, " + Arrays.toString(tableGap(start, end)) + " after";
                freeZapped();
                pmap.retireTables(unlinked);
                retire(b);
                return;
            }
        }
        freeZapped();
        if (change == Change.ZAP) {
            freeTables(start, end);
        }
        retire(b);
    }

    /**
     * => mmap lock for writing, before the publication. Whether {@code plan} leaves [start, end)
     * empty: no added area overlaps it and every area there now is removed (a plan may also keep an
     * area in place, a FIXED mapping identical to the old one, which the zap still clears).
     */
    private boolean leavesEmpty(LayoutPlan plan, long start, long end) {
        final List<Area> added = plan.added();
        for (int i = 0; i < added.size(); i++) {
            final Area a = added.get(i);
            if (a.start() < end && a.end() > start) {
                return false;
            }
        }
        final List<Area> removed = plan.removed();
        final AreaIndex idx = index();
        for (Area a = idx.find(start); a != null && a.start() < end; a = idx.next(a)) {
            boolean gone = false;
            for (int i = 0; i < removed.size() && !gone; i++) {
                gone = removed.get(i) == a;
            }
            if (!gone) {
                return false;
            }
        }
        return true;
    }

    /**
     * => mmap lock for writing, after publish. Frees the frames the commit zapped ({@link #zapped}),
     * now, or, in munmap, after the downgrade ({@link #unmapUnlock}).
     */
    private void freeZapped() {
        if (unmapping) {
            freeAfterDowngrade = true;
        } else {
            putAll(zapped);
            zapped.clear();
        }
    }

    /** => mmap lock for writing, after publish. Drops the removed records' file references after a grace period, and the records. */
    private void retire(VmaTree.Batch b) {
        final List<FileObject> files = new ArrayList<>();
        for (Vma v : b.removedRecords()) {
            if (v.backing() instanceof FileObject f) {
                files.add(f);
                if (!exited) {
                    noteUnmapped(v.area());
                }
            }
        }
        if (!files.isEmpty()) {
            domain.call(() -> files.forEach(FileObject::release));
        }
        b.retire();
    }

    /**
     * Drops the references of zapped PTEs: into the frame cache of the CPU bound to the calling
     * thread, if any (a writer is usually a thread of the space: its cache gives frames back to the
     * global stack a batch at a time), else one by one.
     */
    private void putAll(LongArrayList freed) {
        FrameCache cache = null;
        for (Cpu c : machine.cpus()) {
            if (c.isBoundToCurrentThread()) {
                cache = c.frameCache();
                break;
            }
        }
        for (int i = 0; i < freed.size(); i++) {
            frames.put(freed.getLong(i), cache);
        }
    }

    /** => mmap lock for writing; nothing maps [start, end) any more. Linux free_pgd_range's floor and ceiling. */
    private void freeTables(long start, long end) {
        final long[] gap = tableGap(start, end);
        if (gap != null) {
            pmap.freeTables(start, end, gap[0], gap[1], null);
        }
    }

    /** {@link #changePtes(Change, long, long, int, LongArrayList, long[])} with no tables to unlink. */
    private void changePtes(Change change, long start, long end, int prot, LongArrayList freed) {
        changePtes(change, start, end, prot, freed, null);
    }

    /**
     * => mmap lock for writing, records dead. With {@code removalGap} (a ZAP that leaves the range
     * empty: its floor and ceiling), also unlinks the tables the range empties and flushes once for
     * the entries and the tables; returns the unlinked tables, for the caller to retire after the
     * publication.
     */
    private List<TablePage> changePtes(Change change, long start, long end, int prot, LongArrayList freed,
                                       long[] removalGap) {
        List<TablePage> unlinked = List.of();
        switch (change) {
            case ZAP: {
                // Linux's mmu_gather flushes only if an entry was cleared or a table freed: an area
                // never touched costs no shootdown. A removal also unlinks the tables it empties
                // (free_pgtables) and flushes once for both, as tlb_finish_mmu does.
                final boolean cleared = pmap.zapRange(start, end, (va, old) -> freed.addLong(fmt.frame(old))) > 0;
                if (removalGap != null) {
                    unlinked = pmap.unlinkTables(start, end, removalGap[0], removalGap[1]);
                }
                if (cleared || !unlinked.isEmpty()) {
                    pmap.flushRange(start, end, !unlinked.isEmpty(), null);
                }
                break;
            }
            case PROTECT: {
                final long n = pmap.protectRange(start, end, (va, old) -> lowerLeaf(fmt, old, prot));
                if (n > 0 && !hasBug(FaultBug.MPROTECT_SKIP_FLUSH)) {
                    pmap.flushRange(start, end, false, null);
                }
                break;
            }
            default:
                break;
        }
        return unlinked;
    }

    @Override
    protected long commitMove(LayoutPlan plan, long oldStart, long oldLen, long newStart, long newLen, long len,
                              List<Area> movedAreas, boolean keepOld) {
        assert mmapLock.isWriteLockedByCurrentThread();
        if (!allocMoveTables(oldStart, newStart, len)) {
            return -dev.specfault.fault.Errno.ENOMEM;
        }
        final VmaTree.Batch b = tree.prepare(plan);
        for (Vma v : b.addedRecords()) {
            if (v.backing() instanceof FileObject f) {
                f.acquire();
                noteMapped(v.area());
            }
        }
        b.markDead();
        // DONTUNMAP: the source areas the plan keeps as they are stay live; their records are
        // write-locked (vma_start_write) while their pages leave, so that a fault there falls back and
        // waits instead of filling a page the layout has not yet moved away from.
        final List<Vma> kept = keepOld ? writeLockKept(plan, oldStart, oldStart + len) : List.of();
        hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, oldStart);
        final Long2LongHashMap moved = new Long2LongHashMap(-1);
        if (pmap.zapRange(oldStart, oldStart + len, (va, old) -> moved.put(va, old)) > 0) {
            pmap.flushRange(oldStart, oldStart + len, false, null);
        }
        // The FIXED target's pages (under each moved area: a multi-area move keeps the target's
        // pages across from its holes) and the tail a shrinking move drops: dropped, under the same
        // dead records, before the one publication.
        final LongArrayList freed = zapped;
        freed.clear();
        for (Area a : movedAreas) {
            changePtes(Change.ZAP, a.start(), a.end(), 0, freed);
        }
        if (oldLen > len) {
            changePtes(Change.ZAP, oldStart + len, oldStart + oldLen, 0, freed);
        }
        hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, oldStart);
        // Linux move_vma: the new records are write-locked while their entries arrive, so a fault
        // there falls back and waits for us instead of filling a page the move then collides with.
        for (Vma v : b.addedRecords()) {
            v.beginWrite(); // not yet in the tree: the record's own sequence, odd before it is published
        }
        b.publish();
        hooks.at(FaultHooks.Point.WRITER_AFTER_PUBLISH, this, oldStart);
        moved.forEach((va, e) -> {
            final long dva = newStart + (va - oldStart);
            final long t = pmap.leafTable(dva);
            final TablePage tp = pmap.tablePage(t);
            tp.lock();
            try {
                pmap.install(t, Arch.index(dva, 1), e);
            } finally {
                tp.unlock();
            }
        });
        for (Vma v : b.addedRecords()) {
            v.endWrite();
        }
        for (Vma v : kept) {
            tree.endWrite(v);
        }
        // The zap uncounted the mappings and the installs counted them again: the frames' references move along.
        putAll(freed);
        freed.clear();
        if (!keepOld) {
            freeTables(oldStart, oldStart + oldLen);
        }
        retire(b);
        return 0;
    }

    /** => mmap lock for writing: the live records over [start, end) that {@code plan} leaves in place, write-locked. */
    private List<Vma> writeLockKept(LayoutPlan plan, long start, long end) {
        final List<Vma> kept = new ArrayList<>();
        for (Area a : index().overlapping(start, end)) {
            if (!plan.removed().contains(a)) {
                final Vma v = tree.find(a.start());
                tree.beginWrite(v);
                kept.add(v);
            }
        }
        return kept;
    }

    @Override
    protected void discard(Area a, long start, long end) {
        assert mmapLock.isWriteLockedByCurrentThread();
        final Vma v = tree.find(a.start());
        tree.beginWrite(v);
        hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, start);
        final LongArrayList freed = new LongArrayList();
        if (pmap.zapRange(start, end, (va, old) -> freed.addLong(fmt.frame(old))) > 0) {
            pmap.flushRange(start, end, false, null);
        }
        hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, start);
        tree.endWrite(v);
        putAll(freed);
    }

    /**
     * => mmap lock for writing. A truncation's zap is {@link #discard}'s, unless the seeded bug
     * truncate-without-write-seq leaves the record's write sequence alone: a fault that got its
     * page from the cache before the truncation took it out validates and installs it after the zap.
     */
    @Override
    protected void truncateDiscard(Area a, long start, long end) {
        if (!hasBug(FaultBug.TRUNCATE_WITHOUT_WRITE_SEQ)) {
            discard(a, start, end);
            return;
        }
        assert mmapLock.isWriteLockedByCurrentThread();
        final LongArrayList freed = new LongArrayList();
        if (pmap.zapRange(start, end, (va, old) -> freed.addLong(fmt.frame(old))) > 0) {
            pmap.flushRange(start, end, false, null);
        }
        putAll(freed);
    }

    /**
     * => mmap lock for writing. MADV_FREE: as a non-replacing writer (the record's write sequence
     * odd across the PTE changes and the flush), each leaf made clean and old in place under its PTL
     * and its page marked lazy-free ({@link #lazyFreeLeaf}).
     */
    @Override
    protected void lazyFree(Area a, long start, long end) {
        assert mmapLock.isWriteLockedByCurrentThread();
        final Vma v = tree.find(a.start());
        tree.beginWrite(v);
        try {
            final long n = pmap.protectRange(start, end, (va, old) -> lazyFreeLeaf(old));
            if (n > 0) {
                pmap.flushRange(start, end, false, null);
            }
        } finally {
            tree.endWrite(v);
        }
    }

    /**
     * Reclaim of lazy-free pages. The walk takes the mmap lock for reading, as MGLRU's page-table
     * walk does (walk_mm: mmap_read_trylock): no writer runs meanwhile, so no table is freed under
     * it and fork's copy (which shares frames outside the parent's PTLs) is excluded. Each page is
     * then unmapped under its PTL ({@link Pmap#reclaimLazyFree}: get-and-clear, flush, decide).
     * Faults run beside it: a speculative one validates its entry under the PTL and retries if the
     * reclaim changed it; an entry put back is the entry it was.
     */
    @Override
    protected long reclaimLazyFreeLocked(long start, long end) {
        final ReentrantReadWriteLock.ReadLock rl = mmapLock.readLock();
        acquire(rl);
        try {
            if (exited) {
                return 0;
            }
            final LongArrayList candidates = new LongArrayList();
            index().forEachOverlapping(start, end, a -> {
                if (lazyFreeable(a)) {
                    pmap.forEachLeaf(Math.max(start, a.start()), Math.min(end, a.end()), (va, e) -> {
                        if (frames.isLazyFree(fmt.frame(e))) {
                            candidates.addLong(va);
                        }
                    });
                }
            });
            final LongArrayList freed = new LongArrayList();
            for (int i = 0; i < candidates.size(); i++) {
                final long va = candidates.getLong(i);
                final long table = pmap.leafTable(va);
                if (table < 0) {
                    continue;
                }
                final int idx = Arch.index(va, 1);
                final TablePage tp = pmap.tablePage(table);
                if (tp.lock()) {
                    stats.ptlWait();
                }
                try {
                    final long e = pmap.pte(table, idx); // under the PTL: only A/D change meanwhile
                    final int r = pmap.reclaimLazyFree(table, idx, va, 1, null);
                    if (r == Pmap.LAZY_DISCARDED) {
                        freed.addLong(fmt.frame(e)); // the mapping's reference, dropped after unlock
                        stats.lazyFreed();
                    } else if (r == Pmap.LAZY_KEPT) {
                        stats.lazyKept();
                    }
                } finally {
                    tp.unlock();
                }
            }
            putAll(freed);
            return freed.size();
        } finally {
            rl.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // fork and exit

    @Override
    protected AddressSpace forkOnce() {
        writeLock();
        try {
            if (exited) {
                return null;
            }
            final SpeculativeSpace child;
            try {
                child = new SpeculativeSpace(options.forChild(name + "'"));
            } catch (dev.specfault.fault.OutOfFramesException e) {
                return null; // pgd_alloc failed: ENOMEM
            }
            child.startBrk = startBrk;
            child.brk = brk;
            final List<Area> all = new ArrayList<>();
            index().forEachOverlapping(0, config.taskSize(), all::add);
            child.writeLock();
            try {
                all.removeIf(a -> (a.flags() & VmaFlags.DONTCOPY) != 0); // dup_mmap skips VM_DONTCOPY areas
                for (Area a : all) {
                    // dup_mmap: a child does not inherit VM_LOCKED.
                    final Area c = forkCopy(a);
                    // One area for one, never merged (dup_mmap copies the list as it is).
                    child.commit(new LayoutPlan(List.of(), List.of(c), false), Change.NONE, c.start(), c.end(), 0);
                }
                // dup_mmap write-locks each area as it reaches it (vma_start_write) and releases
                // them all only when the fork ends (mmap_write_unlock's vma_end_write_all): a
                // speculative fault on an area already copied waits for the whole fork, so the
                // child holds the parent's memory as at one instant. An area's sequence made even
                // right after its own copy let a store to it finish mid-fork, before a store to an
                // area not yet reached that the child then got (P4).
                final boolean seq = !hasBug(FaultBug.FORK_WITHOUT_WRITE_SEQ);
                final List<Vma> writing = new ArrayList<>();
                try {
                    for (Area a : all) {
                        final Vma v = tree.find(a.start());
                        if (seq) {
                            tree.beginWrite(v);
                            writing.add(v);
                        }
                        // dup_mmap: a VM_WIPEONFORK area (MADV_WIPEONFORK's, MAP_DROPPABLE's) starts
                        // empty in the child, and its parent's entries are not write-protected.
                        if ((a.flags() & (VmaFlags.SHARED | VmaFlags.WIPEONFORK)) == 0 && !copyPrivate(child, a)) {
                            child.writeUnlock();
                            child.exit();
                            return null;
                        }
                        if (seq && hasBug(FaultBug.FORK_SEQ_PER_AREA)) {
                            writing.remove(writing.size() - 1);
                            tree.endWrite(v); // seeded bug: released before the fork ends
                        }
                    }
                } finally {
                    writing.forEach(tree::endWrite);
                }
            } finally {
                if (child.mmapLock.isWriteLockedByCurrentThread()) {
                    child.writeUnlock();
                }
            }
            return child;
        } finally {
            writeUnlock();
        }
    }

    /** What one leaf page table maps: 512 pages on both architectures. */
    private static final long LEAF_TABLE_SPAN = 512L * PhysicalMemory.PAGE_SIZE;

    /**
     * => both mmap locks for writing, the area's write sequence odd (fork's caller keeps it so
     * until the fork ends; a speculative fault that decided to reuse a page in place fails its
     * re-check). Linux copy_page_range for a private area: write-protect the parent's entries,
     * share the frames with the child read-only, flush the parent.
     */
    private boolean copyPrivate(SpeculativeSpace child, Area a) {
        hooks.at(FaultHooks.Point.WRITER_AFTER_MARK, this, a.start());
        // The entries to copy, with their addresses, in the order the walk visits them.
        final LongArrayList vas = new LongArrayList();
        final LongArrayList entries = new LongArrayList();
        final boolean writable = (a.prot() & Prot.WRITE) != 0;
        pmap.protectRange(a.start(), a.end(), (va, old) -> {
            final long n = writable && fmt.present(old) && fmt.writable(old) ? fmt.wrprotect(old) : old;
            final int last = vas.size() - 1;
            if (last >= 0 && vas.getLong(last) == va) {
                // Pmap.rewrite asks again when its CAS lost to the hardware (an A or D bit set
                // meanwhile): the entry written is this last answer, copied once.
                entries.setLong(last, n);
            } else {
                vas.addLong(va);
                entries.addLong(n);
            }
            return n;
        });
        if (writable && !vas.isEmpty()) {
            pmap.flushRange(a.start(), a.end(), false, null);
        }
        hooks.at(FaultHooks.Point.WRITER_AFTER_ZAP, this, a.start());
        // copy_pte_range: a leaf table at a time, its PTL taken once for all its entries (the
        // child runs nowhere yet). Per entry, a walk from the root and a lock made the copy of
        // a 16 MiB area three times the locked design's fork (which copies no entries).
        long table = -1;
        long tableEnd = 0;
        TablePage held = null;
        try {
            for (int i = 0; i < vas.size(); i++) {
                final long va = vas.getLong(i);
                if (held == null || va >= tableEnd || va < tableEnd - LEAF_TABLE_SPAN) {
                    if (held != null) {
                        held.unlock();
                        held = null;
                    }
                    table = child.pmap.leafTableAlloc(va, null);
                    if (table == FrameAllocator.OOM) {
                        return false;
                    }
                    tableEnd = (va & -LEAF_TABLE_SPAN) + LEAF_TABLE_SPAN;
                    held = child.pmap.tablePage(table);
                    held.lock();
                }
                final long e = entries.getLong(i);
                frames.get(fmt.frame(e)); // the child's mapping's reference
                child.pmap.install(table, Arch.index(va, 1), fmt.mkold(e));
            }
        } finally {
            if (held != null) {
                held.unlock();
            }
        }
        return true;
    }

    @Override
    public void exit() {
        writeLock();
        try {
            if (exited) {
                return;
            }
            exited = true;
            forgetMapped();
            final LayoutPlan plan = LayoutPlanner.unmap(index(), 0, config.taskSize());
            final VmaTree.Batch b = tree.prepare(plan);
            b.markDead();
            final LongArrayList freed = new LongArrayList();
            pmap.teardown((va, old) -> freed.addLong(fmt.frame(old)), null);
            b.publish();
            putAll(freed);
            retire(b);
            tree.destroy();
            machine.spaceExited(domain);
        } finally {
            writeUnlock();
        }
    }

    /** Waits until everything this space retired has been freed (SRCU barrier). */
    public void quiesce() {
        domain.barrier();
    }

    // ------------------------------------------------------------------------------------------
    // Views and checks

    @Override
    public List<Area> areas() {
        final List<Area> out = new ArrayList<>();
        final int token = domain.readLock();
        try {
            tree.forEachOverlapping(0, config.taskSize(), v -> out.add(v.area()));
        } finally {
            domain.readUnlock(token);
        }
        return out;
    }

    /**
     * P4 for a file page's entry (as the locked design's checkLeaf): none past the file's end; in a
     * shared mapping it maps the page cache's page; in a private one, the page cache's page only
     * read-only (a store through it would write the file), any other frame being the area's own copy.
     */
    private void checkFileLeaf(Area a, FileObject file, long va, long e, List<String> out) {
        final long cached = file.cachedFrame(a.pgoffAt(va));
        final long frame = fmt.frame(e);
        if (a.pgoffAt(va) >= file.pageCount()) {
            // A truncation zaps every mapping past the new end, private copies too (even_cows).
            out.add("P4: " + name + " leaf at 0x" + Long.toHexString(va) + " maps 0x" + Long.toHexString(frame)
                    + " past the end of " + file);
            return;
        }
        if ((a.flags() & VmaFlags.SHARED) != 0) {
            if (cached != frame) {
                out.add("P4: " + name + " leaf at 0x" + Long.toHexString(va) + " maps 0x" + Long.toHexString(frame)
                        + " in a shared file mapping, not the file's page");
            }
        } else if (frame == cached && fmt.writable(e)) {
            out.add("P4: " + name + " leaf at 0x" + Long.toHexString(va) + " maps the file's page 0x"
                    + Long.toHexString(frame) + " writable in a private file mapping");
        }
    }

    @Override
    public List<String> checkQuiet(long start, long end) {
        final List<String> out = new ArrayList<>(machine.checkTlbs());
        if (exited) {
            return out;
        }
        final int token = domain.readLock();
        try {
            pmap.forEachLeaf(start, end, (va, e) -> {
                final Vma v = tree.find(va);
                if (frames.isFree(fmt.frame(e))) {
                    out.add("P0: " + name + " leaf at 0x" + Long.toHexString(va) + " maps free frame 0x"
                            + Long.toHexString(fmt.frame(e)));
                }
                if (v == null || v.start() > va) {
                    out.add("P1: " + name + " leaf at 0x" + Long.toHexString(va) + " outside every area");
                } else if (fmt.writable(e) && (v.prot() & Prot.WRITE) == 0) {
                    out.add("P5: " + name + " writable leaf at 0x" + Long.toHexString(va) + " in " + v.area());
                } else if (v.area().backing() instanceof FileObject file && file.kind() == FileObject.Kind.FILE) {
                    checkFileLeaf(v.area(), file, va, e, out);
                }
            });
            checkTlbCoverage(out);
        } finally {
            domain.readUnlock(token);
        }
        return out;
    }
}
