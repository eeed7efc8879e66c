package dev.specfault.vma;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A read view of a sorted set of non-overlapping {@link Area}s: what {@link LayoutPlanner} needs,
 * implemented by the speculative design's tree ({@link VmaTree#asAreaIndex()}), the locked design's
 * {@link VmMap} and the plain {@link AreaMap}. Implementations say which lock or read section a
 * caller must hold.
 */
public interface AreaIndex {

    /** The first area whose end is above {@code addr} (Linux {@code find_vma}), or null. */
    Area find(long addr);

    /** The area containing {@code addr}, or null. */
    default Area lookup(long addr) {
        final Area a = find(addr);
        return a != null && a.start() <= addr ? a : null;
    }

    /** The area just below {@code a} (which must be in the index), or null. */
    Area prev(Area a);

    /** The area just above {@code a} (which must be in the index), or null. */
    Area next(Area a);

    /** The lowest area, or null if empty. */
    Area first();

    /** The highest area, or null if empty. */
    Area last();

    /** Calls {@code action} for every area overlapping {@code [start, end)}, in address order. */
    void forEachOverlapping(long start, long end, Consumer<Area> action);

    /** How many areas (Linux {@code map_count}). */
    int count();

    /** The areas overlapping {@code [start, end)}, in address order. */
    default List<Area> overlapping(long start, long end) {
        final List<Area> l = new ArrayList<>();
        forEachOverlapping(start, end, l::add);
        return l;
    }

    /** Every area, in address order. */
    default List<Area> toList() {
        return overlapping(0, Long.MAX_VALUE);
    }
}
