package dev.specfault.pmap;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A minimal kernel side for testing the machine: areas with rights, demand-zero anonymous pages
 * installed under the PTL, and munmap / mprotect / exit in the protocol order (zap, flush, free
 * frames, free tables). Writers are serialized by the monitor of this object (its "mmap lock").
 * The real address spaces are in the fault module; this only exercises pmap.
 */
final class TestKernel implements FaultHandler {
    final Machine machine;
    final SrcuDomain domain;
    final Pmap pmap;
    /** start -> {end, prot} */
    final ConcurrentSkipListMap<Long, long[]> areas = new ConcurrentSkipListMap<>();

    TestKernel(Machine machine, String name) {
        this.machine = machine;
        this.domain = SrcuDomain.builder(name).driver(GracePeriodDriver.manual()).build();
        this.pmap = machine.newPmap(name, domain);
        pmap.setHandler(this);
    }

    synchronized void map(long start, long end, int prot) {
        areas.put(start, new long[] {end, prot});
    }

    private long[] area(long va) {
        final Map.Entry<Long, long[]> e = areas.floorEntry(va);
        return e == null || va >= e.getValue()[0] ? null : e.getValue();
    }

    @Override
    public int handleFault(Cpu cpu, long va, int access, long walk) {
        synchronized (this) {
            final long[] a = area(va);
            if (a == null || (a[1] & Prot.needed(access)) == 0) {
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
                    final int flags = Prot.YOUNG | (access == Prot.ACCESS_WRITE ? Prot.DIRTY : 0);
                    pmap.install(table, idx, f.leaf(frame, (int) a[1], flags));
                } else {
                    // Access-flag or dirty fault (arm64 without hardware AF/DBM), or a spurious one.
                    pmap.rewrite(table, idx, va, (v, old) -> {
                        long n = f.mkyoung(old);
                        if (access == Prot.ACCESS_WRITE && f.writable(old)) {
                            n = f.mkdirty(n);
                        }
                        return n;
                    });
                }
            } finally {
                tp.unlock();
            }
            return RETRY;
        }
    }

    /** munmap: zap, flush, free the frames, free the tables of the gap. */
    synchronized int unmap(long start, long end, Cpu self) {
        final List<Long> frames = new ArrayList<>();
        pmap.zapRange(start, end, (va, old) -> frames.add(pmap.format().frame(old)));
        pmap.flushRange(start, end, false, self);
        for (long f : frames) {
            machine.frames().put(f);
        }
        areas.headMap(end).entrySet().removeIf(e -> e.getKey() >= start);
        final Long prev = areas.lowerKey(start);
        final long floor = prev == null ? 0 : areas.get(prev)[0];
        final Long next = areas.ceilingKey(end);
        final long ceiling = next == null ? machine.arch().userTop() : next;
        return pmap.freeTables(start, end, floor, ceiling, self);
    }

    /**
     * munmap as the designs do it (Linux's mmu_gather): zap, unlink the tables of the gap, one flush
     * for both (with freedTables), then the frames and the tables. Returns the tables freed.
     */
    synchronized int unmapOneFlush(long start, long end, Cpu self) {
        final List<Long> frames = new ArrayList<>();
        pmap.zapRange(start, end, (va, old) -> frames.add(pmap.format().frame(old)));
        areas.headMap(end).entrySet().removeIf(e -> e.getKey() >= start);
        final Long prev = areas.lowerKey(start);
        final long floor = prev == null ? 0 : areas.get(prev)[0];
        final Long next = areas.ceilingKey(end);
        final long ceiling = next == null ? machine.arch().userTop() : next;
        final List<TablePage> tables = pmap.unlinkTables(start, end, floor, ceiling);
        pmap.flushRange(start, end, !tables.isEmpty(), self);
        for (long f : frames) {
            machine.frames().put(f);
        }
        pmap.retireTables(tables);
        return tables.size();
    }

    /** mprotect to read-only: write-protect, flush. */
    synchronized void writeProtect(long start, long end, Cpu self) {
        final Map.Entry<Long, long[]> e = areas.floorEntry(start);
        e.getValue()[1] &= ~Prot.WRITE;
        pmap.protectRange(start, end, (va, old) -> pmap.format().wrprotect(old));
        pmap.flushRange(start, end, false, self);
    }

    /** exit: teardown in order, then the frames. */
    synchronized void exit(Cpu self) {
        final List<Long> frames = new ArrayList<>();
        pmap.teardown((va, old) -> frames.add(pmap.format().frame(old)), self);
        for (long f : frames) {
            machine.frames().put(f);
        }
        areas.clear();
    }

    // ------------------------------------------------------------------------------------------

    /** A thread per CPU, so that each CPU is always driven by the same thread (a bound CPU). */
    static final class CpuThreads implements AutoCloseable {
        private final ExecutorService[] threads;
        private final Machine machine;

        CpuThreads(Machine machine) {
            this.machine = machine;
            this.threads = new ExecutorService[machine.cpuCount()];
            for (int i = 0; i < threads.length; i++) {
                final int id = i;
                threads[i] = Executors.newSingleThreadExecutor(r -> new Thread(r, "cpu" + id));
                run(i, () -> {
                    machine.cpu(id).bind();
                    return null;
                });
            }
        }

        <T> T run(int cpu, Callable<T> body) {
            final Future<T> f = threads[cpu].submit(body);
            try {
                return f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(e.getCause());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        <T> Future<T> submit(int cpu, Callable<T> body) {
            return threads[cpu].submit(body);
        }

        /** Runs on a CPU's thread from another CPU's thread (a hook), waiting for the result. */
        <T> T submitAndWait(int cpu, Callable<T> body) {
            return run(cpu, body);
        }

        int load(int cpu, long va) {
            return run(cpu, () -> machine.cpu(cpu).load(va));
        }

        long loadValue(int cpu, long va) {
            return run(cpu, () -> {
                final int r = machine.cpu(cpu).load(va);
                if (r != AccessResult.OK) {
                    throw new IllegalStateException("load 0x" + Long.toHexString(va) + ": " + AccessResult.name(r));
                }
                return machine.cpu(cpu).value();
            });
        }

        int store(int cpu, long va, long v) {
            return run(cpu, () -> machine.cpu(cpu).store(va, v));
        }

        void switchTo(int cpu, Pmap p) {
            run(cpu, () -> {
                machine.cpu(cpu).switchTo(p);
                return null;
            });
        }

        @Override
        public void close() {
            for (int i = 0; i < threads.length; i++) {
                final int id = i;
                run(i, () -> {
                    machine.cpu(id).unbind();
                    return null;
                });
                threads[i].shutdownNow();
            }
        }
    }
}
