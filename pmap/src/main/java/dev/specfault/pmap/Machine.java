package dev.specfault.pmap;

import dev.specfault.pmap.arm64.Arm64Broadcast;
import dev.specfault.pmap.arm64.Arm64Walker;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameStats;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.pmap.x86.X86Shootdown;
import dev.specfault.pmap.x86.X86Walker;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.srcu.pool.UseAfterFreeLog;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The emulated machine: physical memory and its allocator, the architecture's PTE format and
 * walker, the CPUs with their TLBs, the TLB-coherence model, and a kernel-only address space
 * ({@link #initPmap()}, Linux's {@code init_mm}) that detached CPUs point at.
 *
 * <pre>
 *   Machine ─┬─ PhysicalMemory (off-heap frames) ◀── FrameAllocator (refcounts, limit, per-CPU caches)
 *            ├─ Walker (x86 4/5-level, arm64)        table memmap: frame ─▶ TablePage (PTL, link)
 *            ├─ Cpu[] ── Tlb, root register, access loop ──▶ FaultHandler of the loaded Pmap
 *            └─ TlbCoherence (x86 PCID slots + tlb_gen + IPIs / arm64 ASIDs + broadcast TLBI)
 * </pre>
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [a] atomic
 * </pre>
 */
public final class Machine {
    private final Arch arch;                                  // [I]
    private final int asidBits;                               // [I]
    private final PteFormat format;                           // [I]
    private final PhysicalMemory memory;                      // [I]
    private final FrameAllocator frames;                      // [I]
    private final Walker walker;                              // [I]
    private final TlbCoherence coherence;                     // [I]
    private final Set<PmapBug> bugs;                          // [I]
    private final boolean[] bugFlags;                         // [I]
    private final PmapHooks hooks;                            // [I]
    private final AtomicReferenceArray<TablePage> tablePages; // [a] one per frame ever used as a table
    private final UseAfterFreeLog useAfterFree;               // [I]
    private final PageTableCheck pageTableCheck = new PageTableCheck(); // [I]
    private final int cpuCount;                               // [I]
    private final Pmap initPmap;                              // [I]
    private final Cpu[] cpus;                                 // [I]
    private final Builder config;                             // [I]
    /**
     * The SRCU domains of the user spaces ({@link #newPmap}), in the order they came: what direct
     * reclaim waits for. An exited space's domain is forgotten once its callbacks have run. A list,
     * not a hash map: Lincheck's model checker rewrites identity hash codes, and a walk of a hash
     * table's bins is not the same from one run of a scenario to its replay. [a]
     */
    private final CopyOnWriteArrayList<Deferring> deferring = new CopyOnWriteArrayList<>();

    /** A user space's SRCU domain, and whether the space has exited (queues no more callbacks). */
    private static final class Deferring {
        final SrcuDomain domain; // [I]
        volatile boolean exited; // [a]

        Deferring(SrcuDomain domain) {
            this.domain = domain;
        }
    }

    private Machine(Builder b) {
        this.config = b;
        this.arch = b.arch;
        this.format = arch.format();
        this.cpuCount = b.cpus;
        final long physFrames = FrameAllocator.framesNeeded(b.frameLimit, b.cpus);
        this.memory = new PhysicalMemory(physFrames);
        this.frames = new FrameAllocator(memory, b.frameLimit, b.poisonFreedFrames);
        this.walker = arch.isX86() ? new X86Walker(memory, arch, b.maxPhysAddr)
                : new Arm64Walker(memory, b.hwAccessFlag, b.hwDirty);
        this.bugs = b.bugs.isEmpty() ? EnumSet.noneOf(PmapBug.class) : EnumSet.copyOf(b.bugs);
        this.bugFlags = new boolean[PmapBug.values().length];
        for (PmapBug bug : bugs) {
            bugFlags[bug.ordinal()] = true;
        }
        this.hooks = b.hooks;
        this.useAfterFree = b.useAfterFree;
        this.tablePages = new AtomicReferenceArray<>((int) memory.frames());
        this.asidBits = b.asidBits;
        this.coherence = arch.isX86() ? new X86Shootdown(this, b.pcidSlots) : new Arm64Broadcast(this, b.asidBits);
        final long initRoot = frames.alloc(null, FrameAllocator.TABLE, true);
        tablePageForNewTable(initRoot).init(arch.levels(), 0, 0);
        final SrcuDomain initDomain = SrcuDomain.builder("init_mm").driver(GracePeriodDriver.manual()).build();
        this.initPmap = new Pmap(this, initDomain, initRoot, "init_mm", true);
        this.cpus = new Cpu[b.cpus];
        for (int i = 0; i < b.cpus; i++) {
            cpus[i] = new Cpu(i, this, b.tlbEntries, b.prefetchPercent, b.seed);
        }
    }

    /** A builder for {@code arch} with defaults: 64 MiB frame limit, 4 CPUs, 64-entry TLBs. */
    public static Builder builder(Arch arch) {
        return new Builder(arch);
    }

    /** Machine configuration. */
    public static final class Builder {
        private final Arch arch;
        private long frameLimit = 16384;
        private int cpus = 4;
        private int tlbEntries = 64;
        private int pcidSlots = 6;
        private int asidBits = 16;
        private boolean hwAccessFlag = true;
        private boolean hwDirty = true;
        private int maxPhysAddr = 46;
        private int prefetchPercent = 25;
        private boolean poisonFreedFrames = true;
        private long seed = 1;
        private final EnumSet<PmapBug> bugs = EnumSet.noneOf(PmapBug.class);
        private PmapHooks hooks = PmapHooks.NONE;
        private UseAfterFreeLog useAfterFree = new UseAfterFreeLog();

        private Builder(Arch arch) {
            this.arch = Objects.requireNonNull(arch, "arch");
        }

        /** The most frames in use at once (data and tables): out-of-memory beyond. */
        public Builder frameLimit(long frames) {
            if (frames < 8 || frames > Integer.MAX_VALUE / 2) {
                throw new IllegalArgumentException("frame limit must be 8.." + Integer.MAX_VALUE / 2 + ": " + frames);
            }
            this.frameLimit = frames;
            return this;
        }

        /** Memory in bytes (a multiple of 4 KiB): the frame limit. */
        public Builder memoryBytes(long bytes) {
            return frameLimit(bytes >>> PhysicalMemory.PAGE_SHIFT);
        }

        public Builder cpus(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("cpus must be 1..1024: " + n);
            }
            this.cpus = n;
            return this;
        }

        public Builder tlbEntries(int n) {
            new Tlb(n); // validates
            this.tlbEntries = n;
            return this;
        }

        /** x86: PCID slots per CPU (Linux TLB_NR_DYN_ASIDS = 6). */
        public Builder pcidSlots(int n) {
            if (n < 1 || n > 4095) {
                throw new IllegalArgumentException("PCID slots must be 1..4095: " + n);
            }
            this.pcidSlots = n;
            return this;
        }

        /** arm64: ASID width (8 or 16 on real hardware; smaller forces rollover in tests). */
        public Builder asidBits(int n) {
            if (n < 2 || n > 16) {
                throw new IllegalArgumentException("ASID bits must be 2..16: " + n);
            }
            this.asidBits = n;
            return this;
        }

        /** arm64: hardware access-flag management (TCR_EL1.HA); off: AF=0 faults. */
        public Builder hwAccessFlag(boolean on) {
            this.hwAccessFlag = on;
            return this;
        }

        /** arm64: hardware dirty-bit management (TCR_EL1.HD); off: writes to clean DBM pages fault. */
        public Builder hwDirty(boolean on) {
            this.hwDirty = on;
            return this;
        }

        /** x86 MAXPHYADDR: address bits above it in an entry are reserved. */
        public Builder maxPhysAddr(int bits) {
            if (bits < 36 || bits > 52) {
                throw new IllegalArgumentException("MAXPHYADDR must be 36..52: " + bits);
            }
            this.maxPhysAddr = bits;
            return this;
        }

        /** Chance (0–100) that a walk also fills the next page's translation speculatively. */
        public Builder prefetchPercent(int p) {
            if (p < 0 || p > 100) {
                throw new IllegalArgumentException("prefetch percent must be 0..100: " + p);
            }
            this.prefetchPercent = p;
            return this;
        }

        /** Fill freed frames with a poison pattern (a stale read then shows). */
        public Builder poisonFreedFrames(boolean on) {
            this.poisonFreedFrames = on;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder bugs(Set<PmapBug> seeded) {
            this.bugs.addAll(seeded);
            return this;
        }

        public Builder hooks(PmapHooks h) {
            this.hooks = Objects.requireNonNull(h, "hooks");
            return this;
        }

        /** Where use-after-free detections of table pages go. */
        public Builder useAfterFree(UseAfterFreeLog log) {
            this.useAfterFree = Objects.requireNonNull(log, "log");
            return this;
        }

        public Machine build() {
            return new Machine(this);
        }
    }

    // ------------------------------------------------------------------------------------------

    /**
     * Whether {@code tag} on {@code cpu} is {@code mm}'s (P1/P5/P7 checkers): x86 asks the PCID
     * slots; arm64 ASIDs are global, so the tag is {@code mm}'s ASID if its context id is of the
     * current generation, or is the one {@code cpu} keeps running until its post-rollover flush
     * (a space that has not run since a rollover holds an ASID another space may own now).
     */
    public boolean tagOwnedBy(Cpu cpu, int tag, Pmap mm) {
        return coherence.ownsTag(cpu, tag, mm);
    }

    public Arch arch() {
        return arch;
    }

    public PteFormat format() {
        return format;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public FrameAllocator frames() {
        return frames;
    }

    public Walker walker() {
        return walker;
    }

    public TlbCoherence coherence() {
        return coherence;
    }

    public PmapHooks hooks() {
        return hooks;
    }

    public UseAfterFreeLog useAfterFree() {
        return useAfterFree;
    }

    /** Table pages freed with entries still in them (P6): see {@link PageTableCheck}. */
    public PageTableCheck pageTableCheck() {
        return pageTableCheck;
    }

    public boolean hasBug(PmapBug bug) {
        return bugFlags[bug.ordinal()];
    }

    public Set<PmapBug> bugs() {
        return bugs.isEmpty() ? EnumSet.noneOf(PmapBug.class) : EnumSet.copyOf(bugs);
    }

    public int cpuCount() {
        return cpuCount;
    }

    public Cpu cpu(int i) {
        return cpus[i];
    }

    /** Every CPU (the array is the machine's: do not modify). */
    public Cpu[] cpus() {
        return cpus;
    }

    /** The kernel-only space (no user mappings): where detached CPUs point. */
    public Pmap initPmap() {
        return initPmap;
    }

    /** Whether hardware sets AF (arm64 TCR_EL1.HA; always on x86). */
    public boolean hwAccessFlag() {
        return arch.isX86() || config.hwAccessFlag;
    }

    /** Whether hardware sets dirty state (arm64 TCR_EL1.HD; always on x86). */
    public boolean hwDirty() {
        return arch.isX86() || config.hwDirty;
    }

    /** The metadata of a frame used as a table page, or null if it never was one. */
    public TablePage tablePage(long frame) {
        return tablePages.get((int) frame);
    }

    /** => the frame was just allocated as a table. Its metadata object, made on first use. */
    TablePage tablePageForNewTable(long frame) {
        final int f = (int) frame;
        TablePage tp = tablePages.get(f);
        if (tp == null) {
            final TablePage made = new TablePage(frame);
            tp = tablePages.compareAndExchange(f, null, made);
            if (tp == null) {
                tp = made;
            }
        }
        return tp;
    }

    /**
     * A new address space: a zeroed root table and its TLB-coherence state; null if no frame is
     * left for the root. {@code domain} protects software walkers of its tables.
     */
    public Pmap newPmap(String name, SrcuDomain domain) {
        final long r = frames.alloc(null, FrameAllocator.TABLE, true);
        if (r == FrameAllocator.OOM) {
            return null;
        }
        tablePageForNewTable(r).init(arch.levels(), 0, 0);
        forgetDrained();
        deferring.add(new Deferring(domain));
        return new Pmap(this, domain, r, name, false);
    }

    /**
     * The space of {@code domain}'s pmap has exited: once its queued callbacks have run, direct
     * reclaim need not wait for it any more. => after the space's last retirement.
     */
    public void spaceExited(SrcuDomain domain) {
        for (Deferring e : deferring) {
            if (e.domain == domain) {
                e.exited = true;
            }
        }
    }

    /**
     * Direct reclaim's wait for deferred frees, machine-wide (Linux's reclaim is not per mm): runs
     * to completion every callback queued so far in {@code own} (the reclaiming space's domain: its
     * {@link SrcuDomain#barrier}, which reports a callback's failure) and in the domain of every
     * other user space, exited ones included (a fork's exited children hold their table pages, and
     * what their designs retire, until a grace period). Another space's domain is waited for without
     * reporting its callbacks' failures ({@link SrcuDomain#awaitCallbacks}: its own next barrier
     * does), and skipped where the caller may not wait for it ({@link SrcuDomain#canWait}).
     *
     * @return whether any callback was waited for
     */
    public boolean drainDeferredFrees(SrcuDomain own) {
        boolean waited = false;
        if (own.stats().backlog() != 0) {
            own.barrier();
            waited = true;
        }
        for (Deferring e : deferring) {
            final SrcuDomain d = e.domain;
            if (d != own && d.stats().backlog() != 0 && d.canWait()) {
                d.awaitCallbacks();
                waited = true;
            }
        }
        forgetDrained();
        return waited;
    }

    /** Forgets the exited spaces' domains that have nothing queued (they queue nothing more). */
    private void forgetDrained() {
        deferring.removeIf(e -> e.exited && e.domain.stats().backlog() == 0);
    }

    /** How many user spaces' SRCU domains direct reclaim would wait for now (tests). */
    public int deferringDomains() {
        return deferring.size();
    }

    public FrameStats frameStats() {
        return frames.stats();
    }

    // ------------------------------------------------------------------------------------------
    // Architecture-model hooks: for dev.specfault.pmap.x86 and .arm64 only (the hardware's side of
    // a space's and a CPU's state, which the kernel-side API does not expose).

    /** A CPU's architecture state (its PCID slots / pending TLBIs). */
    public static TlbCoherence.CpuState archState(Cpu c) {
        return c.archState;
    }

    public void cpumaskSet(Pmap mm, int cpu) {
        mm.cpumaskSet(cpu);
    }

    public void cpumaskClear(Pmap mm, int cpu) {
        mm.cpumaskClear(cpu);
    }

    public boolean cpumaskTest(Pmap mm, int cpu) {
        return mm.cpumaskTest(cpu);
    }

    /** x86: the space's flush generation (volatile read). */
    public long tlbGen(Pmap mm) {
        return mm.tlbGen.get();
    }

    /**
     * x86: bumps the space's flush generation (a full fence: the PTE changes before it are visible
     * to a CPU that reads the new generation) and records the range of this flush.
     */
    public long recordFlush(Pmap mm, long start, long end) {
        final long g = mm.tlbGen.incrementAndGet();
        mm.lastFlush = new Pmap.FlushInfo(g, start, end);
        return g;
    }

    /** x86: the range [start, end) of the flush that made the generation {@code gen}, if still known. */
    public long[] lastFlushRange(Pmap mm, long gen) {
        final Pmap.FlushInfo f = mm.lastFlush;
        return f != null && f.gen == gen ? new long[] {f.start, f.end} : null;
    }

    public void countIpi(Pmap mm) {
        mm.countIpi();
    }

    /** Takes a CPU for a remote operation (it is not inside an access until {@link #endRemote}). */
    public long beginRemote(Cpu c) {
        return c.beginRemote();
    }

    public void endRemote(Cpu c, long token) {
        c.endRemote(token);
    }

    /**
     * => {@code c} held by {@link #beginRemote}. If {@code c} is lazy on {@code from}, points its root
     * register at the kernel-only space (x86 flush_tlb_func on a lazy CPU when tables are freed).
     */
    public void detachLazy(Cpu c, Pmap from) {
        if (c.lazyOpaque()) {
            c.detachRemote(from);
        }
    }

    /** arm64: the space's context id (generation | ASID), 0 if none. */
    public long asidContext(Pmap mm) {
        return mm.asidContext;
    }

    public void setAsidContext(Pmap mm, long id) {
        mm.asidContext = id;
    }

    // ------------------------------------------------------------------------------------------
    // P0 checks

    /**
     * P0 over every CPU's TLB: an entry the CPU could still use (see
     * {@link TlbCoherence#reachable}) must not translate to a free frame; nor may a walk-cache entry
     * it could still start a walk from ({@link TlbCoherence#walksReachable}) point at a page-table
     * page that has been freed or reused since it was cached. Exact in a quiet state;
     * while CPUs run, an entry is reported only if it is still cached after reachability was decided
     * (a CPU may drop it in between, catching up).
     *
     * @return violations, one line each
     */
    public List<String> checkTlbs() {
        final List<String> out = new ArrayList<>();
        for (Cpu c : cpus) {
            c.tlb().forEach((tag, vpn, t) -> {
                final long f = WalkResult.frame(t);
                if (frames.isFree(f) && coherence.reachable(c, tag, vpn) && c.tlb().contains(tag, vpn, t)
                        && frames.isFree(f)) {
                    out.add("P0: " + c + " TLB entry tag " + tag + " va 0x" + Long.toHexString(vpn << 12)
                            + " -> free frame 0x" + Long.toHexString(f));
                }
            });
            c.walkCache().forEach((tag, level, first, end, table, inc) -> {
                if (tableGone(table, inc) && coherence.walksReachable(c, tag, first, end)
                        && c.walkCache().holds(tag, level, first, table, inc) && tableGone(table, inc)) {
                    out.add("P0: " + c + " walk-cache entry tag " + tag + " level " + level + " va 0x"
                            + Long.toHexString(first << 12) + " -> page-table page 0x" + Long.toHexString(table)
                            + " (incarnation " + inc + "), now " + tablePage(table));
                }
            });
        }
        return out;
    }

    private boolean tableGone(long table, long inc) {
        final TablePage tp = tablePage(table);
        return tp.state() == TablePage.FREE || tp.incarnation() != inc;
    }

    /** P0 over one space's tables: no leaf maps a free frame, no linked table page is free. */
    public List<String> checkTables(Pmap pmap) {
        final List<String> out = new ArrayList<>();
        if (pmap.isDead()) {
            return out;
        }
        pmap.checkTables(out);
        return out;
    }
}
