package dev.specfault.fault;

import dev.specfault.vma.Area;
import dev.specfault.vma.AreaIndex;
import dev.specfault.vma.AreaMap;
import dev.specfault.vma.LayoutPlan;
import dev.specfault.vma.LayoutPlanner;
import dev.specfault.vma.VmaFlags;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Layout plans made of two steps but published as one (mremap's move). */
final class Plans {
    private Plans() {
    }

    /**
     * => writer lock. Unmap [start, end), then map each of {@code as} in order, as one plan: a lookup
     * sees the old layout or the new one, never a moment between (the moved memory in neither place).
     * Copies the layout once (O(areas)): mremap with MAYMOVE is rare enough.
     */
    static LayoutPlan unmapThenMap(AreaIndex idx, long start, long end, List<Area> as) {
        return thenMap(idx, LayoutPlanner.unmap(idx, start, end), as);
    }

    /**
     * => writer lock. MREMAP_DONTUNMAP, as Linux orders it: each of {@code as}'s target is unmapped
     * (mremap_to's do_munmap; it may cut the source's own area), then the areas over [start, end)
     * as they are now stay where they are, whole, each with VM_LOCKED and VM_LOCKONFAULT cleared
     * (dontunmap_complete clears them on the whole source vma, with no merge; VM_ACCOUNT stays, the
     * memory is charged twice) and, if all of it moved, its anonymous identity gone
     * (unlink_anon_vmas), then each of {@code as} is mapped in order; one plan.
     */
    static LayoutPlan keepThenMap(AreaIndex idx, long start, long end, List<Area> as) {
        final Steps st = new Steps(idx);
        for (Area a : as) {
            st.apply(LayoutPlanner.unmap(st.after, a.start(), a.end()));
        }
        final int cleared = VmaFlags.LOCKED | VmaFlags.LOCKONFAULT;
        for (Area a : st.after.overlapping(start, end)) {
            final boolean whole = start <= a.start() && a.end() <= end;
            final Area kept = new Area(a.start(), a.end(), a.prot(), a.flags() & ~cleared, a.backing(), a.pgoff(),
                    whole ? null : a.anon());
            if (!kept.equals(a)) {
                st.apply(new LayoutPlan(List.of(a), List.of(kept), false));
            }
        }
        for (Area a : as) {
            st.apply(LayoutPlanner.map(st.after, a));
        }
        return st.plan();
    }

    /** {@code first}, then each of {@code as} mapped in order, as one plan. */
    private static LayoutPlan thenMap(AreaIndex idx, LayoutPlan first, List<Area> as) {
        final Steps st = new Steps(idx);
        st.apply(first);
        for (Area a : as) {
            st.apply(LayoutPlanner.map(st.after, a));
        }
        return st.plan();
    }

    /** Plans applied one after another to a copy of the layout, summed up as one. */
    private static final class Steps {
        final AreaMap after;
        private final Set<Area> removed = new HashSet<>();
        private final Set<Area> added = new HashSet<>();

        Steps(AreaIndex idx) {
            after = AreaMap.copyOf(idx);
        }

        void apply(LayoutPlan step) {
            after.apply(step);
            for (Area r : step.removed()) {
                if (!added.remove(r)) {
                    removed.add(r); // an area of the original layout this step replaces
                }
            }
            added.addAll(step.added());
        }

        LayoutPlan plan() {
            final List<Area> rl = new ArrayList<>(removed);
            final List<Area> al = new ArrayList<>(added);
            rl.sort(Comparator.comparingLong(Area::start));
            al.sort(Comparator.comparingLong(Area::start));
            return new LayoutPlan(rl, al, false);
        }
    }
}
