package dev.specfault.vma;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A plain, unsynchronized {@link AreaIndex}: a {@link TreeMap} from start address to area. The
 * sequential specification of the tree in tests, the storage of {@link VmMap}, and a convenient
 * scratch index. Not thread-safe: the owner serializes every access.
 */
public final class AreaMap implements AreaIndex {
    private final TreeMap<Long, Area> byStart = new TreeMap<>();

    public AreaMap() {
    }

    /** A copy of {@code index}'s areas. */
    public static AreaMap copyOf(AreaIndex index) {
        final AreaMap m = new AreaMap();
        index.forEachOverlapping(0, Long.MAX_VALUE, a -> m.byStart.put(a.start(), a));
        return m;
    }

    @Override
    public Area find(long addr) {
        final Map.Entry<Long, Area> e = byStart.floorEntry(addr);
        if (e != null && e.getValue().end() > addr) {
            return e.getValue();
        }
        final Map.Entry<Long, Area> h = byStart.higherEntry(addr);
        return h == null ? null : h.getValue();
    }

    @Override
    public Area lookup(long addr) {
        final Map.Entry<Long, Area> e = byStart.floorEntry(addr);
        return e != null && e.getValue().end() > addr ? e.getValue() : null;
    }

    @Override
    public Area prev(Area a) {
        final Map.Entry<Long, Area> e = byStart.lowerEntry(a.start());
        return e == null ? null : e.getValue();
    }

    @Override
    public Area next(Area a) {
        final Map.Entry<Long, Area> e = byStart.higherEntry(a.start());
        return e == null ? null : e.getValue();
    }

    @Override
    public Area first() {
        final Map.Entry<Long, Area> e = byStart.firstEntry();
        return e == null ? null : e.getValue();
    }

    @Override
    public Area last() {
        final Map.Entry<Long, Area> e = byStart.lastEntry();
        return e == null ? null : e.getValue();
    }

    @Override
    public void forEachOverlapping(long start, long end, Consumer<Area> action) {
        if (start >= end) {
            return;
        }
        final Map.Entry<Long, Area> f = byStart.floorEntry(start);
        final long from = f != null && f.getValue().end() > start ? f.getKey() : start;
        final NavigableMap<Long, Area> sub = byStart.subMap(from, true, end, false);
        for (Area a : sub.values()) {
            action.accept(a);
        }
    }

    @Override
    public int count() {
        return byStart.size();
    }

    /**
     * Applies {@code plan}: every removed area must be present as it is in the plan, and the added
     * ones must then fit without overlap.
     *
     * @throws IllegalArgumentException if a removed area is not in this index (the plan was made
     *                                  from another state); the index is then unchanged
     * @throws IllegalStateException    if an added area overlaps one that stays (a broken plan); the
     *                                  index is then partly changed
     */
    public void apply(LayoutPlan plan) {
        for (Area r : plan.removed()) {
            final Area cur = byStart.get(r.start());
            if (!r.equals(cur)) {
                throw new IllegalArgumentException("stale plan: " + r + " is not in the index (found " + cur + ")");
            }
        }
        for (Area r : plan.removed()) {
            byStart.remove(r.start());
        }
        for (Area a : plan.added()) {
            final Area below = lookup(a.start());
            final Area above = find(a.start());
            if (below != null || (above != null && above.start() < a.end())) {
                throw new IllegalStateException("plan adds " + a + " over " + (below != null ? below : above));
            }
            byStart.put(a.start(), a);
        }
    }

    /** Puts {@code a} in, without merging. => nothing overlaps {@code a}. */
    public void insert(Area a) {
        apply(new LayoutPlan(java.util.List.of(), java.util.List.of(a), false));
    }

    @Override
    public String toString() {
        return "AreaMap" + byStart.values();
    }
}
