package dev.specfault.vma;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Arbitrary batches (scattered removals and insertions) against a TreeMap, with the B+tree's invariants. */
class VmaTreeModelTest {
    static Node root(VmaTree t) throws Exception {
        final Field f = VmaTree.class.getDeclaredField("root");
        f.setAccessible(true);
        return (Node) f.get(t);
    }

    /** Returns the leaf depth; checks sizes, keys and ordering. */
    static int check(Node n, boolean isRoot, long[] lastEnd) {
        assertTrue(n.size >= 0 && n.size <= Node.MAX, "size " + n.size);
        if (!isRoot) {
            assertTrue(n.size >= Node.MIN, "underfull " + n.size);
        } else if (!n.leaf) {
            assertTrue(n.size >= 2, "inner root with " + n.size);
        }
        for (int i = n.size; i < n.kids.length; i++) {
            assertEquals(null, n.kids[i], "stale kid beyond size");
        }
        if (n.leaf) {
            for (int i = 0; i < n.size; i++) {
                final Vma v = (Vma) n.kids[i];
                assertEquals(v.end(), n.keys[i]);
                assertTrue(v.start() >= lastEnd[0], "order");
                lastEnd[0] = v.end();
                assertTrue(v.isLive() && !v.isDead(), "dead/retired record reachable: " + v);
            }
            return 1;
        }
        int depth = -1;
        for (int i = 0; i < n.size; i++) {
            final Node c = (Node) n.kids[i];
            assertTrue(c.isLive(), "retired node reachable");
            final int d = check(c, false, lastEnd);
            assertEquals(c.maxKey(), n.keys[i], "inner key");
            if (depth >= 0) {
                assertEquals(depth, d, "unbalanced");
            }
            depth = d;
        }
        return depth + 1;
    }

    static long p(long x) {
        return x << 12;
    }

    @Test
    void arbitraryBatches() throws Exception {
        for (long seed = 0; seed < 16; seed++) {
            final Random rnd = new Random(seed);
            final VmaTree t = VmaTreeTest.tree();
            final TreeMap<Long, Area> model = new TreeMap<>();
            final int pages = 4000;
            for (int step = 0; step < 300; step++) {
                final List<Area> removed = new ArrayList<>();
                final List<Map.Entry<Long, Area>> es = new ArrayList<>(model.entrySet());
                final int nrem = es.isEmpty() ? 0 : rnd.nextInt(Math.min(es.size(), rnd.nextInt(4) == 0 ? 200 : 6) + 1);
                final TreeMap<Long, Area> after = new TreeMap<>(model);
                for (int i = 0; i < nrem; i++) {
                    final Area a = es.get(rnd.nextInt(es.size())).getValue();
                    if (after.remove(a.start()) != null) {
                        removed.add(a);
                    }
                }
                final List<Area> added = new ArrayList<>();
                final int nadd = rnd.nextInt(rnd.nextInt(4) == 0 ? 300 : 8);
                for (int i = 0; i < nadd; i++) {
                    final long s = rnd.nextInt(pages);
                    final long e = s + 1 + rnd.nextInt(3);
                    final Map.Entry<Long, Area> lo = after.floorEntry(s);
                    final Map.Entry<Long, Area> hi = after.ceilingEntry(s);
                    if ((lo != null && lo.getValue().end() > p(s)) || (hi != null && hi.getKey() < p(e))) {
                        continue;
                    }
                    final Area a = Area.anonymous(p(s), p(e), 3, 0);
                    after.put(a.start(), a);
                    added.add(a);
                }
                removed.sort((x, y) -> Long.compare(x.start(), y.start()));
                added.sort((x, y) -> Long.compare(x.start(), y.start()));
                VmaTreeTest.apply(t, new LayoutPlan(removed, added, false));
                model.clear();
                model.putAll(after);
                assertEquals(new ArrayList<>(model.values()), t.asAreaIndex().toList(), "seed " + seed + " step " + step);
                assertEquals(model.size(), t.count());
                check(root(t), true, new long[] {0});
                final AreaMap spec = new AreaMap();
                for (Area a : model.values()) {
                    spec.apply(new LayoutPlan(List.of(), List.of(a), false));
                }
                VmaTreeTest.assertSameContents(spec, t, rnd, pages);
            }
            t.domain().barrier();
            assertEquals(0, t.useAfterFreeLog().count());
        }
    }
}
