package dev.specfault.pmap.arm64;

import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.PmapBug;
import dev.specfault.pmap.PmapHooks;
import dev.specfault.pmap.TlbCoherence;
import dev.specfault.pmap.phys.PhysicalMemory;

/**
 * arm64 TLB coherence: global ASIDs ({@link AsidAllocator}), broadcast TLBI by VA/ASID, and DSB.
 *
 * <h2>Broadcast invalidation</h2>
 * {@code TLBI VALE1IS}/{@code ASIDE1IS} reach every CPU of the inner-shareable domain without an
 * interrupt. The emulation posts the invalidation to every CPU's pending list (its TLB is written
 * only by its thread); a CPU applies its pending invalidations before it uses its TLB: at every
 * access entry and before every speculative fill. The {@code DSB ISH} that follows waits until every
 * access and walk that began before it has finished ({@link Cpu#waitForAccessEnd()} on every CPU),
 * so that afterwards no CPU can use an old translation.
 *
 * <pre>
 *   flusher:  for every CPU: post (asid, range, last level?) ─▶ DSB: wait for every in-flight access ─▶ done
 *   CPU:      access entry / speculative fill: pending? apply all, under the list's monitor
 * </pre>
 * A pending list holds {@value #PENDING} invalidations; past that it collapses into "flush all".
 * A ranged invalidation is last-level ({@code TLBI VALE1IS}: the TLB only) unless the flush frees
 * page tables, when it is {@code TLBI VAE1IS} and also drops the walk-cache entries of the range
 * ({@link dev.specfault.pmap.WalkCache}), as Linux's mmu_gather does.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [q] the pending list's monitor (a leaf lock); count also read racily at access entry
 * </pre>
 */
public final class Arm64Broadcast implements TlbCoherence {
    static final int PENDING = 32;
    /** Ranges longer than this many pages are invalidated by ASID (Linux MAX_DVM_OPS-like cut-off). */
    static final long MAX_RANGE_PAGES = 512;

    private final Machine machine;      // [I]
    private final AsidAllocator asids;  // [I]

    public Arm64Broadcast(Machine machine, int asidBits) {
        this.machine = machine;
        this.asids = new AsidAllocator(machine, asidBits);
    }

    /** A CPU's pending broadcast invalidations. */
    static final class State implements CpuState {
        final int[] asid = new int[PENDING];     // [q]
        final long[] startVpn = new long[PENDING]; // [q]
        final long[] endVpn = new long[PENDING];   // [q] -1: the whole ASID
        final boolean[] lastLevel = new boolean[PENDING]; // [q] TLBI VALE1IS: leaf entries only
        int n;                                   // [q]
        boolean all;                             // [q]
        volatile int count;                      // [q] written, read racily at access entry
    }

    private static State st(Cpu c) {
        return (State) Machine.archState(c);
    }

    @Override
    public CpuState newCpuState(Cpu cpu) {
        return new State();
    }

    @Override
    public void switchMm(Cpu cpu, Pmap prev, Pmap next) {
        applyPending(cpu);
        if (prev != null && prev != next && !prev.isKernel()) {
            machine.cpumaskClear(prev, cpu.id());
        }
        if (next.isKernel()) {
            asids.deactivate(cpu);
            cpu.setTag(0);
            return;
        }
        machine.cpumaskSet(next, cpu.id());
        cpu.setTag(asids.asidOf(asids.switchTo(cpu, next)));
    }

    @Override
    public void catchUp(Cpu cpu, Pmap mm) {
        applyPending(cpu);
    }

    @Override
    public void catchUpHardwareOnly(Cpu cpu) {
        applyPending(cpu);
    }

    private void applyPending(Cpu cpu) {
        final State s = st(cpu);
        if (s.count == 0) {
            return;
        }
        synchronized (s) {
            if (s.all) {
                cpu.stats().countFlush(cpu.tlb().invalidateAll(), true);
            } else {
                for (int i = 0; i < s.n; i++) {
                    if (s.endVpn[i] < 0) {
                        cpu.stats().countFlush(cpu.tlb().invalidateTag(s.asid[i]), true);
                    } else {
                        cpu.stats().countFlush(cpu.tlb().invalidateRange(s.asid[i], s.startVpn[i], s.endVpn[i]), false);
                        if (!s.lastLevel[i]) {
                            cpu.walkCache().invalidateRange(s.asid[i], s.startVpn[i], s.endVpn[i]);
                        }
                    }
                }
            }
            s.n = 0;
            s.all = false;
            s.count = 0;
        }
    }

    private static void post(Cpu cpu, int asid, long startVpn, long endVpn, boolean lastLevel) {
        final State s = st(cpu);
        synchronized (s) {
            if (s.n == PENDING) {
                s.all = true;
            } else if (!s.all) {
                s.asid[s.n] = asid;
                s.startVpn[s.n] = startVpn;
                s.endVpn[s.n] = endVpn;
                s.lastLevel[s.n] = lastLevel;
                s.n++;
            }
            s.count = s.n + (s.all ? 1 : 0);
        }
    }

    /**
     * TLBI broadcast of (asid, [startVpn, endVpn)) or the whole ASID (endVpn = -1), then DSB ISH.
     * {@code lastLevel}: {@code TLBI VALE1IS}, which leaves the walk caches alone, instead of
     * {@code VAE1IS}.
     */
    private void broadcast(Pmap mm, int asid, long startVpn, long endVpn, boolean lastLevel, Cpu self) {
        for (Cpu c : machine.cpus()) {
            post(c, asid, startVpn, endVpn, lastLevel);
        }
        machine.hooks().at(PmapHooks.BROADCAST_POSTED, mm, endVpn < 0 ? -1 : startVpn << PhysicalMemory.PAGE_SHIFT);
        for (Cpu c : machine.cpus()) {
            if (c != self && c.waitForAccessEnd()) {
                machine.countIpi(mm);
            }
        }
        if (self != null) {
            applyPending(self);
        }
    }

    @Override
    public void flushRange(Pmap mm, long start, long end, boolean freedTables, Cpu self) {
        final long id = machine.asidContext(mm);
        if (id == 0) {
            return; // never ran: nothing is cached under it
        }
        final int asid = asids.asidOf(id);
        final long s = start >>> PhysicalMemory.PAGE_SHIFT;
        final long e = (end + PhysicalMemory.PAGE_SIZE - 1) >>> PhysicalMemory.PAGE_SHIFT;
        final boolean byAsid = e - s > MAX_RANGE_PAGES;
        // Linux's tlb_flush: last_level = !tlb->freed_tables. A page-table page that is freed must
        // also leave every walk cache (seeded bug: it does not).
        final boolean lastLevel = !freedTables || machine.hasBug(PmapBug.LAST_LEVEL_TLBI_FOR_FREED_TABLES);
        if (machine.hasBug(PmapBug.SKIP_SHOOTDOWN)) {
            // Seeded bug: a local TLBI (no IS suffix), no broadcast, no DSB wait.
            if (self != null) {
                applyPending(self);
                self.stats().countFlush(byAsid ? self.tlb().invalidateTag(asid) : self.tlb().invalidateRange(asid, s, e), byAsid);
                if (!byAsid && !lastLevel) {
                    self.walkCache().invalidateRange(asid, s, e);
                }
            }
            return;
        }
        broadcast(mm, asid, s, byAsid ? -1 : e, lastLevel, self);
    }

    @Override
    public void teardownFlush(Pmap mm, Cpu self) {
        final long id = machine.asidContext(mm);
        if (id != 0) {
            broadcast(mm, asids.asidOf(id), 0, -1, false, self);
        }
        asids.release(mm);
    }

    @Override
    public boolean reachable(Cpu cpu, int tag, long vpn) {
        return reachable(cpu, tag, vpn, vpn + 1, false);
    }

    /** As {@link #reachable}, but a pending last-level TLBI leaves walk-cache entries alone. */
    @Override
    public boolean walksReachable(Cpu cpu, int tag, long firstVpn, long endVpn) {
        return reachable(cpu, tag, firstVpn, endVpn, true);
    }

    /**
     * Whether an entry of {@code tag} used for the pages [firstVpn, endVpn) survives what is pending
     * on {@code cpu}; {@code walk}: a walk-cache entry, which a last-level TLBI does not reach.
     */
    private boolean reachable(Cpu cpu, int tag, long firstVpn, long endVpn, boolean walk) {
        // After a rollover the CPU flushes everything at its next switch; until then it keeps
        // running its space under the reserved ASID and uses those entries (check_and_switch_context).
        final int running = asids.asidUntilPendingFlush(cpu);
        if (running >= 0 && tag != running) {
            return false;
        }
        final State s = st(cpu);
        synchronized (s) {
            if (s.all) {
                return false;
            }
            for (int i = 0; i < s.n; i++) {
                if (s.asid[i] == tag && (s.endVpn[i] < 0
                        || !(walk && s.lastLevel[i]) && s.startVpn[i] < endVpn && firstVpn < s.endVpn[i])) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public boolean ownsTag(Cpu cpu, int tag, Pmap mm) {
        return asids.owns(cpu, tag, machine.asidContext(mm));
    }

    @Override
    public Pmap owner(Cpu cpu, int tag) {
        return null; // ASIDs are global: the checker maps tags to spaces itself if it needs to
    }

    /** Whether an ASID is free now (tests). */
    public boolean asidFree(int asid) {
        return asids.isFree(asid);
    }

    /** Generation rollovers so far. */
    public long rollovers() {
        return asids.rollovers();
    }
}
