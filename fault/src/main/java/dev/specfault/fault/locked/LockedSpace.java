package dev.specfault.fault.locked;

import dev.specfault.fault.AbstractSpace;
import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Errno;
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
import dev.specfault.vma.VmMap;
import dev.specfault.vma.VmaFlags;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongArrayList;

/**
 * The locked design: OpenBSD UVM's fault handler and address-space locking on the emulated
 * machine, with the same system-call semantics as the speculative design ({@link AbstractSpace}).
 * Also the kernel-lock mode ({@link Design#KERNEL_LOCK}): the same, with every fault under one
 * lock per machine, the historical baseline.
 *
 * <h2>Objects</h2>
 * <pre>
 *   VmMap (vm_map)  ──entries──▶ Area                           layout, under the map lock
 *   ArefMap         ──ranges───▶ Aref ──▶ Amap ──slots──▶ Anon ──▶ frame     upper layer
 *   Area.backing    ───────────▶ FileObject (page cache) + its object lock       lower layer
 *   Pmap            ───────────▶ leaves, under the pmap lock
 * </pre>
 *
 * <h2>Lock order</h2>
 * MAPS → AMAP → UOBJ → PMAP (UVM's "MAPS => AMAP => UOBJ => ANON", the pmap lock innermost; an
 * anon is under its amap's lock). docs/locking.md has the table of which operation takes what.
 *
 * <h2>A fault ({@link #handleFault}), after {@code uvm_fault}</h2>
 * <pre>
 *   [kernel-lock mode: KERNEL_LOCK()]
 *   loop:                                                        every restart counted by cause
 *     map lock shared; entry = lookup(va)        none: SIGSEGV; below a GROWSDOWN area: grow
 *     private, (write or anonymous), no aref or needs-copy:
 *         unlock; amap_copy under the map lock EXCLUSIVE (re-lookup); restart      (AMAP_COPY)
 *     amap lock: shared for a read fault, exclusive for a write (upper_lock_type)
 *     anon in the slot ─▶ upper: not resident under the shared lock → ENOLCK → upgrade
 *                                write, an_ref > 1 → promote (COW copy)
 *                                else map the anon's page (writable iff an_ref == 1 and no needs-copy)
 *     no anon          ─▶ lower: anonymous → promote (zero fill)
 *                                file: object lock; page not resident → I/O with map and amap
 *                                      unlocked, then relock and compare the map timestamp
 *                                      (uvmfault_relock: changed → restart, MAP_VERSION);
 *                                      private write → promote (copy), else map the page
 *     promote under the shared amap lock: try RW_UPGRADE|RW_NOSLEEP (flt_up); failed (flt_noup):
 *         unlock everything, restart with the amap lock exclusive           (UPGRADE_FAILED)
 *     pmap_enter under the pmap lock
 * </pre>
 * A restart is never lost work on a wrong path: each cause either changes the lock mode for the
 * next attempt (upgrade failed) or means another thread changed the map meanwhile; so the loop
 * ends unless writers keep changing this very map.
 *
 * <h2>Stack growth</h2>
 * A fault below a GROWSDOWN area: for the main stack, the address is checked against
 * {@link #maxsaddr} ({@code vm_maxsaddr}, immutable) with no lock; the layout grows and
 * {@link #ssize} ({@code vm_ssize}, mutable) is read and changed under the map lock held
 * exclusively (the 2020 uvm_grow review).
 *
 * <h2>Writers</h2>
 * Every system call holds the map lock exclusively ({@link AbstractSpace}); PTE changes take the
 * pmap lock; aref changes take the amap locks they touch; every change bumps the map timestamp.
 * No fault of this space runs meanwhile (faults hold the map lock shared), so the order of layout
 * change and zap does not matter to faults, only to the hardware: zap, flush, then free.
 *
 * <h2>exit ({@link #exit}): purge</h2>
 * stop the CPUs, detach every CPU still pointing here (lazy ones too), flush the PCID/ASID, zap,
 * free frames and tables, drop the arefs (the uvm_purge thread's order).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [m] the map lock: written exclusively, read shared
 *   [a] volatile
 *   [c] the thread bound to the CPU of the slot's index
 * </pre>
 */
public final class LockedSpace extends AbstractSpace implements FaultHandler {
    /**
     * Choices of the locked design beyond {@link SpaceOptions}.
     *
     * @param sharedObjectLock   take object locks shared on lower faults (NetBSD's choice; OpenBSD
     *                           takes them exclusively, the default), upgrading to page in
     * @param detachUnderMapLock drop a removed range's amap references (freeing its anons and their
     *                           pages) before the map lock is released, not after it as OpenBSD's
     *                           {@code uvm_unmap_detach} does (the default); for A/B measurements,
     *                           {@code -Dspecfault.locked.detach=locked}
     */
    public record Tuning(boolean sharedObjectLock, boolean detachUnderMapLock) {
        public static Tuning defaults() {
            return new Tuning(false, "locked".equals(System.getProperty("specfault.locked.detach")));
        }
    }

    /** Internal results of one attempt. */
    private static final int ERESTART = -200;
    private static final int NEED_AMAP_COPY = -201;
    private static final int NEED_GROW = -202;
    private static final int NEED_ANON = -203;

    private static final long CHUNK_BYTES = (long) Amap.CHUNK_PAGES << PhysicalMemory.PAGE_SHIFT;

    private final SpaceOptions options; // [I]
    private final Tuning tuning; // [I]
    private final Design design; // [I]
    private final LockedKernel kernel; // [I]
    private final ReentrantLock kernelLock; // [I] null unless kernel-lock mode
    private final SrcuDomain domain; // [I] frees table pages
    private final Pmap pmap; // [I]
    private final PteFormat fmt; // [I]
    private final PhysicalMemory mem; // [I]
    private final FrameAllocator frames; // [I]
    private final VmMap map; // [I], entries [m]
    /**
     * Each CPU's fault context, reused by the thread bound to it (UVM's {@code uvm_faultctx} lives
     * on the faulting thread's stack); a new one per fault was Java garbage the kernel does not make.
     */
    private final Flt[] contexts; // [c]
    private final ArefMap arefs; // [m]
    /** Each file some area of this space maps. FileObject: identity equality, a hash of its own. */
    private final Map<FileObject, ObjRef> objLocks = new HashMap<>(); // [m]

    /** A file's object lock (the machine's, {@link LockedKernel#objectLock}) and the areas of this space that map it. */
    private static final class ObjRef {
        final RwLock lock; // [I]
        int areas; // [m]

        ObjRef(RwLock lock) {
            this.lock = lock;
        }
    }
    /** vm_minsaddr: the top of the main stack. [I] */
    private final long minsaddr;
    /** vm_maxsaddr: the lowest address the main stack may grow to. [I] */
    private final long maxsaddr;
    /** vm_ssize: pages the main stack has grown to. [m] */
    private long ssize;
    /** A stack growth is committing (its accounting is uvm_grow's). [m] */
    private boolean growing;
    private volatile boolean exited; // [a], written under [m]

    private LockedSpace(SpaceOptions o, Tuning t) {
        super(o.name(), o.machine(), o.config(), o.bugs(), o.hooks());
        if (o.design() != Design.LOCKED && o.design() != Design.KERNEL_LOCK) {
            throw new IllegalArgumentException("not a locked design: " + o.design());
        }
        this.options = o;
        this.tuning = t;
        this.design = o.design();
        this.kernel = LockedKernel.of(machine);
        this.kernelLock = design == Design.KERNEL_LOCK ? kernel.kernelLock() : null;
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
        this.arefs = new ArefMap(frames, stats, machine.cpuCount(), t.detachUnderMapLock());
        this.map = new VmMap(false, machine.cpuCount());
        this.contexts = new Flt[machine.cpuCount()];
        this.minsaddr = config.stackTop();
        this.maxsaddr = Math.max(0, config.stackTop() - config.rlimitStack());
        pmap.setHandler(this);
    }

    /** A new space with the default tuning. */
    public static LockedSpace create(SpaceOptions o) {
        return create(o, Tuning.defaults());
    }

    /** A new space; with the initial stack mapped if the configuration asks for it. */
    public static LockedSpace create(SpaceOptions o, Tuning t) {
        final LockedSpace s = new LockedSpace(o, t);
        s.mapInitialStackIfConfigured();
        return s;
    }

    @Override
    public Design design() {
        return design;
    }

    @Override
    public Pmap pmap() {
        return pmap;
    }

    @Override
    public boolean isExited() {
        return exited;
    }

    public Tuning tuning() {
        return tuning;
    }

    /** The vm_map (tests: its timestamp and lock queue). */
    VmMap vmMap() {
        return map;
    }

    /** vm_ssize in pages (racy read: for tests and reports). */
    public long stackSize() {
        return ssize;
    }

    // ------------------------------------------------------------------------------------------
    // Locks

    @Override
    protected void writeLock() {
        // A safe point, as in the speculative design: the page-table pages this thread's earlier
        // removals freed through the pmap's SRCU domain go back to the allocator on its own CPU
        // (OpenBSD's pmap frees its PTPs on the CPU that removed them).
        pmap().domain().poll();
        if (!map.tryWriteLock()) {
            stats.lockWait();
            map.writeLock();
        }
    }

    /**
     * Drops the map lock, then the amap references of what this writer operation removed ({@code
     * uvm_unmap}: {@code vm_map_unlock}, then {@code uvm_unmap_detach}); a fault waiting for the map
     * does not wait for the anons and pages to be freed.
     */
    @Override
    protected void writeUnlock() {
        final List<Aref> dead = arefs.takeDead();
        map.writeUnlock();
        try {
            hooks.at(FaultHooks.Point.LOCKED_WRITER_UNLOCKED, this, 0);
        } finally {
            arefs.detach(dead);
        }
    }

    private void mapReadLock() {
        if (!map.tryReadLock()) {
            stats.lockWait();
            map.readLock();
        }
    }

    private void lockPmap() {
        final ReentrantLock pl = pmap.pmapLock();
        if (!pl.tryLock()) {
            stats.ptlWait();
            pl.lock();
        }
    }

    private void unlockPmap() {
        pmap.pmapLock().unlock();
    }

    @Override
    protected AreaIndex index() {
        assert map.isLockedByCurrentThread();
        return map;
    }

    /** => map lock (any mode). The object lock of {@code f} (a file some area of this space maps). */
    private RwLock objLock(FileObject f) {
        final ObjRef r = objLocks.get(f);
        assert r != null : "no object lock for " + f;
        return r.lock;
    }

    /** The amap lock of the page at {@code va} (tests), or null. */
    RwLock amapLockAt(long va) {
        mapReadLock();
        try {
            final Aref r = arefs.lookup(va);
            return r == null ? null : r.amap().lock;
        } finally {
            map.readUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // The fault path

    /** One fault's state across its attempts ({@code uvm_faultctx} with the locks it holds); each CPU's own, reused ([c]). */
    private final class Flt {
        /** In use by a fault on its CPU (a hook may fault again on the same CPU meanwhile). */
        boolean busy; // [c]
        Cpu cpu; // [c]
        long va; // [c]
        int access; // [c]
        boolean write; // [c]
        FrameCache cache; // [c]
        /** upper_lock_type: READ, or WRITE for a write fault and after a failed upgrade. */
        int upperLock; // [c]
        /** lower_lock_type. */
        int lowerLock; // [c]
        boolean mapLocked; // [c]
        Amap amap; // [c]
        long amapStamp; // [c]
        RwLock obj; // [c]
        long objStamp; // [c]
        Area growArea; // [c]

        /** The faulting CPU's index, or -1 (populate). */
        int cpuId() {
            return cpu == null ? -1 : cpu.id();
        }

        /** Starts a fault with this context (it holds no lock between faults). */
        Flt start(Cpu c, long address, int how) {
            busy = true;
            cpu = c;
            va = address;
            access = how;
            write = how == Prot.ACCESS_WRITE;
            cache = c == null ? null : c.frameCache();
            upperLock = RwLock.READ;
            lowerLock = tuning.sharedObjectLock() ? RwLock.READ : RwLock.WRITE;
            mapLocked = false;
            amap = null;
            amapStamp = 0;
            obj = null;
            objStamp = 0;
            growArea = null;
            return this;
        }

        void lockAmap(Amap m) {
            assert amapStamp == 0;
            amap = m;
            amapStamp = m.lock.enter(upperLock, stats);
        }

        /** rw_status of the amap lock as this fault holds it. */
        int amapHeld() {
            return amapStamp == 0 ? RwLock.NONE : RwLock.mode(amapStamp);
        }

        void unlockAmap() {
            if (amapStamp != 0) {
                amap.lock.exit(amapStamp);
                amapStamp = 0;
            }
        }

        void lockObj(RwLock l) {
            assert objStamp == 0;
            obj = l;
            objStamp = l.enter(lowerLock, stats);
        }

        int objHeld() {
            return objStamp == 0 ? RwLock.NONE : RwLock.mode(objStamp);
        }

        void unlockObj() {
            if (objStamp != 0) {
                obj.exit(objStamp);
                objStamp = 0;
            }
        }

        /** uvmfault_unlockall without the map. */
        void unlockAll() {
            unlockObj();
            unlockAmap();
        }
    }

    /**
     * => called by a CPU of this space, outside its access (pmap's contract); also by populate
     * with no CPU. Resolves the fault at {@code va}, or returns the signal.
     */
    @Override
    protected int handle(Cpu cpu, long va, int access, long walk) {
        if (exited) {
            return AccessResult.KILLED;
        }
        if (WalkResult.kind(walk) == WalkResult.NON_CANONICAL || WalkResult.kind(walk) == WalkResult.ADDRESS_SIZE
                || Long.compareUnsigned(va, config.taskSize()) >= 0) {
            return AccessResult.SIGSEGV;
        }
        return fault(cpu, va, access);
    }

    /** The fault, under the kernel lock in kernel-lock mode. */
    private int fault(Cpu cpu, long va, int access) {
        if (kernelLock == null) {
            return uvmFault(cpu, va, access);
        }
        if (!kernelLock.tryLock()) {
            stats.lockWait();
            kernelLock.lock();
        }
        try {
            return uvmFault(cpu, va, access);
        } finally {
            kernelLock.unlock();
        }
    }

    /** {@code uvm_fault}: attempts until one does not ask for a restart. */
    private int uvmFault(Cpu cpu, long va, int access) {
        final Flt f = takeContext(cpu).start(cpu, va, access);
        try {
            for (;;) {
                final int r = faultOnce(f);
                switch (r) {
                    case ERESTART:
                        continue; // counted where decided
                    case NEED_AMAP_COPY:
                        amapCopy(f);
                        stats.retry(SpaceStats.Retry.AMAP_COPY);
                        continue;
                    case NEED_GROW:
                        return grow(f);
                    case NEED_ANON:
                        anonPrepare(f);
                        stats.retry(SpaceStats.Retry.ANON_VMA);
                        continue;
                    default:
                        return r;
                }
            }
        } finally {
            f.busy = false;
        }
    }

    /** The CPU's own fault context unless it is in use or there is no CPU; else a new one. */
    private Flt takeContext(Cpu cpu) {
        if (cpu != null) {
            Flt f = contexts[cpu.id()];
            if (f == null) {
                f = new Flt();
                contexts[cpu.id()] = f;
            }
            if (!f.busy) {
                return f;
            }
        }
        return new Flt();
    }

    /** One attempt: {@code uvm_fault_check} and the upper or lower half. Releases every lock it took. */
    private int faultOnce(Flt f) {
        mapReadLock();
        f.mapLocked = true;
        try {
            if (exited) {
                return AccessResult.KILLED;
            }
            final Area a = map.find(f.va, f.cpuId());
            if (a == null) {
                return AccessResult.SIGSEGV;
            }
            if (a.start() > f.va) {
                if ((a.flags() & VmaFlags.GROWSDOWN) == 0 || f.cpu == null) {
                    // (No CPU: uvm_fault_wire's or a populate's fault, which does not grow a stack;
                    // only trap()'s uvm_grow does. Its area shrank meanwhile.)
                    return AccessResult.SIGSEGV;
                }
                f.growArea = a;
                return NEED_GROW;
            }
            if (!allowed(a.prot(), f.access)) {
                return AccessResult.SIGSEGV;
            }
            final boolean priv = (a.flags() & VmaFlags.SHARED) == 0;
            final FileObject file = a.backing() instanceof FileObject x ? x : null;
            final Aref ar = priv ? arefs.lookup(f.va, f.cpuId()) : null;
            // UVM: a needs-copy entry is copied on a write fault, or on any fault when there is no
            // object (the zero fill must go into an amap of our own); an entry with no amap gets one.
            // (amapCopy also gives the area its anonymous identity if the fault needs it.)
            if (priv && (f.write || file == null) && (ar == null || ar.needsCopy())) {
                return NEED_AMAP_COPY;
            }
            if (needsAnon(a, f.access)) {
                return NEED_ANON; // Linux's layout: the area's anon_vma, under the exclusive lock
            }
            final long table = pmap.leafTableAlloc(f.va, f.cache);
            if (table == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
            if (ar != null) {
                if (f.write) {
                    f.upperLock = RwLock.WRITE; // assume we are about to COW
                }
                f.lockAmap(ar.amap());
                final Anon anon = ar.amap().get(ar.slot(f.va));
                hooks.at(FaultHooks.Point.LOCKED_AMAP_LOCKED, this, f.va);
                if (anon != null) {
                    return upper(f, a, ar, anon, table);
                }
            }
            return lower(f, a, ar, file, table);
        } finally {
            f.unlockAll();
            if (f.mapLocked) {
                f.mapLocked = false;
                map.readUnlock();
            }
        }
    }

    /**
     * {@code uvm_fault_upper_upgrade}: => the amap lock held. Nothing to do if held exclusively;
     * otherwise try the upgrade without sleeping. 0 when the fault may promote, ERESTART when it
     * must unlock everything and start over with the exclusive lock.
     */
    private int upperUpgrade(Flt f) {
        assert f.amapStamp != 0;
        if (f.amapHeld() == RwLock.WRITE) {
            return 0;
        }
        f.upperLock = RwLock.WRITE; // the next attempt, if any, takes it exclusively
        hooks.at(FaultHooks.Point.LOCKED_BEFORE_UPGRADE, this, f.va);
        final long w = f.amap.lock.tryUpgrade(f.amapStamp);
        if (w == 0L) {
            stats.upgradeFailure();
            if (hasBug(FaultBug.UPGRADE_WITHOUT_RESTART)) {
                return 0; // seeded bug: go on under the shared lock
            }
            stats.retry(SpaceStats.Retry.UPGRADE_FAILED);
            return ERESTART;
        }
        f.amapStamp = w;
        stats.upgrade();
        return 0;
    }

    /** {@code uvm_fault_lower_upgrade}: the same for the object lock. */
    private int lowerUpgrade(Flt f) {
        assert f.objStamp != 0;
        if (f.objHeld() == RwLock.WRITE) {
            return 0;
        }
        f.lowerLock = RwLock.WRITE;
        hooks.at(FaultHooks.Point.LOCKED_BEFORE_UPGRADE, this, f.va);
        final long w = f.obj.tryUpgrade(f.objStamp);
        if (w == 0L) {
            stats.upgradeFailure();
            stats.retry(SpaceStats.Retry.UPGRADE_FAILED);
            return ERESTART;
        }
        f.objStamp = w;
        stats.upgrade();
        return 0;
    }

    /**
     * => the amap lock is held exclusively for a promotion ({@code KASSERT(rw_write_held(am_lock))}
     * in the seed's {@code uvmfault_promote}). The seeded bug upgrade-without-restart models a kernel
     * without DIAGNOSTIC: the assertion is what would panic at once; the scenario test shows the harm.
     */
    private boolean promoteLocked(Flt f) {
        return f.amapHeld() == RwLock.WRITE || hasBug(FaultBug.UPGRADE_WITHOUT_RESTART);
    }

    /** {@code uvm_fault_upper}: the slot has an anon. => map (shared), amap (upper_lock_type). */
    private int upper(Flt f, Area a, Aref ar, Anon anon, long table) {
        assert map.isLockedByCurrentThread() && f.amapHeld() != RwLock.NONE && f.amap == ar.amap();
        final Amap amap = ar.amap();
        // uvmfault_anonget: a page that is not resident needs the exclusive lock (ENOLCK).
        if (!anon.resident()) {
            if (f.amapHeld() == RwLock.READ) {
                stats.retry(SpaceStats.Retry.NOT_RESIDENT);
                if (upperUpgrade(f) != 0) {
                    return ERESTART;
                }
            }
            if (!pageIn(anon, f.cache)) {
                return AccessResult.OOM;
            }
        }
        if (f.write && anon.ref > 1) {
            // Promote: copy-on-write of a shared anon (flt_acow).
            if (upperUpgrade(f) != 0) {
                return ERESTART;
            }
            assert promoteLocked(f);
            final long nf = frames.alloc(f.cache, FrameAllocator.DATA, false);
            if (nf == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
            mem.copy(anon.frame, nf);
            final Anon old = amap.set(ar.slot(f.va), new Anon(nf));
            Amap.dropAnon(old, frames); // an_ref > 1: the other holders keep it
            pmapEnter(f, table, nf, leafProt(a, true), Prot.YOUNG | Prot.DIRTY);
            stats.fault(SpaceStats.Fault.COW_COPY);
            return RETRY;
        }
        final boolean writable = anon.ref == 1 && !ar.needsCopy();
        final long old = pmapEnter(f, table, anon.frame, leafProt(a, writable),
                Prot.YOUNG | (f.write ? Prot.DIRTY : 0));
        stats.fault(kind(old, anon.frame, f.write, SpaceStats.Fault.COW_REUSE, SpaceStats.Fault.ANON));
        return RETRY;
    }

    /** {@code uvm_fault_lower}: no anon in the slot (or no amap). => map (shared), amap if any. */
    private int lower(Flt f, Area a, Aref ar, FileObject file, long table) {
        assert map.isLockedByCurrentThread() && (ar == null || f.amapHeld() != RwLock.NONE);
        if (file == null) {
            // Anonymous memory: promote a zero-filled page into the amap.
            assert ar != null && !ar.needsCopy() : "anonymous fault without an amap of its own";
            if (upperUpgrade(f) != 0) {
                return ERESTART;
            }
            assert promoteLocked(f);
            final long nf = frames.alloc(f.cache, FrameAllocator.DATA, true);
            if (nf == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
            final Anon replaced = ar.amap().set(ar.slot(f.va), new Anon(nf));
            if (replaced != null) {
                Amap.dropAnon(replaced, frames); // only under the seeded bug: another promotion won
            }
            pmapEnter(f, table, nf, zeroPageProt(a, f.access), Prot.YOUNG | (f.write ? Prot.DIRTY : 0));
            stats.fault(SpaceStats.Fault.ZERO_FILL);
            return RETRY;
        }
        final boolean priv = (a.flags() & VmaFlags.SHARED) == 0;
        final long pgoff = a.pgoffAt(f.va);
        if (pgoff < 0 || pgoff >= file.pageCount()) {
            return AccessResult.SIGBUS;
        }
        final RwLock ol = objLock(file);
        f.lockObj(ol);
        long page;
        long tbl = table;
        if (file.cachedFrame(pgoff) < 0) {
            // uvm_fault_lower_io: the page is not resident. Page it in (zero it: the "I/O") with
            // the map and the amap unlocked, then relock and re-verify the state of the world.
            if (lowerUpgrade(f) != 0) {
                return ERESTART;
            }
            final long ts = map.timestamp();
            f.unlockAmap();
            f.mapLocked = false;
            map.readUnlock();
            hooks.at(FaultHooks.Point.LOCKED_LOWER_IO, this, f.va);
            page = file.getPage(pgoff, f.cache);
            f.unlockObj();
            if (page == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
            hooks.at(FaultHooks.Point.LOCKED_LOWER_IO_DONE, this, f.va);
            // uvmfault_relock: unchanged timestamp means nothing we looked up (entry, aref) moved.
            mapReadLock();
            f.mapLocked = true;
            if (exited) {
                if (page != FileObject.SIGBUS) {
                    frames.put(page, f.cache);
                }
                return AccessResult.KILLED;
            }
            if (page == FileObject.SIGBUS) {
                // The file went with the area's last mapping while the map was unlocked (UVM's
                // object teardown waits for the busy page; the relock then sees the map changed): a
                // changed map is a restart. An unchanged one: the file shrank under the page.
                if (map.timestamp() != ts) {
                    stats.retry(SpaceStats.Retry.MAP_VERSION);
                    return ERESTART;
                }
                return AccessResult.SIGBUS;
            }
            // The seeded bug relock-without-timestamp skips the comparison: the entry and the page
            // are trusted though a munmap or a truncation may have run while the map was unlocked.
            if (map.timestamp() != ts && !hasBug(FaultBug.RELOCK_WITHOUT_TIMESTAMP)) {
                frames.put(page, f.cache);
                stats.retry(SpaceStats.Retry.MAP_VERSION);
                return ERESTART;
            }
            tbl = pmap.leafTableAlloc(f.va, f.cache);
            if (tbl == FrameAllocator.OOM) {
                frames.put(page, f.cache);
                return AccessResult.OOM;
            }
            if (ar != null) {
                f.lockAmap(ar.amap());
                if (ar.amap().get(ar.slot(f.va)) != null) {
                    // Another fault promoted this page meanwhile: start over (it is an upper fault now).
                    frames.put(page, f.cache);
                    stats.retry(SpaceStats.Retry.PTE_CHANGED);
                    return ERESTART;
                }
            }
            f.lockObj(ol);
        } else {
            page = file.getPage(pgoff, f.cache);
            if (page == FileObject.SIGBUS) {
                return AccessResult.SIGBUS;
            }
            if (page == FrameAllocator.OOM) {
                return AccessResult.OOM;
            }
        }
        // The seeded bug private-write-to-page-cache: a private write to the object's page that this
        // entry already maps read-only (a read fault came first) maps it writable, not a copy.
        final boolean inPlace = priv && f.write && hasBug(FaultBug.PRIVATE_WRITE_TO_PAGE_CACHE)
                && mapsFrame(tbl, f.va, page);
        if (!(priv && f.write) || inPlace) {
            // Map the object's page: shared mappings with the area's rights, private ones read-only
            // (a write breaks copy-on-write into the amap).
            final long old = pmapEnter(f, tbl, page, leafProt(a, !priv || inPlace), Prot.YOUNG | (f.write ? Prot.DIRTY : 0));
            frames.put(page, f.cache);
            stats.fault(kind(old, page, f.write, SpaceStats.Fault.WP_SHARED, SpaceStats.Fault.FILE));
            return RETRY;
        }
        // Private write: promote a copy of the object's page into the amap.
        if (upperUpgrade(f) != 0) {
            frames.put(page, f.cache);
            return ERESTART;
        }
        assert promoteLocked(f);
        final long nf = frames.alloc(f.cache, FrameAllocator.DATA, false);
        if (nf == FrameAllocator.OOM) {
            frames.put(page, f.cache);
            return AccessResult.OOM;
        }
        mem.copy(page, nf);
        frames.put(page, f.cache);
        final Anon replaced = ar.amap().set(ar.slot(f.va), new Anon(nf));
        if (replaced != null) {
            Amap.dropAnon(replaced, frames); // only under the seeded bug
        }
        pmapEnter(f, tbl, nf, leafProt(a, true), Prot.YOUNG | Prot.DIRTY);
        stats.fault(SpaceStats.Fault.COW_COPY);
        return RETRY;
    }

    /** Whether the entry of {@code va} in {@code table} maps {@code frame} (for a seeded bug only). */
    private boolean mapsFrame(long table, long va, long frame) {
        final long e = table < 0 ? 0 : pmap.pte(table, Arch.index(va, 1));
        return fmt.mapsFrame(e) && fmt.frame(e) == frame;
    }

    /** What a fault that mapped {@code frame} over the entry {@code old} did, for the counters. */
    private SpaceStats.Fault kind(long old, long frame, boolean write, SpaceStats.Fault writeUpgrade,
                                  SpaceStats.Fault fresh) {
        if (!fmt.mapsFrame(old) || fmt.frame(old) != frame) {
            return fresh;
        }
        if (fmt.protNone(old)) {
            return SpaceStats.Fault.PROT_NONE;
        }
        if (write && !fmt.writable(old)) {
            return writeUpgrade;
        }
        if (!fmt.young(old) || (write && !fmt.dirty(old))) {
            return SpaceStats.Fault.ACCESS_FLAG;
        }
        return SpaceStats.Fault.SPURIOUS;
    }

    /** => the anon's lock held exclusively. Brings a paged-out anon back; false on OOM. */
    private boolean pageIn(Anon anon, FrameCache cache) {
        final long nf = frames.alloc(cache, FrameAllocator.DATA, false);
        if (nf == FrameAllocator.OOM) {
            return false;
        }
        final long[] s = anon.swap;
        for (int i = 0; i < PhysicalMemory.WORDS_PER_FRAME; i++) {
            mem.putRelease(nf, i, s[i]);
        }
        anon.frame = nf;
        anon.swap = null;
        return true;
    }

    /**
     * {@code pmap_enter}: => the map lock (shared) and whatever the page's owner needs; takes the
     * pmap lock. Maps {@code frame} at the fault's address with {@code prot}: in place if the entry
     * maps that frame already (keeping A/D), by break-before-make if it maps another (whose mapping
     * reference goes after the flush). The mapping takes its own frame reference.
     *
     * @return the entry as it was
     */
    private long pmapEnter(Flt f, long table, long frame, int prot, int flags) {
        assert map.isLockedByCurrentThread() && !pmap.pmapLock().isHeldByCurrentThread();
        final long va = f.va;
        final int idx = Arch.index(va, 1);
        lockPmap();
        try {
            final long old = pmap.pte(table, idx);
            if (!fmt.mapsFrame(old)) {
                frames.get(frame);
                pmap.install(table, idx, fmt.leaf(frame, prot, flags));
            } else if (fmt.frame(old) == frame) {
                final long now = pmap.rewrite(table, idx, va,
                        (x, cur) -> fmt.leaf(frame, prot, flags | (fmt.dirty(cur) ? Prot.DIRTY : 0)));
                if (fmt.writable(old) && !fmt.writable(now)) {
                    final long page = va & -PhysicalMemory.PAGE_SIZE;
                    pmap.flushRange(page, page + PhysicalMemory.PAGE_SIZE, false, f.cpu);
                }
            } else {
                frames.get(frame);
                final long was = pmap.replace(table, idx, va, fmt.leaf(frame, prot, flags), f.cpu);
                frames.put(fmt.frame(was), f.cache);
            }
            return old;
        } finally {
            unlockPmap();
        }
    }

    /**
     * => no lock held. Gives the area at the fault's address its anonymous identity (Linux's
     * {@code anon_vma}, which the layout's merging follows; {@link LayoutPlanner#anonVmaFor}) under
     * the exclusive map lock, unless it has one by now; the caller restarts the fault. The area is
     * replaced in place, never merged: Linux's {@code anon_vma_prepare} changes no boundary.
     */
    private void anonPrepare(Flt f) {
        writeLock();
        try {
            if (!exited) {
                anonPrepareLocked(f);
            }
        } finally {
            writeUnlock();
        }
    }

    /** => map lock exclusive. {@link #anonPrepare}'s work: the area's identity if the fault needs it. */
    private void anonPrepareLocked(Flt f) {
        final Area a = map.lookup(f.va);
        if (a == null || !needsAnon(a, f.access)) {
            return; // the map changed, or another fault did it: the restart sees it
        }
        final Area named = a.withAnon(LayoutPlanner.anonVmaFor(map, a));
        commit(new LayoutPlan(List.of(a), List.of(named), false), Change.NONE, a.start(), a.start(), 0);
    }

    /**
     * {@code uvmfault_amapcopy}: => no lock held. Takes the map lock exclusively, looks the entry up
     * again, and gives the range an amap of its own: a new chunk if it has none, a copy if it is
     * needs-copy and shared (just the flag cleared if it is the amap's last reference).
     */
    private void amapCopy(Flt f) {
        final boolean bug = hasBug(FaultBug.AMAP_COPY_SHARED_LOCK);
        if (bug) {
            mapReadLock(); // seeded bug: the copy under the shared map lock
        } else {
            writeLock();
        }
        try {
            assert bug || map.isWriteLockedByCurrentThread();
            if (exited) {
                return;
            }
            if (!bug) {
                // One exclusive section for both: the first write also needs the area's identity
                // (under the seeded bug's shared lock it cannot change the map; NEED_ANON does it).
                anonPrepareLocked(f);
            }
            final Area a = map.lookup(f.va);
            if (a == null || (a.flags() & VmaFlags.SHARED) != 0) {
                return; // the map changed: the restart sees it
            }
            final Aref ar = arefs.lookup(f.va);
            if (ar == null) {
                final long chunk = f.va & -CHUNK_BYTES;
                long lo = Math.max(a.start(), chunk);
                long hi = Math.min(a.end(), chunk + CHUNK_BYTES);
                final Aref below = arefs.atOrBelow(f.va);
                if (below != null && below.end() > lo) {
                    lo = below.end();
                }
                final Aref above = arefs.above(f.va);
                if (above != null && above.start() < hi) {
                    hi = above.start();
                }
                final Amap m = new Amap(new RwLock(), (int) ((hi - lo) >>> PhysicalMemory.PAGE_SHIFT));
                hooks.at(FaultHooks.Point.LOCKED_AMAP_COPY, this, f.va);
                final long st = m.lock.enter(RwLock.WRITE, stats);
                try {
                    m.addRef(0, m.size());
                } finally {
                    m.lock.exit(st);
                }
                final Aref nu = new Aref(lo, hi, m, 0, false);
                if (bug) {
                    arefs.putOver(nu);
                } else {
                    arefs.put(nu);
                }
            } else if (ar.needsCopy()) {
                final Amap src = ar.amap();
                hooks.at(FaultHooks.Point.LOCKED_AMAP_COPY, this, f.va);
                final long st = src.lock.enter(RwLock.WRITE, stats);
                try {
                    final Aref nu;
                    if (src.refs() == 1) {
                        nu = ar.withNeedsCopy(false); // the last reference: nothing to copy
                    } else {
                        final Amap copy = new Amap(src.lock, ar.pages());
                        for (int i = 0; i < ar.pages(); i++) {
                            final Anon x = src.get(ar.slotOff() + i);
                            if (x != null) {
                                x.ref++;
                                copy.set(i, x);
                            }
                        }
                        copy.addRef(0, ar.pages());
                        src.removeRef(ar.slotOff(), ar.slotOff() + ar.pages(), frames);
                        nu = new Aref(ar.start(), ar.end(), copy, 0, false);
                    }
                    if (bug) {
                        arefs.putOver(nu);
                    } else {
                        arefs.replace(ar, nu);
                    }
                } finally {
                    src.lock.exit(st);
                }
            } else {
                return; // another fault did it
            }
            if (!bug) {
                map.bumpTimestamp();
            }
        } finally {
            if (bug) {
                map.readUnlock();
            } else {
                writeUnlock();
            }
        }
    }

    /**
     * A fault below a GROWSDOWN area ({@code uvm_grow} and Linux's expand_downwards). => no lock
     * held. The main stack's limit is checked against the immutable vm_maxsaddr without a lock;
     * the layout grows and vm_ssize is read and changed under the map lock held exclusively.
     */
    private int grow(Flt f) {
        final long va = f.va;
        final boolean main = f.growArea.end() == minsaddr;
        if (main && va < maxsaddr) {
            return AccessResult.SIGSEGV; // [I]: no lock needed, no contention for faults far below
        }
        // Seeded bug: vm_ssize read before the lock (the pre-2020 uvm_grow).
        final long stale = hasBug(FaultBug.GROW_UNLOCKED_STACK_SIZE) ? ssize : -1;
        hooks.at(FaultHooks.Point.LOCKED_GROW_BEFORE_LOCK, this, va);
        writeLock();
        try {
            assert map.isWriteLockedByCurrentThread();
            if (exited) {
                return AccessResult.KILLED;
            }
            final Area g = map.find(va);
            if (g == null) {
                return AccessResult.SIGSEGV;
            }
            if (g.start() > va) {
                if ((g.flags() & VmaFlags.GROWSDOWN) == 0) {
                    return AccessResult.SIGSEGV;
                }
                growing = true;
                final boolean grew;
                try {
                    grew = growLocked(g, va);
                } finally {
                    growing = false;
                }
                if (!grew) {
                    return AccessResult.SIGSEGV;
                }
            }
            if (g.end() == minsaddr && (g.flags() & VmaFlags.GROWSDOWN) != 0) {
                // uvm_grow's accounting: "for the common case of already allocated" nothing;
                // otherwise vm_ssize grows by the pages now below the old size.
                final long ss = stale >= 0 ? stale : ssize;
                if (va < minsaddr - (ss << PhysicalMemory.PAGE_SHIFT)) {
                    final long si = ((minsaddr - (va & Mman.PAGE_MASK)) >>> PhysicalMemory.PAGE_SHIFT) - ss;
                    if (ss + si <= config.rlimitStack() >>> PhysicalMemory.PAGE_SHIFT) {
                        ssize = ss + si;
                    }
                }
            }
            return RETRY;
        } finally {
            writeUnlock();
        }
    }

    @Override
    protected int faultWithoutCpu(long va, int access) {
        return fault(null, va, access);
    }

    @Override
    protected int layoutReadLock() {
        mapReadLock();
        return 0;
    }

    @Override
    protected void layoutReadUnlock(int token) {
        map.readUnlock();
    }

    @Override
    protected Area areaAt(long va) {
        return map.lookup(va);
    }

    /**
     * => the map lock. mincore: the anon in the amap slot of {@code va}, mapped or not (a fork's
     * child starts with no PTEs over the amap it shares): 1 if its page is in memory, 0 if it was
     * paged out; -1 if the slot is empty.
     */
    @Override
    protected int privatePage(Area a, long va) {
        if ((a.flags() & VmaFlags.SHARED) != 0) {
            return -1;
        }
        final Aref r = arefs.lookup(va);
        if (r == null) {
            return -1;
        }
        final long st = r.amap().lock.enter(RwLock.READ, stats);
        try {
            final Anon anon = r.amap().get(r.slot(va));
            return anon == null ? -1 : anon.frame >= 0 ? 1 : 0;
        } finally {
            r.amap().lock.exit(st);
        }
    }

    /**
     * Test hook (there is no pager): pages the anon at {@code va} out, as the page daemon would,
     * if no other space maps its page. Its contents go to the anon's swap slot; this space's
     * entry for it is removed and flushed. A later fault finds it not resident (ENOLCK under the
     * shared amap lock).
     *
     * @return whether it was paged out
     */
    boolean pageOut(long va) {
        final long page = va & Mman.PAGE_MASK;
        mapReadLock();
        try {
            final Aref ar = arefs.lookup(page);
            if (ar == null) {
                return false;
            }
            final Amap m = ar.amap();
            final long st = m.lock.enter(RwLock.WRITE, stats);
            try {
                final Anon an = m.get(ar.slot(page));
                if (an == null || !an.resident()) {
                    return false;
                }
                lockPmap();
                try {
                    final long t = pmap.leafTable(page);
                    final int idx = Arch.index(page, 1);
                    final boolean mappedHere = t >= 0 && fmt.mapsFrame(pmap.pte(t, idx))
                            && fmt.frame(pmap.pte(t, idx)) == an.frame;
                    if (frames.mapcount(an.frame) != (mappedHere ? 1 : 0)) {
                        return false; // mapped elsewhere too
                    }
                    if (mappedHere) {
                        pmap.clear(t, idx, page);
                        pmap.flushRange(page, page + Mman.PAGE_SIZE, false, null);
                        frames.put(an.frame); // the mapping's reference
                    }
                } finally {
                    unlockPmap();
                }
                final long[] s = new long[PhysicalMemory.WORDS_PER_FRAME];
                for (int i = 0; i < s.length; i++) {
                    s[i] = mem.getAcquire(an.frame, i);
                }
                an.swap = s;
                frames.put(an.frame); // the anon's own reference
                an.frame = -1;
                return true;
            } finally {
                m.lock.exit(st);
            }
        } finally {
            map.readUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Writers

    @Override
    protected void commit(LayoutPlan plan, Change change, long start, long end, int prot) {
        assert map.isWriteLockedByCurrentThread();
        mapFiles(plan.added());
        map.apply(plan);
        switch (change) {
            case ZAP:
                removeWithTables(start, end);
                break;
            case PROTECT:
                pmapProtect(start, end, prot);
                break;
            case FLAGS:
                // uvm_map_inherit/uvm_map_advice clip the entries, and clipping splits their amap
                // references (amap_splitref): an aref never spans two entries that a fork treats
                // differently.
                arefs.splitAt(start);
                arefs.splitAt(end);
                break;
            default:
                assert arefs.overlapping(start, end).isEmpty() : "anonymous memory in a new range";
                break;
        }
        if (!growing) {
            for (Area a : plan.added()) {
                if (a.end() == minsaddr && (a.flags() & VmaFlags.GROWSDOWN) != 0) {
                    ssize = Math.max(ssize, a.pages()); // a stack mapped at the top (execve's)
                }
            }
        }
        releaseFiles(plan.removed());
    }

    /** Tests: the files with an object lock entry here (each mapped by some area of this space). */
    int objectLockEntries() {
        mapReadLock();
        try {
            return objLocks.size();
        } finally {
            map.readUnlock();
        }
    }

    /** => map lock exclusive, the areas about to enter the map. Takes their file references and object locks. */
    private void mapFiles(List<Area> added) {
        for (Area a : added) {
            if (a.backing() instanceof FileObject f) {
                f.acquire();
                noteMapped(a);
                objLocks.computeIfAbsent(f, x -> new ObjRef(kernel.objectLock(x))).areas++;
            }
        }
    }

    /**
     * => map lock exclusive, the areas gone from the map. Drops their file references, and a file's
     * object lock entry with its last area here (a file no area maps must not stay reachable from
     * the space: file_race makes a new one every round).
     */
    private void releaseFiles(List<Area> removed) {
        for (Area a : removed) {
            if (a.backing() instanceof FileObject f) {
                final ObjRef r = objLocks.get(f);
                if (--r.areas == 0) {
                    objLocks.remove(f);
                }
                if (!exited) {
                    noteUnmapped(a);
                }
                f.release();
            }
        }
    }

    /** {@code pmap_remove} of [start, end): zap and flush under the pmap lock, then free the frames. */
    private void pmapRemove(long start, long end) {
        final LongArrayList freed = new LongArrayList();
        lockPmap();
        try {
            pmap.zapRange(start, end, (va, old) -> freed.addLong(fmt.frame(old)));
            if (!freed.isEmpty()) {
                pmap.flushRange(start, end, false, null);
            }
        } finally {
            unlockPmap();
        }
        for (int i = 0; i < freed.size(); i++) {
            frames.put(freed.getLong(i));
        }
    }

    /**
     * A range's removal from the map ({@code uvm_unmap_remove}: munmap, MAP_FIXED over a mapping,
     * a shrinking brk or mremap): zap, unlink the page-table pages the range leaves empty, one
     * shootdown for both under the pmap lock, then free the frames, drop the anons nobody covers,
     * and free the tables after a grace period. OpenBSD's pmap_remove also frees the PTPs it empties
     * in the same call and shoots down once, but frees any PTP it empties; this emulator frees by
     * Linux's floor/ceiling rule (free_pgtables) in both designs, so that they free the same tables.
     */
    private void removeWithTables(long start, long end) {
        final LongArrayList freed = new LongArrayList();
        final long[] gap = tableGap(start, end);
        final List<TablePage> tables;
        lockPmap();
        try {
            pmap.zapRange(start, end, (va, old) -> freed.addLong(fmt.frame(old)));
            tables = gap == null ? List.of() : pmap.unlinkTables(start, end, gap[0], gap[1]);
            if (!freed.isEmpty() || !tables.isEmpty()) {
                pmap.flushRange(start, end, !tables.isEmpty(), null);
            }
        } finally {
            unlockPmap();
        }
        for (int i = 0; i < freed.size(); i++) {
            frames.put(freed.getLong(i));
        }
        arefs.removeRange(start, end);
        pmap.retireTables(tables);
    }

    /** {@code pmap_protect}: lowers the rights of [start, end)'s entries to {@code prot}, then flushes. */
    private void pmapProtect(long start, long end, int prot) {
        lockPmap();
        try {
            final long n = pmap.protectRange(start, end, (va, old) -> lowerLeaf(fmt, old, prot));
            if (n > 0 && !hasBug(FaultBug.MPROTECT_SKIP_FLUSH)) {
                pmap.flushRange(start, end, false, null);
            }
        } finally {
            unlockPmap();
        }
    }

    /** => map lock exclusive; nothing maps [start, end) any more. Linux free_pgd_range's floor and ceiling. */
    private void freeTables(long start, long end) {
        final long[] gap = tableGap(start, end);
        if (gap == null) {
            return;
        }
        lockPmap();
        try {
            pmap.freeTables(start, end, gap[0], gap[1], null);
        } finally {
            unlockPmap();
        }
    }

    @Override
    protected long commitMove(LayoutPlan plan, long oldStart, long oldLen, long newStart, long newLen, long len,
                              List<Area> movedAreas, boolean keepOld) {
        assert map.isWriteLockedByCurrentThread();
        if (!allocMoveTables(oldStart, newStart, len)) {
            return -Errno.ENOMEM;
        }
        mapFiles(plan.added());
        map.apply(plan);
        // The FIXED target's pages and the tail a shrinking move drops go first (uvm_unmap of each);
        // a multi-area move keeps the target's pages across from its holes.
        for (Area a : movedAreas) {
            pmapRemove(a.start(), a.end());
            arefs.removeRange(a.start(), a.end());
        }
        if (oldLen > len) {
            pmapRemove(oldStart + len, oldStart + oldLen);
            arefs.removeRange(oldStart + len, oldStart + oldLen);
        }
        final Long2LongHashMap moved = new Long2LongHashMap(-1);
        lockPmap();
        try {
            pmap.zapRange(oldStart, oldStart + len, (va, old) -> moved.put(va, old));
            if (!moved.isEmpty()) {
                pmap.flushRange(oldStart, oldStart + len, false, null);
            }
            // The zap uncounted the mappings and the installs count them again: the frames'
            // references move along.
            moved.forEach((va, e) -> {
                final long dva = newStart + (va - oldStart);
                pmap.install(pmap.leafTable(dva), Arch.index(dva, 1), e);
            });
        } finally {
            unlockPmap();
        }
        // DONTUNMAP: the old range keeps its entries, now with no arefs: its anonymous pages went
        // with the move, and a fault there starts a new amap (or reads the object again).
        arefs.move(oldStart, len, newStart);
        if (!keepOld) {
            freeTables(oldStart, oldStart + oldLen);
        }
        releaseFiles(plan.removed());
        return 0;
    }

    @Override
    protected void discard(Area a, long start, long end) {
        assert map.isWriteLockedByCurrentThread();
        pmapRemove(start, end);
        if ((a.flags() & VmaFlags.SHARED) == 0) {
            arefs.removeRange(start, end);
        }
        map.bumpTimestamp();
    }

    /** What {@link #forEachExclusiveAnon} hands over, under the anon's amap lock held exclusively. */
    @FunctionalInterface
    private interface ExclusiveAnonVisitor {
        void visit(Amap m, int slot, Anon an, long va);
    }

    /**
     * For each address of {@code vas}, its anon if it is resident and only this entry can reach it
     * (an_ref 1, one aref over its slot), given to {@code v} under its amap lock held exclusively:
     * the pages MADV_FREE may mark and reclaim may discard. An anon shared with a fork's child is
     * skipped. => the map lock (either mode).
     */
    private void forEachExclusiveAnon(LongArrayList vas, ExclusiveAnonVisitor v) {
        for (int i = 0; i < vas.size(); i++) {
            final long va = vas.getLong(i);
            final Aref ar = arefs.lookup(va);
            if (ar == null) {
                continue;
            }
            final Amap m = ar.amap();
            final long st = m.lock.enter(RwLock.WRITE, stats);
            try {
                final int slot = ar.slot(va);
                final Anon an = m.get(slot);
                if (an != null && an.resident() && an.ref == 1 && m.ppref(slot) == 1) {
                    v.visit(m, slot, an, va);
                }
            } finally {
                m.lock.exit(st);
            }
        }
    }

    /**
     * => map lock exclusive. MADV_FREE: each present page of [start, end) whose anon only this
     * entry can reach and only this entry maps is made clean and old in place and marked lazy-free,
     * under the amap lock (exclusive) and the pmap lock; then the range is flushed.
     */
    @Override
    protected void lazyFree(Area a, long start, long end) {
        assert map.isWriteLockedByCurrentThread();
        final LongArrayList present = new LongArrayList();
        pmap.forEachLeaf(start, end, (va, e) -> present.addLong(va));
        final boolean[] marked = {false};
        forEachExclusiveAnon(present, (m, slot, an, va) -> {
            lockPmap();
            try {
                final long t = pmap.leafTable(va);
                final int idx = Arch.index(va, 1);
                final long e = pmap.pte(t, idx);
                if (fmt.mapsFrame(e) && fmt.frame(e) == an.frame) {
                    pmap.rewrite(t, idx, va, (x, cur) -> lazyFreeLeaf(cur));
                    marked[0] |= frames.isLazyFree(an.frame);
                }
            } finally {
                unlockPmap();
            }
        });
        if (marked[0]) {
            pmap.flushRange(start, end, false, null);
        }
    }

    /**
     * Reclaim of lazy-free pages, as the page daemon would do it (there is no pager: this is the
     * hook a workload or direct reclaim drives). Under the map lock shared (faults run beside it;
     * no writer does), each lazy-free page's anon is checked under its amap lock held exclusively
     * and the entry unmapped under the pmap lock ({@link Pmap#reclaimLazyFree}: get-and-clear,
     * flush, decide); a discarded page leaves its slot empty, so the next fault zero-fills.
     */
    @Override
    protected long reclaimLazyFreeLocked(long start, long end) {
        mapReadLock();
        try {
            if (exited) {
                return 0;
            }
            final LongArrayList candidates = new LongArrayList();
            map.forEachOverlapping(start, end, a -> {
                if (lazyFreeable(a)) {
                    pmap.forEachLeaf(Math.max(start, a.start()), Math.min(end, a.end()), (va, e) -> {
                        if (frames.isLazyFree(fmt.frame(e))) {
                            candidates.addLong(va);
                        }
                    });
                }
            });
            final long[] freed = {0};
            forEachExclusiveAnon(candidates, (m, slot, an, va) -> {
                final int r;
                lockPmap();
                try {
                    final long t = pmap.leafTable(va);
                    if (t < 0) {
                        return;
                    }
                    final int idx = Arch.index(va, 1);
                    final long e = pmap.pte(t, idx);
                    if (!fmt.mapsFrame(e) || fmt.frame(e) != an.frame) {
                        return;
                    }
                    r = pmap.reclaimLazyFree(t, idx, va, 2, null); // the anon's reference and the mapping's
                } finally {
                    unlockPmap();
                }
                if (r == Pmap.LAZY_DISCARDED) {
                    frames.put(an.frame); // the mapping's reference
                    m.set(slot, null);
                    Amap.dropAnon(an, frames); // the anon's: frees the page
                    freed[0]++;
                    stats.lazyFreed();
                } else if (r == Pmap.LAZY_KEPT) {
                    stats.lazyKept();
                }
            });
            return freed[0];
        } finally {
            map.readUnlock();
        }
    }

    // ------------------------------------------------------------------------------------------
    // fork and exit

    /**
     * {@code uvmspace_fork}: the child gets the same entries; private memory's arefs are shared with
     * it, both sides needs-copy; the parent's writable private entries are write-protected
     * ({@code pmap_protect}) and flushed. The child starts with no PTEs and faults its pages in.
     */
    @Override
    protected AddressSpace forkOnce() {
        writeLock();
        try {
            if (exited) {
                return null;
            }
            final LockedSpace child;
            try {
                child = new LockedSpace(options.forChild(name + "'"), tuning);
            } catch (dev.specfault.fault.OutOfFramesException e) {
                return null; // pgd_alloc failed: ENOMEM
            }
            child.startBrk = startBrk;
            child.brk = brk;
            final List<Area> all = new ArrayList<>(map.toList());
            all.removeIf(a -> (a.flags() & VmaFlags.DONTCOPY) != 0); // MAP_INHERIT_NONE (MADV_DONTFORK)
            child.writeLock();
            try {
                for (Area a : all) {
                    // Linux dup_mmap: a child does not inherit VM_LOCKED (UVM: uvm_mapent_clone
                    // clears the wiring).
                    final Area c = forkCopy(a);
                    // One entry for one, never merged (uvmspace_fork copies the map as it is).
                    child.commit(new LayoutPlan(List.of(), List.of(c), false), Change.NONE, c.start(), c.end(), 0);
                }
                child.ssize = ssize;
                for (Aref r : new ArrayList<>(arefs.all())) {
                    final Area in = map.lookup(r.start());
                    if (in != null && (in.flags() & (VmaFlags.DONTCOPY | VmaFlags.WIPEONFORK)) != 0) {
                        // Not inherited (MAP_INHERIT_NONE), or wiped (MAP_INHERIT_ZERO: MADV_WIPEONFORK,
                        // MAP_DROPPABLE): no amap for the child.
                        continue;
                    }
                    final Amap m = r.amap();
                    final long st = m.lock.enter(RwLock.WRITE, stats);
                    try {
                        m.addRef(r.slotOff(), r.slotOff() + r.pages());
                    } finally {
                        m.lock.exit(st);
                    }
                    child.arefs.put(r.withNeedsCopy(true));
                    if (!r.needsCopy()) {
                        arefs.replace(r, r.withNeedsCopy(true));
                    }
                }
                for (Area a : all) {
                    if ((a.flags() & (VmaFlags.SHARED | VmaFlags.WIPEONFORK)) == 0 && (a.prot() & Prot.WRITE) != 0) {
                        writeProtect(a.start(), a.end());
                    }
                }
                map.bumpTimestamp();
            } finally {
                child.writeUnlock();
            }
            return child;
        } finally {
            writeUnlock();
        }
    }

    /** => map lock exclusive. Write-protects the present writable entries of [start, end), then flushes. */
    private void writeProtect(long start, long end) {
        lockPmap();
        try {
            final long n = pmap.protectRange(start, end,
                    (va, old) -> fmt.present(old) && fmt.writable(old) ? fmt.wrprotect(old) : old);
            if (n > 0) {
                pmap.flushRange(start, end, false, null);
            }
        } finally {
            unlockPmap();
        }
    }

    /**
     * exit: {@code uvm_purge}. Stops the space's CPUs, detaches every CPU still pointing here (lazy
     * ones included), flushes the PCID/ASID, zaps and frees (Pmap.teardown, in that order; the seeded
     * bug purge-flush-before-detach swaps the middle two), then drops the anonymous memory and the
     * entries.
     */
    @Override
    public void exit() {
        writeLock();
        try {
            if (exited) {
                return;
            }
            exited = true;
            forgetMapped();
            final LongArrayList freed = new LongArrayList();
            lockPmap();
            try {
                pmap.teardown((va, old) -> freed.addLong(fmt.frame(old)), null,
                        hasBug(FaultBug.PURGE_FLUSH_BEFORE_DETACH));
            } finally {
                unlockPmap();
            }
            for (int i = 0; i < freed.size(); i++) {
                frames.put(freed.getLong(i));
            }
            arefs.clear();
            final LayoutPlan plan = LayoutPlanner.unmap(map, 0, config.taskSize());
            map.apply(plan);
            releaseFiles(plan.removed());
            machine.spaceExited(domain);
        } finally {
            writeUnlock();
        }
    }

    /** Waits until every table page this space retired has been freed (its SRCU domain's barrier). */
    @Override
    public void quiesce() {
        domain.barrier();
    }

    // ------------------------------------------------------------------------------------------
    // Views and checks

    @Override
    public List<Area> areas() {
        mapReadLock();
        try {
            return map.toList();
        } finally {
            map.readUnlock();
        }
    }

    /**
     * P0, P1, P5 as the speculative design checks them, and the locked design's own consistency:
     * every leaf of private memory maps its slot's anon (or, with none, the file's page read-only),
     * never a shared anon writably; shared memory maps the object's page; arefs lie in private
     * areas; the main stack lies within vm_ssize.
     */
    @Override
    public List<String> checkQuiet(long start, long end) {
        final List<String> out = new ArrayList<>(machine.checkTlbs());
        if (exited) {
            return out;
        }
        mapReadLock();
        try {
            pmap.forEachLeaf(start, end, (va, e) -> checkLeaf(va, e, out));
            checkTlbCoverage(out);
            for (Aref r : arefs.all()) {
                // An aref may span several areas (an mprotect split one): all of them private, and
                // all inherited alike by a fork (it checks the area at the aref's start only).
                final int inherit = VmaFlags.DONTCOPY | VmaFlags.WIPEONFORK;
                int first = -1;
                for (long at = r.start(); at < r.end();) {
                    final Area a = map.lookup(at);
                    if (a == null || (a.flags() & VmaFlags.SHARED) != 0) {
                        out.add("aref " + r + " outside private memory of " + name + " at 0x" + Long.toHexString(at));
                        break;
                    }
                    if (first == -1) {
                        first = a.flags() & inherit;
                    } else if ((a.flags() & inherit) != first) {
                        out.add("aref " + r + " spans areas a fork treats differently (DONTFORK/WIPEONFORK) in " + name
                                + " at 0x" + Long.toHexString(at));
                        break;
                    }
                    at = a.end();
                }
            }
            final Area stack = map.find(minsaddr - 1);
            if (stack != null && stack.end() == minsaddr && (stack.flags() & VmaFlags.GROWSDOWN) != 0
                    && stack.start() < minsaddr - (ssize << PhysicalMemory.PAGE_SHIFT)) {
                out.add("stack: vm_ssize " + ssize + " pages, but the stack reaches down to 0x"
                        + Long.toHexString(stack.start()) + " (" + stack.pages() + " pages) in " + name);
            }
        } finally {
            map.readUnlock();
        }
        return out;
    }

    /** => map lock shared. The checks of one leaf. */
    private void checkLeaf(long va, long e, List<String> out) {
        final long frame = fmt.frame(e);
        final String at = name + " leaf at 0x" + Long.toHexString(va);
        if (frames.isFree(frame)) {
            out.add("P0: " + at + " maps free frame 0x" + Long.toHexString(frame));
        }
        final Area a = map.lookup(va);
        if (a == null) {
            out.add("P1: " + at + " outside every area");
            return;
        }
        if (fmt.writable(e) && (a.prot() & Prot.WRITE) == 0) {
            out.add("P5: " + at + " writable in " + a);
        }
        final FileObject file = a.backing() instanceof FileObject f ? f : null;
        if (file != null && a.pgoffAt(va) >= file.pageCount()) {
            // A truncation zaps every mapping past the new end, private copies too (even_cows).
            out.add("P4: " + at + " maps 0x" + Long.toHexString(frame) + " past the end of " + file);
            return;
        }
        if ((a.flags() & VmaFlags.SHARED) != 0) {
            if (file != null && file.cachedFrame(a.pgoffAt(va)) != frame) {
                out.add("P4: " + at + " maps 0x" + Long.toHexString(frame) + ", not the object's page");
            }
            return;
        }
        final Aref r = arefs.lookup(va);
        Anon anon = null;
        boolean needsCopy = false;
        if (r != null) {
            final long st = r.amap().lock.enter(RwLock.READ, stats);
            try {
                anon = r.amap().get(r.slot(va));
                needsCopy = r.needsCopy();
                if (anon != null && (anon.frame != frame || (fmt.writable(e) && (anon.ref > 1 || needsCopy)))) {
                    out.add("P4: " + at + " maps 0x" + Long.toHexString(frame) + (fmt.writable(e) ? " writable" : "")
                            + ", its slot holds " + anon + (needsCopy ? " (needs-copy)" : ""));
                }
            } finally {
                r.amap().lock.exit(st);
            }
        }
        if (anon == null) {
            if (file == null) {
                out.add("P4: " + at + " maps 0x" + Long.toHexString(frame) + " in anonymous memory with no anon");
            } else if (file.cachedFrame(a.pgoffAt(va)) != frame || fmt.writable(e)) {
                out.add("P4: " + at + " maps 0x" + Long.toHexString(frame) + " in a private file mapping with no anon");
            }
        }
    }
}
