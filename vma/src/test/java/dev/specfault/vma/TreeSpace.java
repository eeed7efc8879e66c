package dev.specfault.vma;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.Set;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;

/**
 * The object Lincheck checks for the tree: a toy address space of {@value #PAGES} pages on a
 * {@link VmaTree}, with the speculative design's writer and fault protocols and a one-level "page
 * table" ({@code ptes}, one rights word per page under one PTL).
 *
 * <ul>
 *   <li>Writers (one non-parallel group; they also hold a monitor standing for the mmap lock): plan
 *   with {@link LayoutPlanner}, then prepare, mark dead, zap the replaced ranges under the PTL,
 *   publish, retire.</li>
 *   <li>{@code touch(page)} is a fault: inside a read section, look up, read incarnation, sequence
 *   and rights; under the PTL re-check dead, incarnation and sequence, then install the rights in
 *   the PTE. On a dead record or odd sequence it looks up once more, then falls back to the mmap
 *   lock (after leaving the read section). It returns the rights it installed (0: SIGSEGV), or -1
 *   if it caught a use after free.</li>
 *   <li>{@code find(page)} is Linux {@code find_vma} inside a read section.</li>
 *   <li>{@link #noStrayPte()} (Lincheck {@code @Validate}, after each invocation) is P1: every
 *   installed PTE is covered by an area that grants its rights.</li>
 * </ul>
 * Grace periods run inline on the writer (no background threads under model checking).
 * The sequential specification is {@link Spec}: the same plans applied to an {@link AreaMap}.
 */
@Param(name = "page", gen = IntGen.class, conf = "0:3")
@Param(name = "len", gen = IntGen.class, conf = "1:3")
@Param(name = "prot", gen = IntGen.class, conf = "1:3")
public abstract class TreeSpace {
    static final int PAGES = 4;
    static final long BASE = 16;
    /** Retries of a fault before it falls back to the mmap lock. */
    static final int TRIES = 2;

    private final SrcuDomain domain;
    private final VmaTree tree;
    private final Object mmapLock = new Object();
    private final Object ptl = new Object();
    /** Installed rights per page, 0 = none. [ptl] */
    private final int[] ptes = new int[PAGES];

    protected TreeSpace(Set<VmaBug> bugs) {
        domain = SrcuDomain.builder("lincheck-vma").driver(GracePeriodDriver.inline()).build();
        tree = VmaTree.builder(domain).quarantine(1).bugs(bugs).build();
        // One area to start with, so that the first operations have something to split and protect.
        run(LayoutPlanner.map(tree.asAreaIndex(), area(0, 3, Prot.READ | Prot.WRITE)));
    }

    static long addr(int page) {
        return (BASE + page) << Area.PAGE_SHIFT;
    }

    static Area area(int page, int len, int prot) {
        return Area.anonymous(addr(page), addr(Math.min(PAGES, page + len)), prot, 0);
    }

    static int end(int page, int len) {
        return Math.min(PAGES, page + len);
    }

    /** => mmapLock. The writer protocol of DESIGN.md, steps 2–6. */
    private void run(LayoutPlan plan) {
        final VmaTree.Batch b = tree.prepare(plan);
        b.markDead();
        synchronized (ptl) {
            for (Vma v : b.removedRecords()) {
                for (long a = v.start(); a < v.end(); a += Area.PAGE_SIZE) {
                    ptes[(int) ((a >>> Area.PAGE_SHIFT) - BASE)] = 0;
                }
            }
        }
        b.publish();
        b.retire();
    }

    @Operation(nonParallelGroup = "writer")
    public void map(@Param(name = "page") int page, @Param(name = "len") int len, @Param(name = "prot") int prot) {
        synchronized (mmapLock) {
            run(LayoutPlanner.map(tree.asAreaIndex(), area(page, len, prot)));
        }
    }

    @Operation(nonParallelGroup = "writer")
    public void unmap(@Param(name = "page") int page, @Param(name = "len") int len) {
        synchronized (mmapLock) {
            run(LayoutPlanner.unmap(tree.asAreaIndex(), addr(page), addr(end(page, len))));
        }
    }

    @Operation(nonParallelGroup = "writer")
    public boolean protect(@Param(name = "page") int page, @Param(name = "len") int len,
            @Param(name = "prot") int prot) {
        synchronized (mmapLock) {
            final LayoutPlan plan = LayoutPlanner.protect(tree.asAreaIndex(), addr(page), addr(end(page, len)), prot);
            run(plan);
            return plan.hitHole();
        }
    }

    @Operation
    public int touch(@Param(name = "page") int page) {
        final long a = addr(page);
        for (int attempt = 0; attempt < TRIES; attempt++) {
            final int token = domain.readLock();
            try {
                final Vma v = tree.lookup(a);
                if (v == null) {
                    return 0;
                }
                final long inc = v.incarnation();
                final long seq = v.writeSeq();
                final int prot = v.prot();
                if (v.isDead() || (seq & 1) != 0) {
                    continue;
                }
                synchronized (ptl) {
                    if (!tree.validate(v, inc)) {
                        return -1;
                    }
                    if (v.isDead() || v.writeSeq() != seq) {
                        continue;
                    }
                    ptes[page] = prot;
                }
                return prot;
            } catch (UseAfterFreeException e) {
                return -1;
            } finally {
                domain.readUnlock(token);
            }
        }
        synchronized (mmapLock) {
            final Area found = tree.asAreaIndex().lookup(a);
            if (found == null) {
                return 0;
            }
            synchronized (ptl) {
                ptes[page] = found.prot();
            }
            return found.prot();
        }
    }

    @Operation
    public long find(@Param(name = "page") int page) {
        final int token = domain.readLock();
        try {
            final Vma v = tree.find(addr(page));
            return v == null ? -1 : v.start() >>> Area.PAGE_SHIFT;
        } catch (UseAfterFreeException e) {
            return -2;
        } finally {
            domain.readUnlock(token);
        }
    }

    /** P1: no stray PTE. */
    @Validate
    public void noStrayPte() {
        synchronized (ptl) {
            for (int pg = 0; pg < PAGES; pg++) {
                if (ptes[pg] == 0) {
                    continue;
                }
                final Area a = tree.asAreaIndex().lookup(addr(pg));
                if (a == null || !Prot.allows(a.prot(), ptes[pg])) {
                    throw new IllegalStateException("stray PTE: page " + pg + " has " + Prot.toString(ptes[pg])
                            + " under " + a);
                }
            }
        }
        if (tree.useAfterFreeLog().count() != 0) {
            throw new IllegalStateException("use after free: " + tree.useAfterFreeLog().reports());
        }
    }

    /** The sequential specification: the same plans over a TreeMap. */
    public static final class Spec {
        private final AreaMap index = new AreaMap();

        public Spec() {
            index.apply(LayoutPlanner.map(index, area(0, 3, Prot.READ | Prot.WRITE)));
        }

        public void map(int page, int len, int prot) {
            index.apply(LayoutPlanner.map(index, area(page, len, prot)));
        }

        public void unmap(int page, int len) {
            index.apply(LayoutPlanner.unmap(index, addr(page), addr(end(page, len))));
        }

        public boolean protect(int page, int len, int prot) {
            final LayoutPlan plan = LayoutPlanner.protect(index, addr(page), addr(end(page, len)), prot);
            index.apply(plan);
            return plan.hitHole();
        }

        public int touch(int page) {
            final Area a = index.lookup(addr(page));
            return a == null ? 0 : a.prot();
        }

        public long find(int page) {
            final Area a = index.find(addr(page));
            return a == null ? -1 : a.start() >>> Area.PAGE_SHIFT;
        }
    }
}
