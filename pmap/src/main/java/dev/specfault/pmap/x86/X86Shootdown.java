package dev.specfault.pmap.x86;

import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.PmapBug;
import dev.specfault.pmap.TlbCoherence;
import dev.specfault.pmap.phys.PhysicalMemory;

/**
 * x86-64 TLB coherence after Linux's {@code arch/x86/mm/tlb.c}.
 *
 * <h2>PCIDs</h2>
 * Each CPU has a few PCID slots ({@code TLB_NR_DYN_ASIDS}, 6): slot {@code s} is PCID {@code s+1}
 * and remembers which space it holds and the space's flush generation it has caught up to. On a
 * switch, a slot that already holds the space is reused (flushed only if its generation is behind);
 * otherwise a clean slot is taken, or the next one round-robin, and flushed because it held another
 * space. Teardown flushes a space's slots on every CPU and marks them clean: a clean slot is reused
 * without a flush. (Seeded bug {@code tag-reuse-no-flush}: a dirty slot is reused without one.)
 *
 * <h2>Flushes: tlb_gen and IPIs</h2>
 * <pre>
 *   flusher:  gen = ++mm.tlbGen (full fence); lastFlush = (gen, range)
 *             for each CPU with mm in its cpumask:
 *                 lazy: only if tables are freed, and then it switches to init_mm (flush_tlb_func)
 *                 else if it is inside an access of mm: "IPI" = wait until that access ends
 *             the calling CPU catches up at once
 *   CPU:      at every access entry (after its state CAS, a full fence):
 *                 slot gen == mm gen            nothing
 *                 slot gen + 1 == gen, and lastFlush is that flush   flush the range (INVLPG: and
 *                                              the PCID's paging-structure caches)
 *                 otherwise                    flush the PCID
 * </pre>
 * Other CPUs catch up when they next enter an access: no deadlock with a CPU blocked in a fault or
 * idle, and no TLB entry they hold can be used before that (the P0 checker knows: see
 * {@link #reachable}).
 */
public final class X86Shootdown implements TlbCoherence {
    private final Machine machine; // [I]
    private final int slots;       // [I]

    public X86Shootdown(Machine machine, int slots) {
        this.machine = machine;
        this.slots = slots;
    }

    /**
     * A CPU's PCID slots (Linux cpu_tlbstate.ctxs).
     *
     * <pre>
     * Locks used to protect members: [r] the CPU's thread in its exclusive section, or a remote
     * operation holding the CPU; read racily by checkers.
     * </pre>
     */
    static final class State implements CpuState {
        final Pmap[] mm;      // [r] the space each slot holds, or null
        final long[] gen;     // [r] the space's tlb_gen the slot has caught up to
        final boolean[] clean; // [r] the slot holds no entries (never used, or flushed at teardown)
        int loaded = -1;      // [r] slot of the loaded space, -1 for the kernel space
        int next;             // [r] round-robin victim

        State(int n) {
            mm = new Pmap[n];
            gen = new long[n];
            clean = new boolean[n];
            java.util.Arrays.fill(clean, true);
        }
    }

    private static State st(Cpu c) {
        return (State) Machine.archState(c);
    }

    @Override
    public CpuState newCpuState(Cpu cpu) {
        return new State(slots);
    }

    @Override
    public void switchMm(Cpu cpu, Pmap prev, Pmap next) {
        final State s = st(cpu);
        if (prev != null && prev != next && !prev.isKernel()) {
            machine.cpumaskClear(prev, cpu.id());
        }
        if (next.isKernel()) {
            s.loaded = -1;
            cpu.setTag(0);
            return;
        }
        // Linux: set the bit in mm_cpumask, then read tlb_gen (the atomic RMW is a full fence): a
        // flusher that bumps the generation after our read sees us in the mask.
        machine.cpumaskSet(next, cpu.id());
        final long g = machine.tlbGen(next);
        int slot = -1;
        for (int i = 0; i < slots; i++) {
            if (s.mm[i] == next) {
                slot = i;
                break;
            }
        }
        boolean flush;
        if (slot >= 0) {
            flush = s.gen[slot] < g;
        } else {
            for (int i = 0; i < slots && slot < 0; i++) {
                if (s.mm[i] == null && s.clean[i]) {
                    slot = i;
                }
            }
            if (slot < 0) {
                slot = s.next;
                s.next = (s.next + 1) % slots;
            }
            flush = !s.clean[slot] && !machine.hasBug(PmapBug.TAG_REUSE_NO_FLUSH);
        }
        if (flush) {
            cpu.stats().countFlush(cpu.tlb().invalidateTag(slot + 1), true);
        }
        s.mm[slot] = next;
        s.gen[slot] = g;
        s.clean[slot] = false;
        s.loaded = slot;
        cpu.setTag(slot + 1);
    }

    @Override
    public void catchUp(Cpu cpu, Pmap mm) {
        final State s = st(cpu);
        final int slot = s.loaded;
        if (slot < 0) {
            return;
        }
        final long g = machine.tlbGen(mm);
        final long local = s.gen[slot];
        if (local == g) {
            return;
        }
        final long[] range = machine.lastFlushRange(mm, g);
        if (range != null && local + 1 == g) {
            cpu.stats().countFlush(cpu.tlb().invalidateRange(slot + 1, range[0] >>> PhysicalMemory.PAGE_SHIFT,
                    (range[1] + PhysicalMemory.PAGE_SIZE - 1) >>> PhysicalMemory.PAGE_SHIFT), false);
            // INVLPG also drops every paging-structure cache entry of the current PCID (SDM §4.10.4.1).
            cpu.walkCache().invalidateTag(slot + 1);
        } else {
            cpu.stats().countFlush(cpu.tlb().invalidateTag(slot + 1), true);
        }
        s.gen[slot] = g;
    }

    /**
     * Before a speculative walk: a CPU whose slot is behind its space's generation has a flush
     * IPI'd to it that it has not run yet (the emulation runs it at the next access entry). For a
     * flush that freed tables Linux waits for that IPI before the tables go, so the INVLPG in it has
     * emptied the PCID's paging-structure caches by the time the hardware could walk again: drop
     * them now. A lazy CPU got no IPI: the flushes it is behind on freed no tables (one that did
     * switched it away, unless the seeded bug lazy-cpus-skipped-for-freed-tables skipped it), and
     * its walk cache stays as it is. The TLB catch-up stays the kernel's, at the next access.
     */
    @Override
    public void catchUpHardwareOnly(Cpu cpu) {
        final State s = st(cpu);
        final int slot = s.loaded;
        if (slot < 0) {
            return;
        }
        final Pmap mm = s.mm[slot];
        if (mm != null && s.gen[slot] != machine.tlbGen(mm) && !cpu.lazyOpaque()) {
            cpu.walkCache().invalidateTag(slot + 1);
        }
    }

    @Override
    public void flushRange(Pmap mm, long start, long end, boolean freedTables, Cpu self) {
        if (machine.hasBug(PmapBug.SKIP_SHOOTDOWN)) {
            // Seeded bug: only the local INVLPG; no generation bump, no IPI.
            if (self != null && self.loadedOpaque() == mm && st(self).loaded >= 0) {
                self.stats().countFlush(self.tlb().invalidateRange(st(self).loaded + 1,
                        start >>> PhysicalMemory.PAGE_SHIFT, (end + PhysicalMemory.PAGE_SIZE - 1) >>> PhysicalMemory.PAGE_SHIFT), false);
                self.walkCache().invalidateTag(st(self).loaded + 1);
            }
            return;
        }
        machine.recordFlush(mm, start, end);
        for (Cpu c : machine.cpus()) {
            if (c == self || !machine.cpumaskTest(mm, c.id())) {
                continue;
            }
            if (c.lazyVolatile()) {
                if (!freedTables || machine.hasBug(PmapBug.LAZY_CPUS_SKIPPED_FOR_FREED_TABLES)) {
                    continue; // Linux skips lazy CPUs unless page tables are freed (seeded bug: always)
                }
                // flush_tlb_func on a lazy CPU: switch to init_mm, so that neither its speculative
                // walks nor its walk cache reach the freed tables (its entries are flushed when it
                // switches back: its slot's generation is behind by then).
                if (c.loadedOpaque() == mm) {
                    machine.countIpi(mm);
                    final long token = machine.beginRemote(c);
                    try {
                        machine.detachLazy(c, mm);
                    } finally {
                        machine.endRemote(c, token);
                    }
                }
                continue;
            }
            if (c.loadedOpaque() == mm && c.waitForAccessEnd()) {
                machine.countIpi(mm);
            }
        }
        if (self != null && self.loadedOpaque() == mm) {
            catchUp(self, mm);
        }
    }

    @Override
    public void teardownFlush(Pmap mm, Cpu self) {
        for (Cpu c : machine.cpus()) {
            final boolean mine = c == self;
            final long token = mine ? 0 : machine.beginRemote(c);
            try {
                final State s = st(c);
                for (int i = 0; i < slots; i++) {
                    if (s.mm[i] == mm) {
                        c.stats().countFlush(c.tlb().invalidateTag(i + 1), true);
                        s.mm[i] = null;
                        s.clean[i] = true; // reusable without a flush
                    }
                }
            } finally {
                if (!mine) {
                    machine.endRemote(c, token);
                }
            }
        }
    }

    @Override
    public boolean reachable(Cpu cpu, int tag, long vpn) {
        final Pmap mm = behind(cpu, tag);
        if (mm == null) {
            return slotLive(cpu, tag);
        }
        // One flush behind: only that flush's range is gone (the catch-up is ranged).
        final long g = machine.tlbGen(mm);
        if (st(cpu).gen[tag - 1] + 1 == g) {
            final long[] r = machine.lastFlushRange(mm, g);
            if (r != null) {
                // The pages catchUp drops: the range rounded out to pages (a fault's flush starts
                // at the faulting address, not at its page).
                return vpn < r[0] >>> PhysicalMemory.PAGE_SHIFT
                        || vpn >= (r[1] + PhysicalMemory.PAGE_SIZE - 1) >>> PhysicalMemory.PAGE_SHIFT;
            }
        }
        return false;
    }

    /**
     * A walk-cache entry is gone at the slot's next catch-up whatever its range: INVLPG and a PCID
     * flush both empty the PCID's paging-structure caches (and a speculative walk drops them first,
     * {@link #catchUpHardwareOnly}).
     */
    @Override
    public boolean walksReachable(Cpu cpu, int tag, long firstVpn, long endVpn) {
        return (behind(cpu, tag) == null || lazyOn(cpu, tag)) && slotLive(cpu, tag);
    }

    /**
     * Whether {@code cpu} is lazy with slot {@code tag} loaded: the flushes it is behind on skipped
     * it (they freed no tables; one that did switched it away), so no IPI will empty its walk cache
     * before the hardware walks speculatively again.
     */
    private static boolean lazyOn(Cpu cpu, int tag) {
        return cpu.lazyOpaque() && st(cpu).loaded == tag - 1;
    }

    /** The live space whose PCID slot {@code tag} is behind its flush generation on {@code cpu}, else null. */
    private Pmap behind(Cpu cpu, int tag) {
        if (tag <= 0 || tag > slots) {
            return null;
        }
        final State s = st(cpu);
        final Pmap mm = s.mm[tag - 1];
        return mm == null || mm.isDead() || s.gen[tag - 1] == machine.tlbGen(mm) ? null : mm;
    }

    /**
     * Whether entries of {@code tag} may be used at all: the kernel's tag, a tag past the slots, a
     * clean slot (reused without a flush: whatever it holds is reachable), or a live space's slot; a
     * dead space's slot is flushed when its next space takes it.
     */
    private boolean slotLive(Cpu cpu, int tag) {
        if (tag <= 0 || tag > slots) {
            return true;
        }
        final Pmap mm = st(cpu).mm[tag - 1];
        return mm == null || !mm.isDead();
    }

    @Override
    public Pmap owner(Cpu cpu, int tag) {
        if (tag <= 0 || tag > slots) {
            return null;
        }
        final Pmap mm = st(cpu).mm[tag - 1];
        return mm == null || mm.isDead() ? null : mm;
    }
}
