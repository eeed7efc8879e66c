package dev.specfault.pmap.arm64;

import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.PmapBug;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * arm64 ASID allocation after Linux's {@code arch/arm64/mm/context.c}, with OpenBSD's release of an
 * address space's ASID at teardown.
 *
 * <h2>Idea</h2>
 * A space's context id is {@code generation | asid}. A CPU switching to a space whose id is of the
 * current generation just loads it (fast path: a CAS on the CPU's active ASID). Otherwise, under the
 * allocator lock, the space gets a new ASID of this generation — its old number if still free or
 * reserved, else the next free one; when none is free the generation rolls over: the bitmap is
 * cleared except for the ASIDs running on some CPU (reserved), and every CPU must flush its whole
 * TLB before it next switches ({@code flushPending}). A released ASID (after teardown flushed it
 * everywhere) goes back to the bitmap at once, clean.
 *
 * <pre>
 *   context id:  63 ............ bits | bits-1 ... 0
 *                generation           | ASID (0 reserved for the kernel)
 * </pre>
 *
 * <pre>
 * Locks used to protect members:
 *   [l] the allocator monitor
 *   [a] atomic (active ASIDs: CAS in the fast path, exchanged at rollover under [l])
 * </pre>
 */
final class AsidAllocator {
    private final Machine machine;             // [I]
    private final int bits;                    // [I]
    private final long firstVersion;           // [I]
    private final long mask;                   // [I]
    private volatile long generation;          // [l] written, [a] read by the fast path
    private final BitSet map;                  // [l]
    private final AtomicLongArray active;      // [a]
    private final long[] reserved;             // [l]
    private final boolean[] flushPending;      // [l]
    private int cursor = 1;                    // [l]
    private long rollovers;                    // [l]

    AsidAllocator(Machine machine, int bits) {
        this.machine = machine;
        this.bits = bits;
        this.firstVersion = 1L << bits;
        this.mask = firstVersion - 1;
        this.generation = firstVersion;
        this.map = new BitSet(1 << bits);
        this.active = new AtomicLongArray(machine.cpuCount());
        this.reserved = new long[machine.cpuCount()];
        this.flushPending = new boolean[machine.cpuCount()];
    }

    int asidOf(long contextId) {
        return (int) (contextId & mask);
    }

    /** Linux check_and_switch_context: the context id to load on {@code cpu} for {@code mm}. */
    long switchTo(Cpu cpu, Pmap mm) {
        final int c = cpu.id();
        long id = machine.asidContext(mm);
        final long old = active.get(c);
        if (old != 0 && id != 0 && ((id ^ generation) >>> bits) == 0 && active.compareAndSet(c, old, id)) {
            return id;
        }
        synchronized (this) {
            if (mm.isStopped() && mm != machine.initPmap()) {
                // A switch to a space whose teardown has begun (Cpu.switchTo goes on to the kernel's
                // space): no ASID for it. release() comes after the stop, under this monitor, so an
                // ASID allocated now would never be given back (found in review).
                active.set(c, 0);
                return 0;
            }
            id = machine.asidContext(mm);
            if (id == 0 || ((id ^ generation) >>> bits) != 0) {
                id = newContext(id);
                machine.setAsidContext(mm, id);
            }
            if (flushPending[c]) {
                flushPending[c] = false;
                cpu.stats().countFlush(cpu.tlb().invalidateAll(), true);
            }
            active.set(c, id);
            return id;
        }
    }

    /** => [l]. Linux new_context. */
    private long newContext(long oldId) {
        if (oldId != 0) {
            final int asid = asidOf(oldId);
            final long newId = generation | asid;
            if (checkUpdateReserved(oldId, newId)) {
                return newId;
            }
            if (asid != 0 && !map.get(asid)) {
                map.set(asid);
                return newId;
            }
        }
        int asid = map.nextClearBit(cursor);
        if (asid >= (1 << bits)) {
            flushContext();
            asid = map.nextClearBit(1);
            if (asid >= (1 << bits)) {
                throw new IllegalStateException("no ASID left after rollover: more CPUs than ASIDs");
            }
        }
        map.set(asid);
        cursor = asid;
        return generation | asid;
    }

    /** => [l]. Whether {@code oldId} is reserved by some CPU; if so, it becomes {@code newId} there. */
    private boolean checkUpdateReserved(long oldId, long newId) {
        boolean hit = false;
        for (int c = 0; c < reserved.length; c++) {
            if (reserved[c] == oldId) {
                reserved[c] = newId;
                hit = true;
            }
        }
        return hit;
    }

    /** => [l]. Linux flush_context: a new generation; running ASIDs survive as reserved. */
    private void flushContext() {
        generation = generation + firstVersion;
        rollovers++;
        map.clear();
        map.set(0);
        for (int c = 0; c < reserved.length; c++) {
            long a = active.getAndSet(c, 0);
            if (a == 0) {
                a = reserved[c];
            }
            if (a != 0) {
                map.set(asidOf(a));
            }
            reserved[c] = a;
            // Every CPU flushes its whole TLB before its next switch (seeded bug: it does not).
            flushPending[c] = !machine.hasBug(PmapBug.TAG_REUSE_NO_FLUSH);
        }
    }

    /** The CPU no longer runs any space (detached to the kernel). */
    void deactivate(Cpu cpu) {
        active.set(cpu.id(), 0);
    }

    /** => every CPU's entries of {@code mm}'s ASID are gone. Returns the ASID to the bitmap, clean. */
    synchronized void release(Pmap mm) {
        final long id = machine.asidContext(mm);
        if (id != 0 && ((id ^ generation) >>> bits) == 0) {
            boolean reservedSomewhere = false;
            for (long r : reserved) {
                reservedSomewhere |= r == id;
            }
            if (!reservedSomewhere) {
                map.clear(asidOf(id));
            }
        }
        machine.setAsidContext(mm, 0);
    }

    /** Whether {@code cpu} will flush everything before its next switch. */
    synchronized boolean flushPending(Cpu cpu) {
        return flushPending[cpu.id()];
    }

    /**
     * With a flush pending on {@code cpu} (after a rollover), the ASID it keeps running until its
     * next switch (the reserved one: its TLB entries of that ASID stay usable till then), 0 if none;
     * -1 when no flush is pending.
     */
    synchronized int asidUntilPendingFlush(Cpu cpu) {
        return flushPending[cpu.id()] ? asidOf(reserved[cpu.id()]) : -1;
    }

    /**
     * Whether {@code cpu}'s entries tagged {@code asid} belong to the space of context id {@code id}:
     * the id is of the current generation, or it is the id {@code cpu} keeps running under until
     * its post-rollover flush (its reserved one).
     */
    synchronized boolean owns(Cpu cpu, int asid, long id) {
        if (id == 0 || asidOf(id) != asid) {
            return false;
        }
        return ((id ^ generation) >>> bits) == 0 || flushPending[cpu.id()] && reserved[cpu.id()] == id;
    }

    /** Whether an ASID is free in the current generation (released or never used). */
    synchronized boolean isFree(int asid) {
        return !map.get(asid);
    }

    synchronized long rollovers() {
        return rollovers;
    }

    long generation() {
        return generation;
    }

    int bits() {
        return bits;
    }
}
