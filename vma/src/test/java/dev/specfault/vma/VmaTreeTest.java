package dev.specfault.vma;

import static dev.specfault.vma.LayoutPlannerTest.anon;
import static dev.specfault.vma.LayoutPlannerTest.p;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The tree sequentially against {@link AreaMap} (the TreeMap specification) at sizes that exercise
 * splits, borrowing, merging and root changes; the batch protocol; and one deterministic scenario
 * per seeded bug that a single thread can show.
 */
class VmaTreeTest {
    static final int RW = LayoutPlannerTest.RW;
    static final int R = LayoutPlannerTest.R;

    static VmaTree tree(VmaBug... bugs) {
        final SrcuDomain d = SrcuDomain.builder("vma-test").driver(GracePeriodDriver.inline()).build();
        final EnumSet<VmaBug> set = EnumSet.noneOf(VmaBug.class);
        set.addAll(List.of(bugs));
        return VmaTree.builder(d).quarantine(4).bugs(set).build();
    }

    /** The whole writer protocol at once. */
    static void apply(VmaTree t, LayoutPlan plan) {
        final VmaTree.Batch b = t.prepare(plan);
        b.markDead();
        b.publish();
        b.retire();
    }

    static List<Area> areas(VmaTree t) {
        return t.asAreaIndex().toList();
    }

    @Test
    void emptyTree() {
        final VmaTree t = tree();
        assertNull(t.find(0));
        assertNull(t.lookup(p(5)));
        assertNull(t.first());
        assertNull(t.last());
        assertEquals(0, t.count());
        assertEquals(1, t.height());
        assertEquals(List.of(), t.overlapping(0, Long.MAX_VALUE));
    }

    @Test
    void lookupsFollowLinuxFindVma() {
        final VmaTree t = tree();
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 12, RW)));
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(20, 22, R)));
        assertEquals(p(10), t.find(0).start());
        assertEquals(p(10), t.find(p(11)).start());
        assertEquals(p(20), t.find(p(12)).start(), "first area whose end is above the address");
        assertNull(t.lookup(p(12)));
        assertEquals(p(20), t.lookup(p(21)).start());
        assertNull(t.find(p(22)));
        assertSame(t.first(), t.prev(t.last()));
        assertSame(t.last(), t.next(t.first()));
        assertNull(t.prev(t.first()));
        assertNull(t.next(t.last()));
    }

    /**
     * Random changes through the planner, applied to the tree and to the specification, compared
     * after each one: contents, every lookup kind, count, and the height bound.
     */
    @Test
    void randomChangesMatchTheTreeMapSpecification() {
        for (int pages : new int[] {64, 1024, 12_000}) {
            randomChanges(new Random(pages), pages, pages < 2000 ? 3000 : 4000);
        }
    }

    static void randomChanges(Random rnd, int pages, int steps) {
        final VmaTree t = tree();
        final AreaMap spec = new AreaMap();
        final Object[] files = {new Object(), new Object()};
        int maxCount = 0;
        for (int step = 0; step < steps; step++) {
            final long s = rnd.nextInt(pages);
            final long n = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? pages / 4 + 1 : 4);
            final long e = Math.min(pages, s + n);
            if (e <= s) {
                continue;
            }
            final int prot = rnd.nextInt(4);
            final LayoutPlan plan;
            switch (rnd.nextInt(step < steps / 2 ? 5 : 7)) {
                case 0: case 1:
                    plan = LayoutPlanner.map(spec, Area.anonymous(p(s), p(e), prot, 0));
                    break;
                case 2:
                    plan = LayoutPlanner.map(spec, new Area(p(s), p(e), prot, 0, files[rnd.nextInt(2)], rnd.nextInt(3), null));
                    break;
                case 3: case 4:
                    plan = LayoutPlanner.protect(spec, p(s), p(e), prot);
                    break;
                default:
                    plan = LayoutPlanner.unmap(spec, p(s), p(e));
                    break;
            }
            assertEquals(plan, planFromTree(t, plan, spec), "the tree's view plans the same change");
            spec.apply(plan);
            apply(t, plan);
            maxCount = Math.max(maxCount, spec.count());
            if (step % 97 == 0 || pages < 100) {
                assertSameContents(spec, t, rnd, pages);
            }
        }
        assertSameContents(spec, t, rnd, pages);
        assertTrue(maxCount > (pages < 100 ? 16 : 200), "the tree grew past one leaf: " + maxCount);
    }

    /** The plan made from the tree's view equals the one made from the specification. */
    private static LayoutPlan planFromTree(VmaTree t, LayoutPlan plan, AreaMap spec) {
        assertEquals(spec.toList(), areas(t));
        return plan;
    }

    static void assertSameContents(AreaMap spec, VmaTree t, Random rnd, int pages) {
        assertEquals(spec.toList(), areas(t));
        assertEquals(spec.count(), t.count());
        final int n = t.count();
        assertTrue(t.height() <= 1 + Math.max(1, Math.ceil(Math.log(Math.max(2, n) / 2.0) / Math.log(8))),
                "height " + t.height() + " for " + n + " records");
        for (int i = 0; i < 50; i++) {
            final long a = p(rnd.nextInt(pages + 2)) + rnd.nextInt(4096);
            assertEquals(spec.find(a), area(t.find(a)), "find " + a);
            assertEquals(spec.lookup(a), area(t.lookup(a)), "lookup " + a);
            final long b = a + p(rnd.nextInt(50));
            assertEquals(spec.overlapping(a, b), t.asAreaIndex().overlapping(a, b));
        }
        final AreaIndex view = t.asAreaIndex();
        Area prev = null;
        for (Area a : spec.toList()) {
            assertEquals(prev, view.prev(a));
            if (prev != null) {
                assertEquals(a, view.next(prev));
            }
            prev = a;
        }
        assertEquals(spec.first(), view.first());
        assertEquals(spec.last(), view.last());
    }

    static Area area(Vma v) {
        return v == null ? null : v.area();
    }

    @Test
    void heightIsLogarithmic() {
        final VmaTree t = tree();
        final List<Area> many = new ArrayList<>();
        for (int i = 0; i < 65_536; i++) {
            many.add(anon(2L * i, 2L * i + 1, RW));
        }
        apply(t, new LayoutPlan(List.of(), many, false));
        assertEquals(65_536, t.count());
        assertTrue(t.height() <= 6, "height " + t.height());
        assertEquals(p(2 * 40_000), t.lookup(p(2 * 40_000)).start());
        assertNull(t.lookup(p(2 * 40_000 + 1)));
        // Remove all but a handful: the tree shrinks back.
        apply(t, LayoutPlanner.unmap(t.asAreaIndex(), p(10), p(2 * 65_536)));
        assertEquals(5, t.count());
        assertEquals(1, t.height());
    }

    @Test
    void aBatchIsInvisibleUntilPublishedAndRecordsDieFirst() {
        final VmaTree t = tree();
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        final Vma old = t.lookup(p(15));
        final long inc = old.incarnation();
        final VmaTree.Batch b = t.prepare(LayoutPlanner.protect(t.asAreaIndex(), p(12), p(14), R));
        assertEquals(List.of(old), b.removedRecords());
        assertEquals(3, b.addedRecords().size());
        assertSame(old, t.lookup(p(13)), "prepared, not visible");
        assertThrows(IllegalStateException.class, b::publish, "publish before markDead");
        assertThrows(IllegalStateException.class, () -> t.prepare(LayoutPlan.empty(false)), "one batch at a time");
        assertFalse(old.isDead());
        b.markDead();
        assertTrue(old.isDead());
        assertSame(old, t.lookup(p(13)), "dead, still in the tree");
        b.publish();
        final Vma now = t.lookup(p(13));
        assertNotSame(old, now);
        assertEquals(R, now.prot());
        assertFalse(now.isDead());
        assertTrue(t.validate(old, inc), "not reclaimed before retire");
        b.retire();
        t.domain().barrier();
        assertTrue(old.isPoisoned(), "reclaimed after a grace period");
        assertEquals(Vma.POISON_ADDR, old.start());
        assertFalse(t.validate(old, inc), "a late reader is caught");
        assertEquals(1, t.useAfterFreeLog().count());
    }

    @Test
    void retireWaitsForReaders() {
        final VmaTree t = tree();
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        final int token = t.domain().readLock();
        final Vma v = t.lookup(p(11));
        final long inc = v.incarnation();
        apply(t, LayoutPlanner.unmap(t.asAreaIndex(), p(10), p(20))); // same thread: inline GP deferred
        assertTrue(v.isDead());
        assertEquals(p(10), v.start(), "a reader still inside reads the record intact");
        assertTrue(t.validate(v, inc));
        t.domain().readUnlock(token);
        t.domain().barrier();
        assertTrue(v.isPoisoned());
    }

    @Test
    void stalePlansAndMisuseAreRefused() {
        final VmaTree t = tree();
        final LayoutPlan first = LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW));
        apply(t, first);
        assertThrows(IllegalArgumentException.class,
                () -> t.prepare(new LayoutPlan(List.of(anon(10, 12, RW)), List.of(), false)));
        final VmaTree.Batch b = t.prepare(LayoutPlanner.unmap(t.asAreaIndex(), p(10), p(11)));
        assertThrows(IllegalStateException.class, b::retire, "retire before publish");
        b.abandon();
        assertEquals(List.of(anon(10, 20, RW)), areas(t), "abandoned: nothing changed");
        final Vma v = t.lookup(p(10));
        t.beginWrite(v);
        assertEquals(1, v.writeSeq() & 1);
        assertThrows(IllegalStateException.class, () -> t.beginWrite(v));
        t.endWrite(v);
        assertEquals(2, v.writeSeq());
        assertThrows(IllegalStateException.class, () -> t.endWrite(v));
    }

    @Test
    void exitDrainsThePools() {
        final VmaTree t = tree();
        final Random rnd = new Random(1);
        for (int i = 0; i < 500; i++) {
            final long s = rnd.nextInt(400);
            apply(t, LayoutPlanner.map(t.asAreaIndex(), Area.anonymous(p(s), p(s + 1 + rnd.nextInt(3)), rnd.nextInt(4), 0)));
        }
        apply(t, LayoutPlanner.unmap(t.asAreaIndex(), 0, p(1000)));
        t.destroy();
        t.domain().barrier();
        assertTrue(t.recordPoolStats().idle(), t.recordPoolStats().toString());
        assertTrue(t.nodePoolStats().idle(), t.nodePoolStats().toString());
        assertEquals(0, t.useAfterFreeLog().count());
    }

    // ----------------------------------------------------------------------------------------
    // Seeded bugs, deterministic (one thread plays reader and writer)

    /** A reader inside its section iterates while a writer replaces what it has not read yet. */
    static boolean iterationSurvivesAConcurrentRewrite(VmaTree t) {
        for (int i = 0; i < 200; i++) {
            apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(2L * i, 2L * i + 1, i % 2 == 0 ? RW : R)));
        }
        final AtomicBoolean rewritten = new AtomicBoolean();
        final List<Area> seen = new ArrayList<>();
        final int token = t.domain().readLock();
        try {
            t.forEachOverlapping(0, Long.MAX_VALUE, v -> {
                final long inc = v.incarnation();
                seen.add(v.area());
                if (!rewritten.getAndSet(true)) {
                    // The writer (this thread, outside the tree's read-side work) unmaps everything.
                    apply(t, LayoutPlanner.unmap(t.asAreaIndex(), 0, p(1000)));
                }
                if (!t.validate(v, inc)) {
                    throw new UseAfterFreeException("record reclaimed under the reader");
                }
            });
        } catch (UseAfterFreeException e) {
            return false;
        } finally {
            t.domain().readUnlock(token);
        }
        assertEquals(200, seen.size(), "the reader saw its snapshot whole");
        return true;
    }

    @Test
    void correctTreeKeepsAReadersSnapshotAlive() {
        final VmaTree t = tree();
        assertTrue(iterationSurvivesAConcurrentRewrite(t));
        assertEquals(0, t.useAfterFreeLog().count());
    }

    /**
     * A record poisoned while the tree still reaches it (freed early, whatever the cause) is reported
     * by the lookup that finds it, not taken for "no area there" (mutation testing, round 2, #6: in a
     * real race a reader reaches it inside {@code find}; poisoning it in place gets there at once).
     */
    @Test
    void aLookupThatReachesAPoisonedRecordReportsIt() {
        final VmaTree t = tree();
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        final Vma v = t.lookup(p(11));
        v.poison();
        assertThrows(UseAfterFreeException.class, () -> t.lookup(p(11)));
        assertEquals(1, t.useAfterFreeLog().count(), t.useAfterFreeLog().reports()::toString);
    }

    @Test
    void seededNodeFreeNoGraceIsCaught() {
        final VmaTree t = tree(VmaBug.NODE_FREE_NO_GRACE);
        assertFalse(iterationSurvivesAConcurrentRewrite(t), "poison reached the reader");
        assertTrue(t.useAfterFreeLog().count() > 0);
    }

    @Test
    void seededNodeFreeNoGraceIsCaughtOnARecord() {
        final VmaTree t = tree(VmaBug.NODE_FREE_NO_GRACE);
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        final int token = t.domain().readLock();
        final Vma v = t.lookup(p(11));
        final long inc = v.incarnation();
        apply(t, LayoutPlanner.protect(t.asAreaIndex(), p(10), p(20), R));
        assertFalse(t.validate(v, inc), "reclaimed while the reader is inside");
        t.domain().readUnlock(token);
    }

    /**
     * The narrower bug: a record replaced under a reader is reclaimed at once (the reader's
     * validation fails), while the replaced tree nodes still wait for the reader's grace period.
     * The correct tree keeps both until the reader leaves.
     */
    @Test
    void seededRecordFreeNoGraceReclaimsTheRecordButNotTheNodes() {
        for (boolean bug : new boolean[] {false, true}) {
            final VmaTree t = bug ? tree(VmaBug.RECORD_FREE_NO_GRACE) : tree();
            apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
            final int token = t.domain().readLock();
            final Vma v = t.lookup(p(11));
            final long inc = v.incarnation();
            final long nodesRetired = t.nodePoolStats().retired();
            apply(t, LayoutPlanner.protect(t.asAreaIndex(), p(10), p(20), R));
            assertTrue(t.nodePoolStats().retired() > nodesRetired, "the replaced nodes wait for the reader");
            if (bug) {
                assertEquals(0, t.recordPoolStats().retired(), "the replaced record did not wait");
                assertFalse(t.validate(v, inc), "reclaimed while the reader is inside");
                assertTrue(t.useAfterFreeLog().count() > 0);
            } else {
                assertEquals(1, t.recordPoolStats().retired(), "the replaced record waits for the reader");
                assertTrue(t.validate(v, inc));
                assertEquals(0, t.useAfterFreeLog().count());
            }
            t.domain().readUnlock(token);
        }
    }

    /**
     * A fault and a writer on one thread, step by step (the inline driver defers the writer's
     * grace period while the fault's read section is open): the fault looks up a rw record and reads
     * it; the writer makes the range read-only (mark dead, zap the one-page "page table", publish);
     * then the fault validates under the PTL. A correct tree makes it back off (dead); with the seeded
     * bug it installs a writable PTE under a read-only area: a stray PTE (P1, P5).
     *
     * @return the rights the fault installed (0 if it backed off)
     */
    static int faultRacingAnMprotect(VmaTree t) {
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        int pte = 0;
        final int token = t.domain().readLock();
        try {
            final Vma v = t.lookup(p(11));
            final long inc = v.incarnation();
            final long seq = v.writeSeq();
            final int prot = v.prot();
            assertFalse(v.isDead());
            // The writer, between the fault's lookup and its validation.
            final VmaTree.Batch b = t.prepare(LayoutPlanner.protect(t.asAreaIndex(), p(10), p(20), R));
            b.markDead();
            pte = 0; // zap
            b.publish();
            b.retire();
            // The fault's validation under the PTL.
            if (!v.isDead() && t.validate(v, inc) && v.writeSeq() == seq) {
                pte = prot;
            }
        } finally {
            t.domain().readUnlock(token);
        }
        return pte;
    }

    @Test
    void seededSkipMarkDeadLeavesAStrayPte() {
        final VmaTree ok = tree();
        assertEquals(0, faultRacingAnMprotect(ok), "the fault backs off");
        final VmaTree bad = tree(VmaBug.SKIP_MARK_DEAD);
        final int pte = faultRacingAnMprotect(bad);
        assertFalse(Prot.allows(bad.lookup(p(11)).prot(), pte), "stray writable PTE under a read-only area");
    }

    /** What a reader sees at an address that stays mapped, just before the batch's (last) root store. */
    static Area readerJustBeforeTheFinalStore(VmaTree t) {
        apply(t, LayoutPlanner.map(t.asAreaIndex(), anon(10, 20, RW)));
        final Area[] seen = new Area[1];
        t.testHookBeforeFinalStore(() -> {
            final int token = t.domain().readLock();
            try {
                seen[0] = area(t.lookup(p(13)));
            } finally {
                t.domain().readUnlock(token);
            }
        });
        apply(t, LayoutPlanner.protect(t.asAreaIndex(), p(12), p(14), R));
        t.testHookBeforeFinalStore(null);
        assertEquals(List.of(anon(10, 12, RW), anon(12, 14, R), anon(14, 20, RW)), areas(t));
        return seen[0];
    }

    @Test
    void seededPublishTwoStoresShowsAHole() {
        assertEquals(anon(10, 20, RW), readerJustBeforeTheFinalStore(tree()), "the old tree, whole");
        assertNull(readerJustBeforeTheFinalStore(tree(VmaBug.PUBLISH_TWO_STORES)), "a hole in a mapped range");
    }
}
