package dev.specfault.pmap;

import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An emulated CPU: a root register (CR3 / TTBR0 with its PCID / ASID), a TLB, and the access loop.
 *
 * <h2>Binding</h2>
 * A CPU is bound to one Java thread at a time ({@link #bind()} / {@link #unbind()}); only that thread
 * runs its accesses, switches its address space, and writes its TLB — except remote operations
 * (below). Its frame cache and statistics belong to the bound thread too.
 *
 * <h2>An access</h2>
 * <pre>
 *   enter: state CAS  seq|0 ──▶ seq|IN_ACCESS       (waits while a remote operation holds REMOTE)
 *          catch up with missed flushes (x86 tlb_gen / arm64 pending TLBIs)
 *          TLB lookup ──miss──▶ hardware walk from the walk cache's lowest hit, else the root
 *                               (sets A/D by CAS; caches the table entries it reads) ──▶ fill
 *                               (+ maybe a speculative neighbour fill)
 *          the 8-byte load (acquire) or store (release) on the frame
 *   exit:  state = (seq+1)|0 (release)
 *   fault: exit first, then the kernel's FaultHandler on this thread, then again from enter
 * </pre>
 * An access never blocks: it only waits for a remote operation, which never blocks either. A page
 * fault leaves the access before the handler runs, so a flusher never waits for a blocked fault.
 * A stopped address space makes an access return KILLED at its next entry.
 *
 * <h2>Remote operations and shootdowns</h2>
 * Another thread may operate on this CPU (switch its root away at teardown, invalidate its TLB) only
 * while it holds REMOTE in the state word, which it takes by CAS when IN_ACCESS is clear. A flusher
 * that must wait for an in-flight access reads the state: if IN_ACCESS is set it waits until the
 * sequence moves ({@link #waitForAccessEnd}). The state CAS at entry is a full fence: it orders this
 * CPU's catch-up read of the flush generation after its announcement of the access, against the
 * flusher's generation bump and its read of the state (Dekker).
 *
 * <h2>Speculation</h2>
 * Hardware may fill a TLB from any table the root register points at, at any time. The emulation
 * does it (a) after a walk, for the neighbouring page, with the machine's prefetch probability,
 * and (b) when a test or the stress driver calls {@link #speculate}, also on a lazy CPU that still
 * points at a space it left. Speculative fills read tables only (never set A/D) and happen inside
 * IN_ACCESS, so flushes wait for them.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [c] the bound thread
 *   [r] the bound thread inside IN_ACCESS / its exclusive section, or a remote thread holding REMOTE;
 *       read opaque by flushers and checkers
 *   [a] atomic (state: CAS / release / acquire)
 * </pre>
 */
public final class Cpu {
    private static final long IN_ACCESS = 1;
    private static final long REMOTE = 2;
    private static final long SEQ_ONE = 4;

    private final int id;                         // [I]
    private final Machine machine;                // [I]
    private final PhysicalMemory mem;             // [I]
    private final Walker walker;                  // [I]
    private final Tlb tlb;                        // [c] (see Tlb)
    private final WalkCache walks;                // [c] (see WalkCache), flushed with the TLB
    /** x86: a page fault drops the walk-cache entries of its address (SDM §4.10.4.1). */
    private final boolean faultDropsWalks;        // [I]
    private final FrameCache frameCache = new FrameCache(); // [c]
    private final CpuStats stats = new CpuStats(); // [c] written, read racily by reporters
    final TlbCoherence.CpuState archState;        // [r]
    private final int prefetchThreshold;          // [I]

    private long state;                           // [a]
    private Thread owner;                         // [a] CAS in bind/unbind
    private Pmap loaded;                          // [r] the space the root register points at
    private boolean lazy;                         // [r]
    private int tag;                              // [r] PCID / ASID in the root register
    private long root;                            // [r] root table frame in the root register
    private long value;                           // [c] the last loaded word
    private long rnd;                             // [c] xorshift state for speculation

    private static final VarHandle STATE;
    private static final VarHandle OWNER;
    private static final VarHandle LOADED;
    private static final VarHandle LAZY;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Cpu.class, "state", long.class);
            OWNER = l.findVarHandle(Cpu.class, "owner", Thread.class);
            LOADED = l.findVarHandle(Cpu.class, "loaded", Pmap.class);
            LAZY = l.findVarHandle(Cpu.class, "lazy", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Cpu(int id, Machine machine, int tlbEntries, int prefetchPercent, long seed) {
        this.id = id;
        this.machine = machine;
        this.mem = machine.memory();
        this.walker = machine.walker();
        this.walks = new WalkCache(machine, id);
        this.tlb = new Tlb(tlbEntries, walks);
        this.faultDropsWalks = machine.arch().isX86();
        this.prefetchThreshold = (int) (prefetchPercent * 0x7fffffffL / 100);
        this.rnd = seed * 0x9E3779B97F4A7C15L + id + 1;
        this.archState = machine.coherence().newCpuState(this);
        final Pmap init = machine.initPmap();
        this.loaded = init;
        this.root = init == null ? 0 : init.root();
    }

    public int id() {
        return id;
    }

    public Machine machine() {
        return machine;
    }

    /** The TLB: the bound thread's, or a remote operation's (see class comment). */
    public Tlb tlb() {
        return tlb;
    }

    /** The walk cache (paging-structure caches): the bound thread's, or a remote operation's. */
    public WalkCache walkCache() {
        return walks;
    }

    /** The bound thread's frame cache. */
    public FrameCache frameCache() {
        return frameCache;
    }

    public CpuStats stats() {
        return stats;
    }

    // ------------------------------------------------------------------------------------------
    // Accessors (mode in the name)

    private long stateOpaque() {
        return (long) STATE.getOpaque(this);
    }

    long stateAcquire() {
        return (long) STATE.getAcquire(this);
    }

    /**
     * A flusher's read of the state: volatile, so that with its generation bump (or TLBI post)
     * before it and this CPU's entry CAS and generation read, the four accesses are in one total
     * order (Dekker): either this CPU sees the flush, or the flusher sees the access.
     */
    private long stateVolatile() {
        return (long) STATE.getVolatile(this);
    }

    private boolean casState(long expect, long update) {
        return STATE.compareAndSet(this, expect, update);
    }

    private void setStateRelease(long v) {
        STATE.setRelease(this, v);
    }

    /** The space the root register points at (opaque: flushers and checkers read it racily). */
    public Pmap loadedOpaque() {
        return (Pmap) LOADED.getOpaque(this);
    }

    private void setLoadedRelease(Pmap p) {
        LOADED.setRelease(this, p);
    }

    public boolean lazyOpaque() {
        return (boolean) LAZY.getOpaque(this);
    }

    /** A flusher's read of the flag, after its generation bump (see {@link #enterLazy}). */
    public boolean lazyVolatile() {
        return (boolean) LAZY.getVolatile(this);
    }

    private void setLazyVolatile(boolean v) {
        LAZY.setVolatile(this, v);
    }

    private void setLazyRelease(boolean v) {
        LAZY.setRelease(this, v);
    }

    /** The PCID / ASID in the root register. [r] */
    public int tag() {
        return tag;
    }

    /** => [r]. Loads a tag into the root register (x86 PCID / arm64 ASID). */
    public void setTag(int t) {
        this.tag = t;
    }

    /** The root table frame in the root register. [r] */
    public long root() {
        return root;
    }

    /**
     * The root register as the architecture encodes it: CR3 (PCID in 11:0) or TTBR0_EL1 (ASID in
     * 63:48), from the root table and the tag loaded now. [r]
     */
    public long rootRegister() {
        return machine.format().rootRegister(root, tag);
    }

    /** The value the last successful load returned. */
    public long value() {
        return value;
    }

    // ------------------------------------------------------------------------------------------
    // Binding

    /** Binds the CPU to the calling thread. @throws IllegalStateException if bound to another */
    public void bind() {
        final Thread me = Thread.currentThread();
        if (!OWNER.compareAndSet(this, null, me) && OWNER.getVolatile(this) != me) {
            throw new IllegalStateException("cpu " + id + " is bound to " + OWNER.getVolatile(this));
        }
    }

    /** Unbinds the CPU from the calling thread, leaving its frame cache's frames to the allocator. */
    public void unbind() {
        assertOwner();
        frameCache.drain(machine.frames());
        OWNER.setVolatile(this, null);
    }

    public boolean isBoundToCurrentThread() {
        return OWNER.getVolatile(this) == Thread.currentThread();
    }

    private void assertOwner() {
        if (OWNER.getOpaque(this) != Thread.currentThread()) {
            throw new IllegalStateException("cpu " + id + " is not bound to " + Thread.currentThread().getName());
        }
    }

    // ------------------------------------------------------------------------------------------
    // Entering and leaving an access; remote operations

    /** => bound thread. Announces an access (full fence); waits out a remote operation. */
    private long enter() {
        int spins = 0;
        for (;;) {
            final long s = stateOpaque();
            if ((s & REMOTE) == 0 && casState(s, s | IN_ACCESS)) {
                return s;
            }
            if (++spins > 64) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** => bound thread, after {@link #enter()} returned {@code s}. */
    private void exit(long s) {
        setStateRelease(s + SEQ_ONE);
    }

    /**
     * Takes the CPU for a remote operation: waits until it is not inside an access (an access never
     * blocks, so this is short), then holds REMOTE. Returns the token for {@link #endRemote}.
     */
    long beginRemote() {
        int spins = 0;
        for (;;) {
            final long s = stateAcquire();
            if ((s & (IN_ACCESS | REMOTE)) == 0 && casState(s, s | REMOTE)) {
                return s;
            }
            if (++spins > 64) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    void endRemote(long token) {
        setStateRelease(token);
    }

    /**
     * Waits until the access in flight on this CPU, if any, has ended (a shootdown IPI or a DSB
     * waiting for it). Returns whether there was one.
     */
    public boolean waitForAccessEnd() {
        final long s = stateVolatile();
        if ((s & IN_ACCESS) == 0) {
            return false;
        }
        int spins = 0;
        while ((stateAcquire() & ~REMOTE) == s) {
            if (++spins > 64) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        return true;
    }

    /** Whether an access is in flight (racy; for flushers' decisions and counters). */
    public boolean inAccess() {
        return (stateAcquire() & IN_ACCESS) != 0;
    }

    // ------------------------------------------------------------------------------------------
    // Address spaces

    /**
     * switch_mm: points the root register at {@code next} (kernel side, on the bound thread), with
     * the PCID/ASID and flushes the architecture requires. Leaves lazy mode.
     */
    public void switchTo(Pmap next) {
        assertOwner();
        final long s = enter();
        try {
            final Pmap prev = loadedOpaque();
            if (prev != next || lazyOpaque()) {
                machine.coherence().switchMm(this, prev, next);
                root = next.root();
                setLoadedRelease(next);
                // A teardown that began after the caller looked must not miss this CPU: its stop
                // (volatile) comes before its look at every CPU's root (Pmap.detachAll, after a
                // fence), this store before this look at the stop. Either it sees this CPU on the
                // space and detaches it (waiting for this section), or this sees the stop and goes
                // back to the kernel's space. Found in review: a CPU that loaded a space detachAll
                // had passed went on speculating from the dying space's tables.
                VarHandle.fullFence();
                final Pmap init = machine.initPmap();
                if (next.isStopped() && next != init) {
                    machine.coherence().switchMm(this, next, init);
                    root = init.root();
                    setLoadedRelease(init);
                }
            }
            setLazyRelease(false);
        } finally {
            exit(s);
        }
    }

    /**
     * Linux enter_lazy_tlb: the CPU stops running user code but keeps its root register. From here
     * on, x86 flushes that free no tables skip it (no IPI, so its walk cache keeps what it holds),
     * and one that frees tables switches it away from the space.
     *
     * <p>First it runs the flushes already aimed at it (their IPIs arrived while it ran the space;
     * the emulation otherwise runs them at the next access entry). The flag is set before the
     * generation is read, both volatile, against the flusher's generation bump before its read of
     * the flag (Dekker): either the flusher sees this CPU lazy, or this CPU sees its flush.
     */
    public void enterLazy() {
        assertOwner();
        final long s = enter();
        try {
            setLazyVolatile(true);
            final Pmap mm = loaded;
            if (mm != null && mm != machine.initPmap()) {
                machine.coherence().catchUp(this, mm);
            }
        } finally {
            exit(s);
        }
    }

    /**
     * => [r] held by the caller (remote) and the CPU has {@code from} loaded. Points the root register
     * at the machine's kernel-only space (teardown's detach).
     */
    void detachRemote(Pmap from) {
        if (loaded == from) {
            final Pmap init = machine.initPmap();
            machine.coherence().switchMm(this, from, init);
            root = init.root();
            setLoadedRelease(init);
            setLazyRelease(false);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Accesses

    /** Loads the 8-byte word at {@code va}; the value is in {@link #value()}. @return an AccessResult */
    public int load(long va) {
        return access(va, Prot.ACCESS_READ, 0);
    }

    /** Stores an 8-byte word at {@code va}. @return an AccessResult */
    public int store(long va, long v) {
        return access(va, Prot.ACCESS_WRITE, v);
    }

    /** Fetches an instruction word at {@code va} (an execute access). @return an AccessResult */
    public int fetch(long va) {
        return access(va, Prot.ACCESS_EXEC, 0);
    }

    private static boolean permits(long t, int access) {
        if ((t & WalkResult.U) == 0) {
            return false;
        }
        switch (access) {
            case Prot.ACCESS_WRITE:
                return (t & (WalkResult.W | WalkResult.D)) == (WalkResult.W | WalkResult.D);
            case Prot.ACCESS_EXEC:
                return (t & WalkResult.X) != 0;
            default:
                return true;
        }
    }

    private int access(long address, int access, long v) {
        assertOwner();
        // arm64's TBI: a tagged pointer translates as the untagged one, from the TLB on
        final long va = walker.untag(address);
        // x86's canonical check (#GP) comes before the TLB: no lookup, no walk, no walk-cache drop
        final boolean reaches = walker.reachesTlb(va);
        if ((va & 7) != 0 && reaches) {
            // Words are 8-byte aligned here (BUS_ADRALN), an emulator's limit: real loads may be
            // misaligned. An address that cannot translate at all (x86's #GP, arm64 outside TTBR0)
            // still goes on to its SIGSEGV, as it would on the hardware whatever its alignment.
            return AccessResult.SIGBUS;
        }
        final long vpn = va >>> PhysicalMemory.PAGE_SHIFT;
        final int word = (int) (va & (PhysicalMemory.PAGE_SIZE - 1)) >>> 3;
        for (;;) {
            final long s = enter();
            final Pmap mm = loaded;
            if (mm.handler() == null || mm.isStopped()) {
                exit(s);
                return AccessResult.KILLED;
            }
            machine.coherence().catchUp(this, mm);
            stats.accesses++;
            long t = reaches ? tlb.lookup(tag, vpn) : 0;
            if (t != 0 && !permits(t, access)) {
                // A fault from a TLB entry invalidates it (Intel SDM 4.10.4.1); walk again.
                tlb.invalidatePage(tag, vpn);
                t = 0;
            }
            if (t != 0) {
                stats.tlbHits++;
            } else {
                stats.walks++;
                t = walker.walk(root, va, access, walks, tag);
                if (!WalkResult.isFault(t)) {
                    tlb.insert(tag, vpn, t);
                    maybePrefetch(va);
                } else if (faultDropsWalks && reaches) {
                    walks.invalidateAt(tag, va);
                }
            }
            if (WalkResult.isFault(t)) {
                exit(s);
                stats.faults++;
                final int r = mm.handler().handleFault(this, va, access, t);
                if (r == FaultHandler.RETRY) {
                    continue;
                }
                return r;
            }
            final long frame = WalkResult.frame(t);
            if (access == Prot.ACCESS_WRITE) {
                mem.putRelease(frame, word, v);
            } else {
                value = mem.getAcquire(frame, word);
            }
            exit(s);
            return AccessResult.OK;
        }
    }

    private int nextRandom() {
        long x = rnd;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        rnd = x;
        return (int) (x >>> 33);
    }

    /** => inside an access. The hardware prefetcher: maybe fill the next page's translation. */
    private void maybePrefetch(long va) {
        if (prefetchThreshold == 0 || nextRandom() > prefetchThreshold) {
            return;
        }
        final long next = va + PhysicalMemory.PAGE_SIZE;
        final long t = walker.peek(root, next, walks, tag);
        if (!WalkResult.isFault(t)) {
            tlb.insert(tag, next >>> PhysicalMemory.PAGE_SHIFT, t);
            stats.speculativeFills++;
        }
    }

    /**
     * A speculative TLB fill of {@code va} from whatever tables the root register points at — also
     * on a lazy CPU that left its space. Never faults, never writes tables. Pending invalidations
     * are applied first (the hardware had completed them). Returns whether an entry was filled.
     */
    public boolean speculate(long va) {
        assertOwner();
        final long s = enter();
        try {
            machine.coherence().catchUpHardwareOnly(this);
            final long t = walker.peek(root, va, walks, tag);
            if (WalkResult.isFault(t)) {
                return false;
            }
            tlb.insert(tag, va >>> PhysicalMemory.PAGE_SHIFT, t);
            stats.speculativeFills++;
            return true;
        } finally {
            exit(s);
        }
    }

    @Override
    public String toString() {
        return "cpu" + id;
    }
}
