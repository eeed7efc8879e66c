package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * unmap_race: faults on memory that is being unmapped under them — the case every speculative
 * check exists for. Writers own "slots" (a 64 KiB area at a fixed, 2 MiB-aligned address far from
 * where mmap places things; every other slot has a read-only anchor page 1 MiB above its area that
 * keeps the leaf table linked, the others are alone in their 2 MiB, so that munmap frees the leaf
 * table under the faults) and loop: munmap the area, wait a little, map it again (FIXED). Faulting threads load
 * and store, each its own 8-byte word, in random pages of random slots.
 *
 * <h2>The slot's phase</h2>
 * Each slot has a counter the writer bumps around its operations:
 * <pre>
 *   4k+0 mapped ─▶ 4k+1 munmap running ─▶ 4k+2 unmapped ─▶ 4k+3 mmap running ─▶ 4(k+1) mapped
 * </pre>
 * A faulting thread reads it before and after an access. Same value both times:
 * <ul>
 *   <li>{@code 4k+2} — munmap had returned before the access began and the area was not mapped
 *   again before it ended: the access must be SIGSEGV. An OK is a stray translation or a fault
 *   that installed after munmap (P1: skip-dead-check, zap-before-mark-dead, stale TLB entries).</li>
 *   <li>{@code 4k} — mapped all along: the access must be OK (P2: no false SIGSEGV), and a load of
 *   the thread's word returns its last store in this mapping, or 0 if the area was mapped anew
 *   since (P4).</li>
 * </ul>
 * Different values: a race with the writer, where either result is allowed (SIGSEGV is counted),
 * but not both in turn: after a SIGSEGV during a munmap, an access that begins and ends during the
 * same munmap must be SIGSEGV too (P8). Accesses come in bursts of 8 to one slot, so that two
 * threads often fault the same fresh page at once.
 */
final class UnmapRace {
    /** Pages of a slot's area. */
    static final int PAGES = 16;
    /** Where the slots start: 8 GiB, below anything mmap places top-down or brk reaches. */
    static final long BASE = 0x200000000L;
    /** One slot per 2 MiB (one leaf table each). */
    static final long STRIDE = 2L << 20;
    /** Slots per writer. */
    static final int SLOTS_PER_WRITER = 2;

    /**
     * The slots' phases and each faulting thread's memory of its last store.
     * <pre>
     * Who protects what:
     *   [I] immutable
     *   [a] atomic: written (incremented) only by the slot's writer, read volatile by faulting threads
     *   [c] index t: only faulting thread t
     * </pre>
     */
    static final class State {
        final int slots;                // [I]
        final AtomicLongArray phase;    // [a]
        /** [thread][slot * PAGES + page]: the last value stored, and the phase it was stored in (-1 unknown). */
        final long[][] mine;            // [c]
        final long[][] mineAt;          // [c]

        State(WorkloadContext ctx) {
            slots = Math.max(1, ctx.writers()) * SLOTS_PER_WRITER;
            phase = new AtomicLongArray(slots);
            mine = new long[ctx.threads()][slots * PAGES];
            mineAt = new long[ctx.threads()][slots * PAGES];
            for (long[] a : mineAt) {
                java.util.Arrays.fill(a, -1);
            }
            final AddressSpace s = ctx.space();
            for (int i = 0; i < slots; i++) {
                final long a = BASE + i * STRIDE;
                map(ctx, s, a);
                if (i % 2 == 1) {
                    continue; // alone in its 2 MiB: munmap frees the leaf table under the faults
                }
                final long anchor = s.mmap(a + STRIDE / 2, Mman.PAGE_SIZE, Mman.PROT_READ,
                        Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED);
                if (anchor != a + STRIDE / 2) {
                    ctx.violation("unmap_race: mmap of an anchor page returned " + Errno.format(anchor));
                }
            }
        }
    }

    private UnmapRace() {
    }

    private static void map(WorkloadContext ctx, AddressSpace s, long a) {
        final long r = s.mmap(a, PAGES * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED);
        if (r != a) {
            ctx.violation("unmap_race: mmap FIXED of a slot returned " + Errno.format(r));
        }
    }

    /** A faulting thread's round: 256 checked accesses. */
    static long faulter(WorkloadContext ctx, Cpu cpu, int thread, long round, SplittableRandom rnd) {
        final State st = (State) ctx.state();
        final AddressSpace s = ctx.space();
        final long[] mine = st.mine[thread];
        final long[] mineAt = st.mineAt[thread];
        long pages = 0;
        int slot = 0;
        long segvIn = -1; // the munmap phase in which this thread saw the slot unmapped
        long segvVa = 0;
        for (int k = 0; k < 256; k++) {
            if (k % 8 == 0) {
                slot = rnd.nextInt(st.slots); // bursts of 8 accesses to one slot
                segvIn = -1;
            }
            final int page = rnd.nextInt(PAGES);
            final int i = slot * PAGES + page;
            final long va = BASE + slot * STRIDE + page * Mman.PAGE_SIZE + 8L * thread;
            // load
            long p1 = st.phase.get(slot);
            int r = s.load(cpu, va);
            final long v = cpu.value();
            long p2 = st.phase.get(slot);
            if (!check(ctx, s, "load", r, p1, p2, va) || !linearizable(ctx, s, "load", r, p1, p2, va, segvIn, segvVa)) {
                return pages;
            }
            if (r == AccessResult.SIGSEGV && p1 == p2 && (p2 & 3) == 1) { // within the munmap, not before it
                segvIn = p2;
                segvVa = va;
            }
            if (p1 == p2 && (p1 & 3) == 0 && mineAt[i] >= 0) {
                final long expect = mineAt[i] == p1 ? mine[i] : 0;
                if (v != expect) {
                    ctx.violation("P4: load at " + Touch.hex(va) + " in " + s.name() + " returned " + Touch.hex(v)
                            + ", expected " + Touch.hex(expect) + (expect == 0
                            ? " (the area was unmapped and mapped again since this thread stored " + Touch.hex(mine[i]) + ")"
                            : " (this thread's last store in this mapping)"));
                    return pages;
                }
            }
            // store
            final long tag = Touch.tag(thread, round << 8 | k, va);
            p1 = st.phase.get(slot);
            final long t0 = System.nanoTime();
            r = s.store(cpu, va, tag);
            ctx.latency(cpu).recordValue(Math.max(0, System.nanoTime() - t0));
            p2 = st.phase.get(slot);
            if (!check(ctx, s, "store", r, p1, p2, va) || !linearizable(ctx, s, "store", r, p1, p2, va, segvIn, segvVa)) {
                return pages;
            }
            if (r == AccessResult.SIGSEGV && p1 == p2 && (p2 & 3) == 1) { // within the munmap, not before it
                segvIn = p2;
                segvVa = va;
            }
            if (r == AccessResult.OK) {
                pages++;
                mine[i] = tag;
                mineAt[i] = p1 == p2 && (p1 & 3) == 0 ? p1 : -1;
            } else if (p1 != p2) {
                mineAt[i] = -1; // it may have landed in the old mapping or not: unknown
            }
        }
        return pages;
    }

    /**
     * P8 within one munmap: once this thread saw the slot unmapped while the munmap was running
     * (a SIGSEGV that began and ended in phase 4k+1), a later access that begins and ends in that same phase must
     * be SIGSEGV too — the munmap took effect at one instant, before the first SIGSEGV.
     */
    private static boolean linearizable(WorkloadContext ctx, AddressSpace s, String what, int r, long p1, long p2,
                                        long va, long segvIn, long segvVa) {
        if (r == AccessResult.OK && segvIn >= 0 && p1 == segvIn && p2 == segvIn) {
            ctx.violation("P8: a " + what + " at " + Touch.hex(va) + " in " + s.name() + " returned OK after a SIGSEGV"
                    + " in the same area during the same munmap (at " + Touch.hex(segvVa) + "): not linearizable, the munmap was seen, then not");
            return false;
        }
        return true;
    }

    /** The rule of the phases for one access; false after a violation. */
    private static boolean check(WorkloadContext ctx, AddressSpace s, String what, int r, long p1, long p2, long va) {
        if (p1 == p2 && (p1 & 3) == 2) {
            if (r == AccessResult.SIGSEGV) {
                ctx.sigsegv();
                return true;
            }
            ctx.violation("P1: a " + what + " at " + Touch.hex(va) + " in " + s.name() + " returned "
                    + AccessResult.name(r) + " though the area was unmapped before it began and not mapped again before it ended");
            return false;
        }
        if (r == AccessResult.OK) {
            return true;
        }
        if (r == AccessResult.SIGSEGV && (p1 != p2 || (p1 & 3) != 0)) {
            ctx.sigsegv(); // raced with the writer's munmap or mmap: allowed
            return true;
        }
        ctx.violation("P2: a " + what + " at " + Touch.hex(va) + " in " + s.name() + " returned " + AccessResult.name(r)
                + (r == AccessResult.SIGSEGV ? " though the area was mapped all along" : ""));
        return false;
    }

    /** A writer's step: munmap one of its slots, wait a little, map it again. */
    static long writer(WorkloadContext ctx, Cpu cpu, int thread, SplittableRandom rnd) {
        final State st = (State) ctx.state();
        final AddressSpace s = ctx.space();
        final int w = thread - ctx.threads();
        final int slot = w + ctx.writers() * rnd.nextInt(SLOTS_PER_WRITER);
        final long a = BASE + slot * STRIDE;
        st.phase.incrementAndGet(slot); // 4k+1: munmap running
        final long u = s.munmap(a, PAGES * Mman.PAGE_SIZE);
        if (u != 0) {
            ctx.violation("unmap_race: munmap of a slot failed: " + Errno.format(u));
            return 0;
        }
        st.phase.incrementAndGet(slot); // 4k+2: unmapped
        final long until = System.nanoTime() + 20_000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        st.phase.incrementAndGet(slot); // 4k+3: mmap running
        map(ctx, s, a);
        st.phase.incrementAndGet(slot); // 4(k+1): mapped
        return 1;
    }
}
