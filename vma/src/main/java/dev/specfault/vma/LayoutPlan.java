package dev.specfault.vma;

import java.util.List;

/**
 * What one layout change does to an {@link AreaIndex}: the areas it takes out and the ones it puts
 * in, computed by {@link LayoutPlanner} and applied by a writer ({@link VmaTree#prepare},
 * {@link VmMap#apply}, {@link AreaMap#apply}).
 *
 * @param removed exactly the existing areas the change replaces, in address order (not always
 *                contiguous: an mprotect over three areas may leave the middle one as it was)
 * @param added   the new areas, in address order, non-overlapping with each other and with the
 *                areas that stay
 * @param hitHole mprotect only: the range had a hole; the plan covers the part before the first hole
 *                and the caller returns ENOMEM after applying it (Linux applies up to the hole)
 */
public record LayoutPlan(List<Area> removed, List<Area> added, boolean hitHole) {
    private static final LayoutPlan EMPTY = new LayoutPlan(List.of(), List.of(), false);
    private static final LayoutPlan EMPTY_HOLE = new LayoutPlan(List.of(), List.of(), true);

    public LayoutPlan {
        removed = List.copyOf(removed);
        added = List.copyOf(added);
    }

    /** A plan that changes nothing. */
    public static LayoutPlan empty(boolean hitHole) {
        return hitHole ? EMPTY_HOLE : EMPTY;
    }

    /** How the number of areas changes (Linux checks it against {@code max_map_count} first). */
    public int countDelta() {
        return added.size() - removed.size();
    }

    /** Whether the plan changes nothing. */
    public boolean isEmpty() {
        return removed.isEmpty() && added.isEmpty();
    }

    @Override
    public String toString() {
        return "LayoutPlan[-" + removed + " +" + added + (hitHole ? " hole" : "") + "]";
    }
}
