package dev.specfault.vma;

import static dev.specfault.vma.LayoutPlannerTest.p;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Readers (find/lookup/prev/next/forEachOverlapping/first/last) in SRCU read sections against
 * one writer with a real grace-period thread and a small quarantine (fast reuse). The range
 * [STABLE_LO, STABLE_HI) is always mapped (the writer only mprotects it and maps/unmaps around it):
 * no reader may ever see a hole there (P2), nor a reclaimed node or record (P3).
 * Timing-dependent (4 s): in the long profile.
 */
@Tag("long")
class VmaTreeReaderStressTest {
    static final long LO = 100;
    static final long HI = 700;

    @Test
    void readersNeverSeeAHoleOrPoison() throws Exception {
        final SrcuDomain d = SrcuDomain.builder("revI").driver(GracePeriodDriver.shared()).build();
        final VmaTree t = VmaTree.builder(d).quarantine(1).build();
        VmaTreeTest.apply(t, LayoutPlanner.map(t.asAreaIndex(), Area.anonymous(p(LO), p(HI), 3, 0)));
        final AtomicBoolean stop = new AtomicBoolean();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        final List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            final long seed = r;
            final Thread th = new Thread(() -> {
                final Random rnd = new Random(seed);
                long iters = 0;
                while (!stop.get() && errors.size() < 5) {
                    final int token = d.readLock();
                    try {
                        final long a = p(LO + rnd.nextInt((int) (HI - LO))) + rnd.nextInt(4096);
                        final Vma v = t.lookup(a);
                        if (v == null) {
                            errors.add("hole at " + Long.toHexString(a));
                            continue;
                        }
                        final long inc = v.incarnation();
                        if (!v.contains(a)) {
                            errors.add("lookup " + Long.toHexString(a) + " -> " + v);
                        }
                        final Vma n = t.next(v);
                        final Vma pv = t.prev(v);
                        // prev/next load the root again: only a record still live afterwards was in that snapshot.
                        final boolean live = !v.isDead();
                        if (live && n != null && n.start() < v.end()) {
                            errors.add("next overlaps " + v + " " + n);
                        }
                        if (live && pv != null && pv.end() > v.start()) {
                            errors.add("prev overlaps " + pv + " " + v);
                        }
                        if ((iters++ & 7) == 0) {
                            final long[] cur = {p(LO)};
                            t.forEachOverlapping(p(LO), p(HI), x -> {
                                if (x.start() > cur[0]) {
                                    errors.add("walk hole at " + Long.toHexString(cur[0]) + " before " + x);
                                }
                                cur[0] = x.end();
                            });
                            if (cur[0] < p(HI)) {
                                errors.add("walk ended at " + Long.toHexString(cur[0]));
                            }
                            t.first();
                            t.last();
                        }
                        if (!t.validate(v, inc)) {
                            errors.add("record reclaimed inside the read section: " + v);
                        }
                    } catch (RuntimeException e) {
                        errors.add(e.toString());
                    } finally {
                        d.readUnlock(token);
                    }
                }
            });
            th.start();
            readers.add(th);
        }
        final Random rnd = new Random(42);
        final long deadline = System.nanoTime() + 4_000_000_000L;
        int batches = 0;
        while (System.nanoTime() < deadline && errors.isEmpty()) {
            final long s = rnd.nextInt(1000);
            final long e = Math.min(1000, s + 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 300 : 6));
            final LayoutPlan plan;
            final boolean inStable = s < HI && e > LO;
            switch (rnd.nextInt(3)) {
                case 0:
                    plan = inStable ? LayoutPlanner.protect(t.asAreaIndex(), p(Math.max(s, LO)), p(Math.min(e, HI)), rnd.nextInt(4))
                            : LayoutPlanner.map(t.asAreaIndex(), Area.anonymous(p(s), p(e), rnd.nextInt(4), 0));
                    break;
                case 1:
                    plan = inStable ? LayoutPlanner.protect(t.asAreaIndex(), p(s), p(e), rnd.nextInt(4))
                            : LayoutPlanner.unmap(t.asAreaIndex(), p(s), p(e));
                    break;
                default:
                    plan = LayoutPlanner.protect(t.asAreaIndex(), p(Math.max(s, LO)), p(Math.max(Math.min(e, HI), Math.max(s, LO) + 1)), rnd.nextInt(4));
                    break;
            }
            VmaTreeTest.apply(t, plan);
            batches++;
        }
        stop.set(true);
        for (Thread th : readers) {
            th.join();
        }
        d.barrier();
        assertEquals(List.of(), new ArrayList<>(errors), "after " + batches + " batches");
        assertEquals(0, t.useAfterFreeLog().count(), t.useAfterFreeLog().reports()::toString);
        assertTrue(batches > 1000, "batches " + batches);
    }
}
