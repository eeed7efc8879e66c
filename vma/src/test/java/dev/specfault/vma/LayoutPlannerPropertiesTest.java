package dev.specfault.vma;

import static dev.specfault.vma.LayoutPlannerTest.p;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property tests (jqwik, with shrinking): random sequences of map, unmap, protect and replace, each
 * planned by {@link LayoutPlanner} and applied to an {@link AreaMap} and a {@link VmaTree}, against a
 * page-by-page reference model. After every step the index must equal the model's canonical form
 * (maximal runs of mergeable pages), so in particular no two adjacent areas are mergeable; plans
 * must name exactly the replaced areas; mprotect must report holes as Linux does; placement finds a
 * gap exactly when one exists, the highest one.
 */
class LayoutPlannerPropertiesTest {
    /** The window: pages [BASE, BASE + W). */
    static final int BASE = 16;
    static final int W = 24;
    static final Object[] FILES = {new Object(), new Object()};
    /**
     * Forked identities: each merges only with itself, so "mergeable" stays an equivalence and the
     * page model's canonical form is the layout (unforked ones, which also merge with none, are
     * covered by LayoutPlannerTest).
     */
    static final AnonVma[] ANONS = {AnonVma.forkedFrom(AnonVma.fresh()), AnonVma.forkedFrom(AnonVma.fresh()),
        AnonVma.forkedFrom(AnonVma.fresh())};

    /** One page of the reference model. */
    record Page(int prot, int flags, Object backing, long pgoff, AnonVma anon) {
        boolean continues(Page prev) {
            return prev.prot == prot && prev.flags == flags && prev.backing == backing && prev.anon == anon
                    && prev.pgoff + 1 == pgoff;
        }
    }

    /** The reference model: what every page maps. */
    static final class Model {
        final Page[] pages;

        Model(int n) {
            pages = new Page[n];
        }

        List<Area> canonical() {
            final List<Area> out = new ArrayList<>();
            int i = 0;
            while (i < pages.length) {
                if (pages[i] == null) {
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < pages.length && pages[j] != null && pages[j].continues(pages[j - 1])) {
                    j++;
                }
                final Page f = pages[i];
                out.add(new Area(p(i), p(j), f.prot, f.flags, f.backing, f.pgoff, f.anon));
                i = j;
            }
            return out;
        }
    }

    /** One operation: its plan over an index, and its effect on the model. */
    interface Op {
        /** Null when the operation does not apply (replace with nothing mapped). */
        LayoutPlan plan(AreaIndex index);

        /** The hole flag the model expects. */
        boolean applyTo(Model m, AreaIndex before);
    }

    record MapOp(int page, int n, int prot, int kind, int shift) implements Op {
        Area area() {
            final long s = p(BASE + page);
            final long e = p(Math.min(BASE + W, BASE + page + n));
            switch (kind) {
                case 0:
                    return new Area(s, e, prot, VmaFlags.ANONYMOUS, null, (s >>> Area.PAGE_SHIFT) + shift, null);
                case 1:
                case 2:
                    return new Area(s, e, prot, kind == 2 ? VmaFlags.SHARED : 0, FILES[kind - 1], shift, null);
                default:
                    return Area.anonymous(s, e, prot, VmaFlags.GROWSDOWN);
            }
        }

        @Override
        public LayoutPlan plan(AreaIndex index) {
            return LayoutPlanner.map(index, area());
        }

        @Override
        public boolean applyTo(Model m, AreaIndex before) {
            final Area a = area();
            for (long pg = a.start() >>> Area.PAGE_SHIFT; pg < a.end() >>> Area.PAGE_SHIFT; pg++) {
                m.pages[(int) pg] = new Page(a.prot(), a.flags(), a.backing(), a.pgoffAt(p(pg)), a.anon());
            }
            return false;
        }
    }

    record UnmapOp(int page, int n) implements Op {
        @Override
        public LayoutPlan plan(AreaIndex index) {
            return LayoutPlanner.unmap(index, p(BASE + page), p(BASE + page + n));
        }

        @Override
        public boolean applyTo(Model m, AreaIndex before) {
            for (int pg = BASE + page; pg < BASE + page + n && pg < m.pages.length; pg++) {
                m.pages[pg] = null;
            }
            return false;
        }
    }

    /**
     * mprotect_fixup's VM_ACCOUNT rule, written for a page: gained by private memory becoming
     * writable that was neither writable nor accounted; lost by private anonymous memory with no
     * anonymous identity becoming read-only.
     */
    static int accountAfter(Page old, int prot) {
        final boolean priv = (old.flags & VmaFlags.SHARED) == 0;
        if ((prot & Prot.WRITE) != 0) {
            final boolean gains = priv && (old.prot & Prot.WRITE) == 0
                    && (old.flags & (VmaFlags.ACCOUNT | VmaFlags.NORESERVE)) == 0;
            return gains ? old.flags | VmaFlags.ACCOUNT : old.flags;
        }
        final boolean loses = priv && (old.flags & VmaFlags.ANONYMOUS) != 0 && old.anon == null;
        return loses ? old.flags & ~VmaFlags.ACCOUNT : old.flags;
    }

    record ProtectOp(int page, int n, int prot) implements Op {
        @Override
        public LayoutPlan plan(AreaIndex index) {
            return LayoutPlanner.protect(index, p(BASE + page), p(BASE + page + n), prot);
        }

        @Override
        public boolean applyTo(Model m, AreaIndex before) {
            for (int pg = BASE + page; pg < BASE + page + n; pg++) {
                final Page old = pg < m.pages.length ? m.pages[pg] : null;
                if (old == null) {
                    return true; // Linux: ENOMEM at the first hole, after what was done
                }
                m.pages[pg] = new Page(prot, accountAfter(old, prot), old.backing, old.pgoff, old.anon);
            }
            return false;
        }
    }

    record ReplaceOp(int pick, int change) implements Op {
        Area[] pair(AreaIndex index) {
            final List<Area> all = index.toList();
            if (all.isEmpty()) {
                return null;
            }
            final Area old = all.get(pick % all.size());
            final Area updated = change < ANONS.length ? old.withAnon(ANONS[change])
                    : change == ANONS.length ? old.withFlags(old.flags() ^ VmaFlags.NEEDS_COPY)
                    : old.withAnon(null);
            return new Area[] {old, updated};
        }

        @Override
        public LayoutPlan plan(AreaIndex index) {
            final Area[] p = pair(index);
            return p == null ? null : LayoutPlanner.replace(index, p[0], p[1]);
        }

        @Override
        public boolean applyTo(Model m, AreaIndex before) {
            final Area[] pr = pair(before);
            final Area u = pr[1];
            for (long pg = u.start() >>> Area.PAGE_SHIFT; pg < u.end() >>> Area.PAGE_SHIFT; pg++) {
                m.pages[(int) pg] = new Page(u.prot(), u.flags(), u.backing(), u.pgoffAt(p(pg)), u.anon());
            }
            return false;
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        final Arbitrary<Integer> page = Arbitraries.integers().between(0, W - 1);
        final Arbitrary<Integer> len = Arbitraries.integers().between(1, 8);
        final Arbitrary<Integer> prot = Arbitraries.of(Prot.READ, Prot.READ | Prot.WRITE, Prot.NONE);
        final Arbitrary<Op> map = Combinators.combine(page, len, prot, Arbitraries.integers().between(0, 3),
                Arbitraries.of(0, 0, 0, 1, 100)).as(MapOp::new);
        final Arbitrary<Op> unmap = Combinators.combine(page, len).as(UnmapOp::new);
        final Arbitrary<Op> protect = Combinators.combine(page, len, prot).as(ProtectOp::new);
        final Arbitrary<Op> replace = Combinators.combine(Arbitraries.integers().between(0, 50),
                Arbitraries.integers().between(0, ANONS.length + 1)).as(ReplaceOp::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, map), net.jqwik.api.Tuple.of(2, unmap),
                net.jqwik.api.Tuple.of(3, protect), net.jqwik.api.Tuple.of(1, replace))
                .list().ofMaxSize(40);
    }

    @Property(tries = 400)
    void plansMatchThePageModel(@ForAll("ops") List<Op> ops) {
        final AreaMap index = new AreaMap();
        final VmaTree tree = VmaTree.builder(SrcuDomain.builder("prop").driver(GracePeriodDriver.inline()).build())
                .quarantine(2).build();
        final Model model = new Model(BASE + W + 8);
        for (Op op : ops) {
            final LayoutPlan plan = op.plan(index);
            if (plan == null) {
                continue;
            }
            final List<Area> before = index.toList();
            checkPlanShape(before, plan);
            final boolean hole = op.applyTo(model, index);
            index.apply(plan);
            VmaTreeTest.apply(tree, op.plan(tree.asAreaIndex()));
            final List<Area> after = index.toList();
            assertEquals(model.canonical(), after, () -> op + " gave " + after);
            assertEquals(hole, plan.hitHole(), () -> op + ": hole");
            assertEquals(before.size() + plan.countDelta(), after.size());
            for (int i = 1; i < after.size(); i++) {
                assertFalse(after.get(i - 1).canMergeBefore(after.get(i)), "mergeable neighbours left");
            }
            assertEquals(after, tree.asAreaIndex().toList(), "the tree applies the same plan");
        }
    }

    /** removed: existing areas, in address order; added: ordered, non-overlapping. */
    static void checkPlanShape(List<Area> before, LayoutPlan plan) {
        int at = -1;
        for (Area r : plan.removed()) {
            final int i = before.indexOf(r);
            assertTrue(i > at, () -> "removed area not present, or out of order: " + r);
            at = i;
        }
        for (int i = 1; i < plan.added().size(); i++) {
            assertTrue(plan.added().get(i - 1).end() <= plan.added().get(i).start(), "added out of order");
        }
    }

    @Property(tries = 300)
    void placementFindsTheHighestGapIffOneExists(@ForAll("ops") List<Op> ops,
            @ForAll("pages") int lenPages, @ForAll("pages") int lowPage, @ForAll("pages") int highPage,
            @ForAll("guard") int guardPages) {
        final AreaMap index = new AreaMap();
        for (Op op : ops) {
            final LayoutPlan plan = op.plan(index);
            if (plan != null) {
                index.apply(plan);
            }
        }
        final long low = p(lowPage);
        final long high = p(highPage);
        final long len = p(lenPages + 1);
        final long got = LayoutPlanner.unmappedTopDown(index, len, low, high, p(guardPages));
        assertEquals(bruteForce(index, len, low, high, p(guardPages)), got,
                () -> "len " + len + " in [" + low + ", " + high + ") guard " + guardPages + " over " + index);
    }

    static long bruteForce(AreaMap index, long len, long low, long high, long guard) {
        for (long x = high - len; x >= low; x -= Area.PAGE_SIZE) {
            final long e = x + len;
            if (!index.overlapping(x, e).isEmpty()) {
                continue;
            }
            final Area next = index.find(e - 1);
            if (next != null && VmaFlags.growsDown(next.flags()) && e > next.start() - guard) {
                continue;
            }
            return x;
        }
        return -1;
    }

    @Provide
    Arbitrary<Integer> pages() {
        return Arbitraries.integers().between(0, BASE + W + 6);
    }

    @Provide
    Arbitrary<Integer> guard() {
        return Arbitraries.of(0, 0, 1, 3);
    }
}
