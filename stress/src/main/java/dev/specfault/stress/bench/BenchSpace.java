package dev.specfault.stress.bench;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.FaultHandler;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.PteFormat;
import dev.specfault.pmap.TablePage;
import dev.specfault.pmap.WalkResult;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;

/**
 * The smallest kernel side the pmap benchmarks need: one anonymous read-write area
 * [{@code start}, {@code end}) whose pages are demand-zero, installed under the PTL, as pmap's
 * test kernel does it. Faults are serialized by this object's monitor (its "mmap lock"); nothing is
 * ever unmapped. Not a fault path to measure: the benchmarks touch every page before they measure.
 */
final class BenchSpace implements FaultHandler {
    final Machine machine;
    final SrcuDomain domain;
    final Pmap pmap;
    final long start;
    final long end;

    BenchSpace(Machine machine, long start, long end) {
        this.machine = machine;
        this.domain = SrcuDomain.builder("bench").driver(GracePeriodDriver.manual()).build();
        this.pmap = machine.newPmap("bench", domain);
        if (pmap == null) {
            throw new IllegalStateException("no frame for the root table");
        }
        this.start = start;
        this.end = end;
        pmap.setHandler(this);
    }

    /** A machine for benchmarks: no speculative prefetch (a miss stays a miss), no poisoning. */
    static Machine machine(Arch arch, int cpus, long frames) {
        return Machine.builder(arch).cpus(cpus).frameLimit(frames).prefetchPercent(0).poisonFreedFrames(false)
                .build();
    }

    @Override
    public synchronized int handleFault(Cpu cpu, long va, int access, long walk) {
        if (va < start || va >= end) {
            return AccessResult.SIGSEGV;
        }
        final PteFormat f = pmap.format();
        final FrameCache cache = cpu.frameCache();
        final long table = pmap.leafTableAlloc(va, cache);
        if (table == FrameAllocator.OOM) {
            return AccessResult.OOM;
        }
        final int idx = Arch.index(va, 1);
        final TablePage tp = pmap.tablePage(table);
        tp.lock();
        try {
            final long e = pmap.pte(table, idx);
            if (!f.mapsFrame(e)) {
                final long frame = machine.frames().alloc(cache, FrameAllocator.DATA, true);
                if (frame == FrameAllocator.OOM) {
                    return AccessResult.OOM;
                }
                pmap.install(table, idx, f.leaf(frame, Prot.READ | Prot.WRITE, Prot.YOUNG | Prot.DIRTY));
            } else if (WalkResult.kind(walk) == WalkResult.ACCESS_FLAG) {
                pmap.rewrite(table, idx, va, (v, old) -> f.mkyoung(old));
            }
        } finally {
            tp.unlock();
        }
        return RETRY;
    }

    /** => {@code cpu} bound to the calling thread and switched here. Touches every page with a store. */
    void populate(Cpu cpu) {
        for (long va = start; va < end; va += 4096) {
            final int r = cpu.store(va, va);
            if (r != AccessResult.OK) {
                throw new IllegalStateException("populate 0x" + Long.toHexString(va) + ": " + AccessResult.name(r));
            }
        }
    }

    /** The frame that {@code va} maps to now (a read-only walk; the page must be mapped). */
    long frameOf(long va) {
        final long t = machine.walker().peek(pmap.root(), va);
        if (WalkResult.isFault(t)) {
            throw new IllegalStateException("0x" + Long.toHexString(va) + " is not mapped: " + WalkResult.toString(t));
        }
        return WalkResult.frame(t);
    }
}
