package dev.specfault.stress.bench;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.Pmap;
import dev.specfault.pmap.Prot;
import dev.specfault.pmap.TablePage;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Install + clear of one leaf PTE ({@code Pmap.install}: mapcount up, release store;
 * {@code Pmap.clear}: get-and-clear, mapcount down) under the table's PTL (a CAS spinlock, the
 * speculative design) against the same under the space's pmap lock (a {@code ReentrantLock}, the
 * locked design, as OpenBSD's pmaps have), with 1 and 2 threads ({@code ./specfault bench
 * PteInstall}). {@code nolock_1t} is the same memory accesses with no lock: the floor.
 *
 * <h2>Two threads</h2>
 * Each thread has its own entry and its own data frame (on different cache lines, and frame numbers
 * 64 apart so that their map counts do not share a line either), so that the lock is the only
 * thing they share:
 * <ul>
 *   <li>{@code ptl_2t_sameTable}: both entries in one leaf table, so one PTL (faults on
 *   neighbouring pages);</li>
 *   <li>{@code ptl_2t_ownTable}: each entry in its own leaf table (2 MiB apart), so two PTLs: the
 *   point of split page-table locks;</li>
 *   <li>{@code pmaplock_2t}: the same two tables, but one pmap lock for the space.</li>
 * </ul>
 * Figures are ns per install+clear pair, per thread.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class PteInstallBenchmark {
    static final long BASE = 0x7f00_0000_0000L;
    static final long TABLE_SPAN = 2L << 20;

    private Pmap pmap;
    private PhysicalMemory mem;
    private FrameAllocator frames;
    private long frame0;
    private ReentrantLock pmapLock;
    /** Leaf tables: [0] and [1], 2 MiB apart. */
    private final long[] table = new long[2];
    private final TablePage[] ptl = new TablePage[2];
    /** Per thread slot: the PTE to install (own frame). */
    private final long[] pte = new long[2];

    @Setup(Level.Trial)
    public void setup() {
        final Machine m = BenchSpace.machine(Arch.X86_64, 1, 1024);
        final SrcuDomain domain = SrcuDomain.builder("bench").driver(GracePeriodDriver.manual()).build();
        pmap = m.newPmap("bench", domain);
        mem = m.memory();
        frames = m.frames();
        pmapLock = pmap.pmapLock();
        for (int t = 0; t < 2; t++) {
            table[t] = pmap.leafTableAlloc(BASE + t * TABLE_SPAN, null);
            if (table[t] == FrameAllocator.OOM) {
                throw new IllegalStateException("no frame for a leaf table");
            }
            ptl[t] = pmap.tablePage(table[t]);
        }
        if (table[0] == table[1]) {
            throw new IllegalStateException("the two slots share a leaf table");
        }
        final long[] data = new long[65];
        for (int i = 0; i < data.length; i++) {
            data[i] = frames.alloc(null, FrameAllocator.DATA, true);
        }
        frame0 = data[0];
        for (int s = 0; s < 2; s++) {
            pte[s] = pmap.format().leaf(data[s * 64], Prot.READ | Prot.WRITE, Prot.YOUNG | Prot.DIRTY);
        }
    }

    /** A benchmark thread's slot in its group (0 or 1). */
    @State(Scope.Thread)
    public static class Slot {
        int slot;

        @Setup(Level.Trial)
        public void setup(ThreadParams params) {
            slot = params.getSubgroupThreadIndex() & 1;
        }
    }

    /** Entry index of a slot: 256 entries (2 KiB) apart, never on one cache line. */
    private static int index(int slot) {
        return 256 * slot;
    }

    private static long va(int tableNo, int idx) {
        return BASE + tableNo * TABLE_SPAN + ((long) idx << 12);
    }

    private long underPtl(int tableNo, int slot) {
        final long t = table[tableNo];
        final int idx = index(slot);
        final TablePage tp = ptl[tableNo];
        tp.lock();
        try {
            pmap.install(t, idx, pte[slot]);
            return pmap.clear(t, idx, va(tableNo, idx));
        } finally {
            tp.unlock();
        }
    }

    private long underPmapLock(int tableNo, int slot) {
        final long t = table[tableNo];
        final int idx = index(slot);
        pmapLock.lock();
        try {
            pmap.install(t, idx, pte[slot]);
            return pmap.clear(t, idx, va(tableNo, idx));
        } finally {
            pmapLock.unlock();
        }
    }

    /**
     * The accesses install+clear make (map count up, release store, get-and-clear, map count down),
     * made directly on physical memory and the allocator with no lock: the floor. (Calling
     * {@code install}/{@code clear} without a lock would break their precondition.)
     */
    @Benchmark
    @Group("nolock_1t")
    @GroupThreads(1)
    public long nolock1() {
        final int idx = index(0);
        final long t = table[0];
        frames.mapInc(frame0);
        mem.putRelease(t, idx, pte[0]);
        final long old = mem.getAndSet(t, idx, 0);
        frames.mapDec(frame0);
        return old;
    }

    @Benchmark
    @Group("ptl_1t")
    @GroupThreads(1)
    public long ptl1() {
        return underPtl(0, 0);
    }

    @Benchmark
    @Group("pmaplock_1t")
    @GroupThreads(1)
    public long pmapLock1() {
        return underPmapLock(0, 0);
    }

    @Benchmark
    @Group("ptl_2t_sameTable")
    @GroupThreads(2)
    public long ptl2same(Slot s) {
        return underPtl(0, s.slot);
    }

    @Benchmark
    @Group("ptl_2t_ownTable")
    @GroupThreads(2)
    public long ptl2own(Slot s) {
        return underPtl(s.slot, s.slot);
    }

    @Benchmark
    @Group("pmaplock_2t")
    @GroupThreads(2)
    public long pmapLock2(Slot s) {
        return underPmapLock(s.slot, s.slot);
    }
}
