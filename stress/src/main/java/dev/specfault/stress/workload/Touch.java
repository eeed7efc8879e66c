package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Cpu;

/**
 * The checked accesses every workload makes: a store of a tagged value that must succeed and read
 * back (P2, P4), and a load that must return what this thread last stored (P4).
 */
final class Touch {
    private Touch() {
    }

    /** A value tagged with the thread, a sequence (round, pass) and the page: unique per store. */
    static long tag(int thread, long seq, long va) {
        return ((long) (thread + 1) << 52) ^ (seq << 24) ^ (va >>> 12 & 0xffffff);
    }

    /** The thread a {@link #tag} names (-1 for zero). */
    static int owner(long v) {
        return v == 0 ? -1 : (int) (v >>> 52) - 1;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    /**
     * Stores {@code v} at {@code va} (latency recorded) and loads it back. Returns false, with the
     * violation reported, if either access fails or the value differs.
     */
    static boolean storeAndCheck(WorkloadContext ctx, AddressSpace s, Cpu cpu, long va, long v) {
        final long t0 = System.nanoTime();
        final int r = s.store(cpu, va, v);
        ctx.latency(cpu).recordValue(Math.max(0, System.nanoTime() - t0));
        if (r != AccessResult.OK) {
            ctx.violation("P2: store to a mapped page returned " + AccessResult.name(r) + " at " + hex(va)
                    + " in " + s.name());
            return false;
        }
        return expect(ctx, s, cpu, va, v, "after storing it");
    }

    /** Loads {@code va}; false, with the violation reported, unless it is OK and equals {@code v}. */
    static boolean expect(WorkloadContext ctx, AddressSpace s, Cpu cpu, long va, long v, String when) {
        final int l = s.load(cpu, va);
        if (l != AccessResult.OK) {
            ctx.violation("P2: load of a mapped page returned " + AccessResult.name(l) + " at " + hex(va)
                    + " in " + s.name());
            return false;
        }
        if (cpu.value() != v) {
            ctx.violation("P4: read back " + hex(cpu.value()) + " at " + hex(va) + " in " + s.name() + ", expected "
                    + hex(v) + " (" + when + ")");
            return false;
        }
        return true;
    }
}
