package dev.specfault.stress.bench;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.vma.Area;
import dev.specfault.vma.AreaMap;
import dev.specfault.vma.LayoutPlan;
import dev.specfault.vma.LayoutPlanner;
import dev.specfault.vma.Prot;
import dev.specfault.vma.Vma;
import dev.specfault.vma.VmMap;
import dev.specfault.vma.VmaTree;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * VMA lookup and replacement: the speculative design's {@link VmaTree} (SRCU read section included,
 * and without it) against {@link ConcurrentSkipListMap#floorEntry}, an unsynchronized
 * {@link TreeMap}, a {@code TreeMap} under {@link StampedLock} optimistic reads, and the locked
 * design's {@link VmMap} under its read lock; at 16, 1K and 64K VMAs; 1 and 2 reader threads, and 1
 * reader with 1 writer ({@code ./specfault bench VmaTree}).
 *
 * <p>Layout: VMA {@code i} maps pages {@code [5i, 5i + 4)} above 4 GiB; lookups hit a random VMA. The
 * writer alternates, on a random VMA, an mprotect of its middle two pages (a split in three) and the
 * mprotect back (a merge of three): one replace each, with plans computed once (the same
 * {@link LayoutPlanner} output for every structure; planning is not measured). Figures are ns per
 * operation per thread; read them as ratios against the peers of the same run.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class VmaTreeBenchmark {
    static final long BASE = 1L << 32;
    static final int RW = Prot.READ | Prot.WRITE;
    static final int ADDRS = 1 << 14;

    static long page(long p) {
        return BASE + (p << Area.PAGE_SHIFT);
    }

    /** The layout and the precomputed split/merge plans, shared by every structure. */
    @State(Scope.Group)
    public static class Layout {
        @Param({"16", "1024", "65536"})
        public int size;

        Area[] areas;
        LayoutPlan[] split;
        LayoutPlan[] merge;
        long[] addrs;

        void build() {
            areas = new Area[size];
            split = new LayoutPlan[size];
            merge = new LayoutPlan[size];
            final AreaMap m = new AreaMap();
            for (int i = 0; i < size; i++) {
                areas[i] = Area.anonymous(page(5L * i), page(5L * i + 4), RW, 0);
                m.insert(areas[i]);
            }
            for (int i = 0; i < size; i++) {
                split[i] = LayoutPlanner.protect(m, page(5L * i + 1), page(5L * i + 3), Prot.READ);
                m.apply(split[i]);
                merge[i] = LayoutPlanner.protect(m, page(5L * i + 1), page(5L * i + 3), RW);
                m.apply(merge[i]);
            }
            final SplittableRandom r = new SplittableRandom(42);
            addrs = new long[ADDRS];
            for (int k = 0; k < ADDRS; k++) {
                addrs[k] = page(5L * r.nextInt(size) + r.nextInt(4)) + r.nextInt(4096);
            }
        }

        /** Address {@code k} of the lookup sequence. */
        long addr(int k) {
            return addrs[k & (ADDRS - 1)];
        }
    }

    /** A thread's position in the lookup sequence and its writer state. */
    @State(Scope.Thread)
    public static class Cursor {
        int k;
        final SplittableRandom rnd = new SplittableRandom(Thread.currentThread().getId());
        boolean[] isSplit;

        @Setup
        public void setup() {
            k = (int) (Thread.currentThread().getId() * 7919);
        }

        boolean[] splits(int n) {
            if (isSplit == null) {
                isSplit = new boolean[n];
            }
            return isSplit;
        }
    }

    // ----------------------------------------------------------------------------------------
    // The structures

    /** The speculative design's tree, with the production SRCU driver; pools recycle without poison. */
    @State(Scope.Group)
    public static class Tree extends Layout {
        SrcuDomain domain;
        VmaTree tree;

        @Setup(Level.Trial)
        public void setup() {
            build();
            domain = SrcuDomain.builder("bench").driver(GracePeriodDriver.shared()).build();
            tree = VmaTree.builder(domain).poisoning(false).build();
            final VmaTree.Batch b = tree.prepare(new LayoutPlan(java.util.List.of(), java.util.List.of(areas), false));
            b.markDead();
            b.publish();
            b.retire();
        }

        @TearDown(Level.Iteration)
        public void drain() {
            domain.barrier();
        }

        Vma lookup(long a) {
            final int t = domain.readLock();
            try {
                return tree.lookup(a);
            } finally {
                domain.readUnlock(t);
            }
        }

        void apply(LayoutPlan p) {
            final VmaTree.Batch b = tree.prepare(p);
            b.markDead();
            b.publish();
            b.retire();
        }
    }

    @State(Scope.Group)
    public static class SkipList extends Layout {
        final ConcurrentSkipListMap<Long, Area> map = new ConcurrentSkipListMap<>();

        @Setup(Level.Trial)
        public void setup() {
            build();
            for (Area a : areas) {
                map.put(a.start(), a);
            }
        }

        Area lookup(long a) {
            final Map.Entry<Long, Area> e = map.floorEntry(a);
            return e != null && e.getValue().end() > a ? e.getValue() : null;
        }

        void apply(LayoutPlan p) {
            for (Area r : p.removed()) {
                map.remove(r.start());
            }
            for (Area x : p.added()) {
                map.put(x.start(), x);
            }
        }
    }

    /** TreeMap, unsynchronized (readers only) or under a StampedLock. */
    @State(Scope.Group)
    public static class Stamped extends Layout {
        final TreeMap<Long, Area> map = new TreeMap<>();
        final StampedLock lock = new StampedLock();

        @Setup(Level.Trial)
        public void setup() {
            build();
            for (Area a : areas) {
                map.put(a.start(), a);
            }
        }

        Area plain(long a) {
            final Map.Entry<Long, Area> e = map.floorEntry(a);
            return e != null && e.getValue().end() > a ? e.getValue() : null;
        }

        Area optimistic(long a) {
            final long s = lock.tryOptimisticRead();
            if (s != 0) {
                try {
                    final Area r = plain(a);
                    if (lock.validate(s)) {
                        return r;
                    }
                } catch (RuntimeException racedWithAWriter) {
                    // a torn TreeMap seen by an optimistic reader: retry under the read lock
                }
            }
            final long rs = lock.readLock();
            try {
                return plain(a);
            } finally {
                lock.unlockRead(rs);
            }
        }

        void apply(LayoutPlan p) {
            final long s = lock.writeLock();
            try {
                for (Area r : p.removed()) {
                    map.remove(r.start());
                }
                for (Area x : p.added()) {
                    map.put(x.start(), x);
                }
            } finally {
                lock.unlockWrite(s);
            }
        }
    }

    /** The locked design's vm_map. */
    @State(Scope.Group)
    public static class Locked extends Layout {
        final VmMap map = new VmMap();

        @Setup(Level.Trial)
        public void setup() {
            build();
            map.writeLock();
            try {
                map.apply(new LayoutPlan(java.util.List.of(), java.util.List.of(areas), false));
            } finally {
                map.writeUnlock();
            }
        }

        Area lookup(long a) {
            map.readLock();
            try {
                return map.lookup(a);
            } finally {
                map.readUnlock();
            }
        }

        void apply(LayoutPlan p) {
            map.writeLock();
            try {
                map.apply(p);
            } finally {
                map.writeUnlock();
            }
        }
    }

    /** The writer's next plan: split a random unsplit VMA, or merge a split one back. */
    static LayoutPlan nextPlan(Layout l, Cursor c) {
        final int i = c.rnd.nextInt(l.size);
        final boolean[] s = c.splits(l.size);
        s[i] = !s[i];
        return s[i] ? l.split[i] : l.merge[i];
    }

    // ----------------------------------------------------------------------------------------
    // VmaTree

    @Benchmark @Group("tree_1t") @GroupThreads(1)
    public Vma tree1(Tree s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("tree_2t") @GroupThreads(2)
    public Vma tree2(Tree s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    /** The walk alone, no read section (what the tree itself costs). */
    @Benchmark @Group("treeNoSection_1t") @GroupThreads(1)
    public Vma treeNoSection1(Tree s, Cursor c) {
        return s.tree.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("tree_1t_writer") @GroupThreads(1)
    public Vma treeW(Tree s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("tree_1t_writer") @GroupThreads(1)
    public void treeWriter(Tree s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    @Benchmark @Group("tree_write") @GroupThreads(1)
    public void treeWrite(Tree s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    // ----------------------------------------------------------------------------------------
    // ConcurrentSkipListMap

    @Benchmark @Group("skipList_1t") @GroupThreads(1)
    public Area skipList1(SkipList s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("skipList_2t") @GroupThreads(2)
    public Area skipList2(SkipList s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("skipList_1t_writer") @GroupThreads(1)
    public Area skipListW(SkipList s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("skipList_1t_writer") @GroupThreads(1)
    public void skipListWriter(SkipList s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    @Benchmark @Group("skipList_write") @GroupThreads(1)
    public void skipListWrite(SkipList s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    // ----------------------------------------------------------------------------------------
    // TreeMap: unsynchronized (no writer: it is not thread-safe), and under StampedLock

    @Benchmark @Group("treeMap_1t") @GroupThreads(1)
    public Area treeMap1(Stamped s, Cursor c) {
        return s.plain(s.addr(c.k++));
    }

    @Benchmark @Group("treeMap_2t") @GroupThreads(2)
    public Area treeMap2(Stamped s, Cursor c) {
        return s.plain(s.addr(c.k++));
    }

    @Benchmark @Group("stamped_1t") @GroupThreads(1)
    public Area stamped1(Stamped s, Cursor c) {
        return s.optimistic(s.addr(c.k++));
    }

    @Benchmark @Group("stamped_2t") @GroupThreads(2)
    public Area stamped2(Stamped s, Cursor c) {
        return s.optimistic(s.addr(c.k++));
    }

    @Benchmark @Group("stamped_1t_writer") @GroupThreads(1)
    public Area stampedW(Stamped s, Cursor c) {
        return s.optimistic(s.addr(c.k++));
    }

    @Benchmark @Group("stamped_1t_writer") @GroupThreads(1)
    public void stampedWriter(Stamped s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    @Benchmark @Group("stamped_write") @GroupThreads(1)
    public void stampedWrite(Stamped s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    // ----------------------------------------------------------------------------------------
    // VmMap (locked design)

    @Benchmark @Group("vmMap_1t") @GroupThreads(1)
    public Area vmMap1(Locked s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("vmMap_2t") @GroupThreads(2)
    public Area vmMap2(Locked s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("vmMap_1t_writer") @GroupThreads(1)
    public Area vmMapW(Locked s, Cursor c) {
        return s.lookup(s.addr(c.k++));
    }

    @Benchmark @Group("vmMap_1t_writer") @GroupThreads(1)
    public void vmMapWriter(Locked s, Cursor c) {
        s.apply(nextPlan(s, c));
    }

    @Benchmark @Group("vmMap_write") @GroupThreads(1)
    public void vmMapWrite(Locked s, Cursor c) {
        s.apply(nextPlan(s, c));
    }
}
