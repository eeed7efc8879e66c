package dev.specfault.vma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Linux's layout rules, one edge case at a time. Addresses are in pages ({@link #p}). */
class LayoutPlannerTest {
    static final int RW = Prot.READ | Prot.WRITE;
    static final int R = Prot.READ;
    static final Object FILE = new Object();

    static long p(long page) {
        return page << Area.PAGE_SHIFT;
    }

    /** Private anonymous memory as mmap makes it: VM_ACCOUNT when writable. */
    static Area anon(long from, long to, int prot) {
        return Area.anonymous(p(from), p(to), prot, (prot & Prot.WRITE) != 0 ? VmaFlags.ACCOUNT : 0);
    }

    static Area file(long from, long to, int prot, long pgoff) {
        return new Area(p(from), p(to), prot, 0, FILE, pgoff, null);
    }

    static AreaMap of(Area... areas) {
        final AreaMap m = new AreaMap();
        for (Area a : areas) {
            m.insert(a);
        }
        return m;
    }

    static AreaMap applied(AreaMap m, LayoutPlan plan) {
        m.apply(plan);
        return m;
    }

    @Test
    void mapIntoEmptySpace() {
        final AreaMap m = of();
        final LayoutPlan plan = LayoutPlanner.map(m, anon(10, 12, RW));
        assertEquals(List.of(), plan.removed());
        assertEquals(List.of(anon(10, 12, RW)), plan.added());
        assertEquals(1, plan.countDelta());
    }

    @Test
    void fixedMapOverTheMiddleSplitsInThree() {
        final Area a = anon(10, 20, RW);
        final AreaMap m = of(a);
        final Area mid = file(13, 15, R, 0);
        final LayoutPlan plan = LayoutPlanner.map(m, mid);
        assertEquals(List.of(a), plan.removed());
        assertEquals(List.of(anon(10, 13, RW), mid, a.withRange(p(15), p(20))), plan.added());
        assertEquals(2, plan.countDelta(), "the largest count delta of one change");
        assertEquals(15, applied(m, plan).lookup(p(17)).pgoff(), "pgoff carried through the split");
    }

    @Test
    void anonymousMapMergesWithBothNeighbours() {
        final Area prev = anon(10, 12, RW);
        final Area next = anon(14, 16, RW);
        final AreaMap m = of(prev, next);
        final LayoutPlan plan = LayoutPlanner.map(m, anon(12, 14, RW));
        assertEquals(List.of(prev, next), plan.removed());
        assertEquals(List.of(anon(10, 16, RW)), plan.added());
        assertEquals(-1, plan.countDelta());
    }

    @Test
    void mapMergesWithPrevOnlyOrNextOnly() {
        final AreaMap m = of(anon(10, 12, RW), anon(14, 16, R));
        final LayoutPlan plan = LayoutPlanner.map(m, anon(12, 14, RW));
        assertEquals(List.of(anon(10, 12, RW)), plan.removed());
        assertEquals(List.of(anon(10, 14, RW)), plan.added());
        final AreaMap n = of(anon(10, 12, R), anon(14, 16, RW));
        final LayoutPlan plan2 = LayoutPlanner.map(n, anon(12, 14, RW));
        assertEquals(List.of(anon(14, 16, RW)), plan2.removed());
        assertEquals(List.of(anon(12, 16, RW)), plan2.added());
    }

    @Test
    void fileMappingsMergeOnlyWithContiguousOffsets() {
        final AreaMap m = of(file(10, 12, R, 0));
        assertEquals(List.of(file(10, 14, R, 0)), LayoutPlanner.map(m, file(12, 14, R, 2)).added());
        assertEquals(List.of(file(12, 14, R, 3)), LayoutPlanner.map(m, file(12, 14, R, 3)).added());
        final Area other = new Area(p(12), p(14), R, 0, new Object(), 2, null);
        assertEquals(List.of(other), LayoutPlanner.map(m, other).added(), "another file never merges");
    }

    @Test
    void movedAnonymousMemoryDoesNotMergeWithItsNewNeighbours() {
        final AreaMap m = of(anon(10, 12, RW));
        final Area moved = new Area(p(12), p(14), RW, VmaFlags.ANONYMOUS, null, 500, null);
        assertEquals(1, LayoutPlanner.map(m, moved).countDelta());
    }

    @Test
    void growsdownAreasMergeLikeLinux() {
        final AreaMap m = of(Area.anonymous(p(10), p(12), RW, VmaFlags.GROWSDOWN));
        final LayoutPlan plan = LayoutPlanner.map(m, Area.anonymous(p(12), p(14), RW, VmaFlags.GROWSDOWN));
        assertEquals(0, plan.countDelta(), "Linux compares vm_flags whole: equal growsdown areas merge");
        assertEquals(1, LayoutPlanner.map(m, anon(12, 14, RW)).countDelta(), "different flags do not");
    }

    @Test
    void fixedMapOverSeveralAreasReplacesThemAll() {
        final AreaMap m = of(anon(10, 12, RW), file(12, 14, R, 0), anon(20, 30, R));
        final LayoutPlan plan = LayoutPlanner.map(m, file(11, 25, RW, 7));
        assertEquals(m.toList(), plan.removed());
        assertEquals(List.of(anon(10, 11, RW), file(11, 25, RW, 7), anon(25, 30, R)), plan.added());
    }

    @Test
    void unmapSplitsAtTheEdgesAndIgnoresHoles() {
        final Area a = anon(10, 20, RW);
        final AreaMap m = of(a, anon(30, 40, R));
        final LayoutPlan mid = LayoutPlanner.unmap(m, p(12), p(14));
        assertEquals(List.of(a), mid.removed());
        assertEquals(List.of(anon(10, 12, RW), anon(14, 20, RW)), mid.added());
        assertEquals(1, mid.countDelta());
        assertTrue(LayoutPlanner.unmap(m, p(20), p(30)).isEmpty(), "a hole: nothing to do");
        final LayoutPlan span = LayoutPlanner.unmap(m, p(15), p(35));
        assertEquals(m.toList(), span.removed());
        assertEquals(List.of(anon(10, 15, RW), anon(35, 40, R)), span.added());
        assertFalse(span.hitHole(), "munmap is fine with holes");
    }

    @Test
    void mprotectStopsAtTheFirstHoleAndSaysSo() {
        final AreaMap m = of(anon(10, 12, RW), anon(14, 16, RW));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(11), p(16), R);
        assertTrue(plan.hitHole());
        assertEquals(List.of(anon(10, 12, RW)), plan.removed());
        assertEquals(List.of(anon(10, 11, RW), anon(11, 12, R)), plan.added());
        applied(m, plan);
        assertEquals(RW, m.lookup(p(14)).prot(), "nothing after the hole changed");
    }

    @Test
    void mprotectWithAHoleAtTheStartChangesNothing() {
        final AreaMap m = of(anon(10, 12, RW));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(9), p(12), R);
        assertTrue(plan.hitHole());
        assertTrue(plan.isEmpty());
        assertTrue(LayoutPlanner.protect(m, p(20), p(22), R).hitHole(), "unmapped range");
    }

    @Test
    void mprotectEndingAtAnAreaEndHasNoHole() {
        final AreaMap m = of(anon(10, 12, RW), anon(12, 14, R));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(10), p(14), R);
        assertFalse(plan.hitHole());
        assertEquals(List.of(anon(10, 14, R)), applied(m, plan).toList(), "and the pieces merge");
    }

    @Test
    void mprotectOfTheMiddleSplitsInThreeAndBackMergesThem() {
        final Area a = anon(10, 20, RW);
        final AreaMap m = of(a);
        final LayoutPlan split = LayoutPlanner.protect(m, p(12), p(14), R);
        assertEquals(2, split.countDelta());
        applied(m, split);
        assertEquals(List.of(anon(10, 12, RW), anon(12, 14, R), anon(14, 20, RW)), m.toList());
        final LayoutPlan back = LayoutPlanner.protect(m, p(12), p(14), RW);
        assertEquals(-2, back.countDelta(), "merge both sides");
        assertEquals(List.of(a), applied(m, back).toList());
    }

    @Test
    void mprotectToTheCurrentRightsSplitsNothing() {
        final AreaMap m = of(anon(10, 20, RW));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(12), p(14), RW);
        assertTrue(plan.isEmpty());
        assertFalse(plan.hitHole());
    }

    @Test
    void mprotectAcrossAreasKeepsAnUnchangedMiddle() {
        final Object other = new Object();
        final Area mid = new Area(p(12), p(14), RW, 0, other, 0, null);
        final AreaMap m = of(anon(10, 12, R), mid, anon(14, 16, R));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(10), p(16), RW);
        assertEquals(List.of(anon(10, 12, R), anon(14, 16, R)), plan.removed(), "not contiguous");
        assertEquals(List.of(anon(10, 12, RW), anon(14, 16, RW)), plan.added());
    }

    @Test
    void mprotectMergesWithANeighbourThatBecomesCompatible() {
        final AreaMap m = of(anon(10, 12, R), anon(12, 14, RW), anon(14, 16, R));
        final LayoutPlan plan = LayoutPlanner.protect(m, p(12), p(14), R);
        assertEquals(-2, plan.countDelta());
        assertEquals(List.of(anon(10, 16, R)), applied(m, plan).toList());
    }

    /**
     * Two mergeable areas Linux left apart (a cut whose second half was refused at the map-count
     * limit; a fork's copies) stay apart until a change touches their boundary.
     */
    @Test
    void areasLeftApartStayApartUnlessAChangeTouchesTheirBoundary() {
        final Area x = anon(10, 12, RW);
        final Area y = anon(12, 16, RW);
        final AreaMap m = of(x, y);
        assertTrue(LayoutPlanner.protect(m, p(13), p(14), RW).removed().isEmpty(), "a change that changes nothing");
        final LayoutPlan inside = LayoutPlanner.protect(m, p(13), p(14), R);
        assertEquals(List.of(y), inside.removed(), "x is not drawn in");
        applied(m, inside);
        final LayoutPlan over = LayoutPlanner.map(m, anon(13, 16, RW));
        assertEquals(List.of(anon(12, 16, RW)), over.added().stream().filter(a -> a.start() >= p(12)).toList());
        assertTrue(over.added().stream().noneMatch(a -> a.start() == p(10)), over.toString());
        applied(m, over);
        final LayoutPlan touching = LayoutPlanner.protect(m, p(12), p(13), R);
        applied(m, touching);
        final LayoutPlan back = LayoutPlanner.protect(m, p(12), p(13), RW);
        assertEquals(List.of(anon(10, 16, RW)), back.added(), "a change at the boundary merges across it");
    }

    /** madvise's vm_flags change: a cut at each end, then merged back (both sides) when equal again. */
    @Test
    void setFlagsSplitsInsideOneAreaAndMergesBack() {
        final Area a = anon(10, 20, RW);
        final AreaMap m = of(a);
        final int dontcopy = VmaFlags.ANONYMOUS | VmaFlags.ACCOUNT | VmaFlags.DONTCOPY;
        final LayoutPlan split = LayoutPlanner.setFlags(m, a, p(12), p(14), dontcopy);
        assertEquals(List.of(a), split.removed());
        assertEquals(List.of(anon(10, 12, RW), Area.anonymous(p(12), p(14), RW, VmaFlags.ACCOUNT | VmaFlags.DONTCOPY),
                anon(14, 20, RW)), split.added());
        assertEquals(2, split.countDelta());
        applied(m, split);
        final Area mid = m.lookup(p(13));
        final LayoutPlan left = LayoutPlanner.setFlags(m, m.lookup(p(15)), p(14), p(16), dontcopy);
        assertEquals(List.of(Area.anonymous(p(12), p(16), RW, VmaFlags.ACCOUNT | VmaFlags.DONTCOPY), anon(16, 20, RW)),
                left.added(),
                "the changed part joins the area before it: no new area");
        assertEquals(0, left.countDelta());
        applied(m, left);
        final LayoutPlan back = LayoutPlanner.setFlags(m, m.lookup(p(13)), p(12), p(16),
                VmaFlags.ANONYMOUS | VmaFlags.ACCOUNT);
        assertEquals(List.of(a), back.added(), "equal flags again: one area, as before");
        assertEquals(-2, back.countDelta());
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.setFlags(m, mid, p(12), p(14), 0),
                "an area no longer in the index");
        assertThrows(IllegalArgumentException.class,
                () -> LayoutPlanner.setFlags(m, m.lookup(p(13)), p(11), p(17), 0), "a range past the area");
    }

    @Test
    void replaceChangesAnonAndFlagsAndMerges() {
        final AnonVma x = AnonVma.fresh();
        final Area a = Area.anonymous(p(10), p(12), RW, VmaFlags.ACCOUNT | VmaFlags.NEEDS_COPY);
        final Area b = anon(12, 14, RW).withAnon(x);
        final AreaMap m = of(a, b);
        final Area copied = a.withFlags(a.flags() & ~VmaFlags.NEEDS_COPY).withAnon(x);
        final LayoutPlan plan = LayoutPlanner.replace(m, a, copied);
        assertEquals(List.of(a, b), plan.removed());
        assertEquals(List.of(anon(10, 14, RW).withAnon(x)), plan.added(), "same identity: merged");
        final AreaMap n = of(a);
        assertEquals(1, LayoutPlanner.replace(n, a, copied.withAnon(AnonVma.fresh())).added().size());
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.replace(m, anon(10, 11, RW), anon(10, 11, R)));
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.replace(m, a, anon(10, 13, RW)));
    }

    /** is_mergeable_anon_vma (Linux 6.16+): the same identity, or none beside an unforked one. */
    @Test
    void anonIdentityDecidesMerging() {
        final AnonVma x = AnonVma.fresh();
        final AnonVma y = AnonVma.fresh();
        final AreaMap m = of(anon(10, 12, RW).withAnon(x));
        assertEquals(1, LayoutPlanner.map(m, anon(12, 14, RW).withAnon(y)).countDelta(), "two identities");
        final LayoutPlan adopt = LayoutPlanner.map(m, anon(12, 14, RW));
        assertEquals(List.of(anon(10, 14, RW).withAnon(x)), adopt.added(), "none beside one: merged, keeps it");
        assertEquals(0, LayoutPlanner.map(m, anon(12, 14, RW).withAnon(x)).countDelta());
        final AreaMap f = of(anon(10, 12, RW).withAnon(AnonVma.forkedFrom(x)));
        assertEquals(1, LayoutPlanner.map(f, anon(12, 14, RW)).countDelta(), "a forked identity lends nothing");
        final AreaMap g = of(anon(12, 14, RW).withAnon(AnonVma.forkedFrom(x)));
        assertEquals(1, LayoutPlanner.map(g, anon(10, 12, RW)).countDelta(), "nor to an area before it");
        // Grown in place (vma_merge_extend: no source area), a forked identity merges with none.
        final Area forked = anon(10, 12, RW).withAnon(AnonVma.forkedFrom(x));
        final AreaMap e = of(forked, anon(14, 16, RW));
        assertEquals(List.of(anon(10, 16, RW).withAnon(forked.anon())),
                LayoutPlanner.extend(e, forked, p(10), p(14)).added());
        final AreaMap e2 = of(anon(10, 12, RW), anon(14, 16, RW).withAnon(AnonVma.forkedFrom(x)));
        assertEquals(List.of(anon(10, 14, RW)), LayoutPlanner.extend(e2, e2.lookup(p(10)), p(10), p(14)).added(),
                "none grown into a forked one: apart");
        // prev X, a new middle with none, next Y: merged with prev only (can_vma_merge_right).
        final AreaMap three = of(anon(10, 12, RW).withAnon(x), anon(14, 16, RW).withAnon(y));
        final LayoutPlan mid = LayoutPlanner.map(three, anon(12, 14, RW));
        assertEquals(List.of(anon(10, 14, RW).withAnon(x)), mid.added());
        assertEquals(List.of(anon(10, 12, RW).withAnon(x)), mid.removed());
        // prev none, middle none, next X: all three, with X.
        final AreaMap right = of(anon(10, 12, RW), anon(14, 16, RW).withAnon(y));
        assertEquals(List.of(anon(10, 16, RW).withAnon(y)), LayoutPlanner.map(right, anon(12, 14, RW)).added());
    }

    /** mprotect_fixup's VM_ACCOUNT, checked on 6.18 through the areas it keeps apart. */
    @Test
    void mprotectAccountsWritablePrivateMemory() {
        final int acc = VmaFlags.ACCOUNT;
        final Area none = anon(10, 12, Prot.NONE);
        assertEquals(VmaFlags.ANONYMOUS | acc, LayoutPlanner.mprotectFlags(none, RW), "made writable: charged");
        assertEquals(VmaFlags.ANONYMOUS, LayoutPlanner.mprotectFlags(none, R), "not writable: nothing");
        final Area rw = Area.anonymous(p(10), p(12), RW, acc);
        assertEquals(VmaFlags.ANONYMOUS, LayoutPlanner.mprotectFlags(rw, R), "unwritten anonymous: uncharged");
        assertEquals(VmaFlags.ANONYMOUS | acc, LayoutPlanner.mprotectFlags(rw.withAnon(AnonVma.fresh()), R),
                "written anonymous: still charged");
        final Object file = new Object();
        final Area fileRw = new Area(p(10), p(12), RW, acc, file, 0, null);
        assertEquals(acc, LayoutPlanner.mprotectFlags(fileRw, R), "a private file mapping stays charged");
        final Area noreserve = Area.anonymous(p(10), p(12), R, VmaFlags.NORESERVE);
        assertEquals(noreserve.flags(), LayoutPlanner.mprotectFlags(noreserve, RW), "MAP_NORESERVE: never charged");
        final Area shared = new Area(p(10), p(12), R, VmaFlags.SHARED, file, 0, null);
        assertEquals(VmaFlags.SHARED, LayoutPlanner.mprotectFlags(shared, RW), "shared: never charged");
        final Area uncharged = Area.anonymous(p(10), p(12), RW, 0);
        assertEquals(uncharged.flags(), LayoutPlanner.mprotectFlags(uncharged, RW | Prot.EXEC),
                "writable already: unchanged");
        // The plan: a written page made read-only beside an untouched read-only one stays apart; an
        // unwritten one merges.
        final AreaMap m = of(anon(10, 11, R), Area.anonymous(p(11), p(12), RW, acc).withAnon(AnonVma.fresh()));
        assertEquals(0, LayoutPlanner.protect(m, p(11), p(12), R).countDelta(), "written: two areas");
        final AreaMap u = of(anon(10, 11, R), Area.anonymous(p(11), p(12), RW, acc));
        assertEquals(-1, LayoutPlanner.protect(u, p(11), p(12), R).countDelta(), "unwritten: merged");
    }

    /** find_mergeable_anon_vma: the next area's identity first, then the previous one's. */
    @Test
    void anonVmaForReusesACompatibleNeighbours() {
        final AnonVma x = AnonVma.fresh();
        final AnonVma y = AnonVma.fresh();
        final Area mid = anon(12, 14, RW);
        final int acc = VmaFlags.ACCOUNT; // a written area made read-only keeps it
        final AreaMap both = of(Area.anonymous(p(10), p(12), R, acc).withAnon(x), mid,
                Area.anonymous(p(14), p(16), Prot.NONE, acc).withAnon(y));
        assertSame(y, LayoutPlanner.anonVmaFor(both, mid), "next first; rights may differ");
        final AreaMap prev = of(Area.anonymous(p(10), p(12), R, acc).withAnon(x), mid);
        assertSame(x, LayoutPlanner.anonVmaFor(prev, mid));
        final AreaMap forked = of(Area.anonymous(p(10), p(12), R, acc).withAnon(AnonVma.forkedFrom(x)), mid);
        final AnonVma fresh = LayoutPlanner.anonVmaFor(forked, mid);
        assertNotSame(null, fresh);
        assertFalse(fresh.forked());
        assertNotSame(x, fresh, "a forked neighbour's is not reused");
        final AreaMap flags = of(Area.anonymous(p(10), p(12), R, acc | VmaFlags.DONTDUMP).withAnon(x), mid);
        assertNotSame(x, LayoutPlanner.anonVmaFor(flags, mid), "other flags");
        final AreaMap gap = of(Area.anonymous(p(9), p(11), R, acc).withAnon(x), anon(12, 14, RW));
        assertNotSame(x, LayoutPlanner.anonVmaFor(gap, gap.lookup(p(12))), "not adjacent");
        final AreaMap moved = of(new Area(p(10), p(12), R, VmaFlags.ANONYMOUS | acc, null, 99, x), mid);
        assertNotSame(x, LayoutPlanner.anonVmaFor(moved, mid), "offsets not contiguous");
    }

    @Test
    void unmappedTopDownTakesTheHighestGap() {
        final AreaMap m = of(anon(90, 100, RW), anon(50, 60, RW));
        assertEquals(p(80), LayoutPlanner.unmappedTopDown(m, p(10), p(0), p(100), 0));
        assertEquals(p(60), LayoutPlanner.unmappedTopDown(m, p(30), p(0), p(100), 0), "fits exactly");
        assertEquals(p(0), LayoutPlanner.unmappedTopDown(m, p(50), p(0), p(100), 0));
        assertEquals(-1, LayoutPlanner.unmappedTopDown(m, p(51), p(0), p(100), 0));
        assertEquals(p(110), LayoutPlanner.unmappedTopDown(m, p(10), p(0), p(120), 0), "above the areas");
        assertEquals(p(20), LayoutPlanner.unmappedTopDown(m, p(30), p(20), p(50), 0), "low bound");
        assertEquals(-1, LayoutPlanner.unmappedTopDown(m, p(31), p(20), p(50), 0), "below the low bound");
        assertEquals(p(80), LayoutPlanner.unmappedTopDown(m, p(10), p(55), p(95), 0), "between bounds");
        assertEquals(-1, LayoutPlanner.unmappedTopDown(m, p(31), p(55), p(95), 0), "too big between bounds");
        assertEquals(p(40), LayoutPlanner.unmappedTopDown(of(), p(10), p(0), p(50), 0), "empty space");
    }

    @Test
    void unmappedTopDownLeavesTheStackGuardGap() {
        final AreaMap m = of(Area.anonymous(p(90), p(100), RW, VmaFlags.GROWSDOWN), anon(50, 60, RW));
        assertEquals(p(76), LayoutPlanner.unmappedTopDown(m, p(10), p(0), p(100), p(4)));
        assertEquals(p(60), LayoutPlanner.unmappedTopDown(m, p(26), p(0), p(100), p(4)));
        assertEquals(p(23), LayoutPlanner.unmappedTopDown(m, p(27), p(0), p(100), p(4)), "only below");
        assertEquals(-1, LayoutPlanner.unmappedTopDown(m, p(10), p(60), p(100), p(25)), "the gap eats it");
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Area.anonymous(1, p(1), RW, 0));
        assertThrows(IllegalArgumentException.class, () -> anon(2, 2, RW));
        assertThrows(IllegalArgumentException.class, () -> anon(2, 3, 8));
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.protect(of(), p(1), p(2), 9));
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.unmap(of(), 5, p(2)));
        assertThrows(IllegalArgumentException.class, () -> LayoutPlanner.unmappedTopDown(of(), 0, 0, p(9), 0));
    }

    @Test
    void namesPrintLikeProcMaps() {
        assertEquals("rw-", Prot.toString(RW));
        assertEquals("r-x", Prot.toString(Prot.READ | Prot.EXEC));
        assertEquals("---", Prot.toString(Prot.NONE));
        assertEquals("private|anon|growsdown", VmaFlags.toString(VmaFlags.ANONYMOUS | VmaFlags.GROWSDOWN));
        assertEquals("shared|file", VmaFlags.toString(VmaFlags.SHARED));
        assertTrue(anon(16, 17, RW).toString().startsWith("10000-11000 rw-p 00000010"));
        assertTrue(Prot.isValid(7) && !Prot.isValid(8));
    }
}
