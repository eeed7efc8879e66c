package dev.specfault.vma;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;

/**
 * Linux's address-space layout rules as pure functions: what mmap, munmap, mprotect and an entry
 * replacement do to a set of areas, and where a new mapping goes. No locking, no side effect: the
 * caller holds whatever makes its {@link AreaIndex} stable (the mmap lock, the vm_map lock) and
 * applies the returned {@link LayoutPlan}.
 *
 * <h2>Idea</h2>
 * Every change is computed the same way, over a small <em>window</em>:
 * <pre>
 *   old    = [p] + areas overlapping the range + [n]      p, n: the neighbours just outside it
 *   pieces = [p] + left remainder + new middle + right remainder + [n]
 *   merged = pieces with every mergeable adjacent pair joined, left to right
 *   plan   = removed: old − merged,  added: merged − old   (areas in both are unchanged)
 * </pre>
 * Joining mergeable pairs of the window is what Linux's {@code vma_merge()} calls achieve one by
 * one (with prev, with next, or both; in mprotect each fixed-up vma with the previous one): if no two
 * adjacent areas were mergeable before, none are after. A boundary the old layout already had is
 * joined only if a piece on one side of it changed: Linux keeps two mergeable areas apart when it
 * left them so (a split whose second cut was refused at the map-count limit, a fork's copies of
 * areas that differed only in VM_LOCKED) until a change touches one of them. A piece that ends up
 * equal to an old area is left alone, so an mprotect to the rights an area already has splits
 * nothing (Linux: {@code newflags == oldflags} returns early in {@code mprotect_fixup()}).
 *
 * <h2>Linux semantics kept</h2>
 * <ul>
 *   <li>map (MAP_FIXED): replaces whatever overlaps, splitting the edges; merges with prev/next.</li>
 *   <li>unmap: removes, splitting the edges; never merges; an empty plan if nothing overlaps.</li>
 *   <li>protect: from {@code start} up to the first hole; the plan says {@link LayoutPlan#hitHole()}
 *   and the caller returns ENOMEM after applying it. A hole at {@code start} changes nothing.</li>
 *   <li>placement: {@code vm_unmapped_area()} top-down, with {@code stack_guard_gap} below a growsdown
 *   area ({@code vm_start_gap()}).</li>
 * </ul>
 *
 * <h2>Cost</h2>
 * O((k + 1) log n) for a change over k areas with an O(log n) index. Placement visits gaps from the
 * top down, O(gaps visited × log n): Linux keeps the largest gap of each subtree in its tree to make
 * it O(log n); specfault's workloads map mostly at the top of a free region, where the first gap fits.
 */
public final class LayoutPlanner {
    private LayoutPlanner() {
    }

    /**
     * mmap with MAP_FIXED semantics: {@code a} replaces everything in {@code [a.start, a.end)} and is
     * merged with compatible neighbours.
     */
    public static LayoutPlan map(AreaIndex index, Area a) {
        final List<Area> old = index.overlapping(a.start(), a.end());
        final List<Area> pieces = new ArrayList<>(3);
        if (!old.isEmpty()) {
            final Area first = old.get(0);
            if (first.start() < a.start()) {
                pieces.add(first.withRange(first.start(), a.start()));
            }
        }
        final BitSet changed = new BitSet();
        changed.set(pieces.size());
        pieces.add(a);
        if (!old.isEmpty()) {
            final Area last = old.get(old.size() - 1);
            if (last.end() > a.end()) {
                pieces.add(last.withRange(a.end(), last.end()));
            }
        }
        return plan(index, a.start(), old, pieces, false, changed);
    }

    /** munmap: removes {@code [start, end)}, splitting the areas at the edges. */
    public static LayoutPlan unmap(AreaIndex index, long start, long end) {
        checkRange(start, end);
        final List<Area> old = index.overlapping(start, end);
        if (old.isEmpty()) {
            return LayoutPlan.empty(false);
        }
        final List<Area> pieces = new ArrayList<>(2);
        final Area first = old.get(0);
        if (first.start() < start) {
            pieces.add(first.withRange(first.start(), start));
        }
        final Area last = old.get(old.size() - 1);
        if (last.end() > end) {
            pieces.add(last.withRange(end, last.end()));
        }
        // Nothing merges after an unmap: only remainders are left and they keep their neighbours.
        return diff(old, pieces, false);
    }

    /**
     * mprotect: gives {@code prot} to {@code [start, end)} up to its first hole, and each area's part
     * the flags {@link #mprotectFlags} gives it.
     *
     * @return the plan for the part before the hole; {@link LayoutPlan#hitHole()} if the range was
     *         not entirely mapped (then the caller returns ENOMEM after applying the plan)
     */
    public static LayoutPlan protect(AreaIndex index, long start, long end, int prot) {
        checkRange(start, end);
        if (!Prot.isValid(prot)) {
            throw new IllegalArgumentException("bad prot 0x" + Integer.toHexString(prot));
        }
        final List<Area> all = index.overlapping(start, end);
        final List<Area> old = new ArrayList<>(all.size());
        final List<Area> pieces = new ArrayList<>(all.size() + 2);
        final BitSet changed = new BitSet();
        long cursor = start;
        for (Area o : all) {
            if (o.start() > cursor) {
                break; // a hole at cursor: Linux stops here (ENOMEM after what was done)
            }
            old.add(o);
            if (o.start() < start) {
                pieces.add(o.withRange(o.start(), start));
            }
            final long s = Math.max(o.start(), start);
            final long e = Math.min(o.end(), end);
            final int nf = mprotectFlags(o, prot);
            if (o.prot() != prot || o.flags() != nf) {
                changed.set(pieces.size());
            }
            pieces.add(o.withRange(s, e).withProt(prot).withFlags(nf));
            if (o.end() > end) {
                pieces.add(o.withRange(end, o.end()));
            }
            cursor = o.end();
        }
        final boolean hole = cursor < end;
        if (old.isEmpty()) {
            return LayoutPlan.empty(hole);
        }
        return plan(index, start, old, pieces, hole, changed);
    }

    /**
     * The flags {@code mprotect_fixup} gives the part of {@code o} it makes {@code prot}: VM_ACCOUNT
     * added when private memory that was neither writable nor accounted becomes writable (not to
     * shared or MAP_NORESERVE memory), and taken away when it becomes read-only only from private
     * anonymous memory that has no anonymous identity yet (nothing was written there: Linux 6.2's
     * "allow unfaulted VMAs to be unaccounted"). A private file mapping once made writable keeps
     * it, and so does written anonymous memory.
     */
    public static int mprotectFlags(Area o, int prot) {
        final int f = o.flags();
        if ((prot & Prot.WRITE) != 0) {
            final int keep = VmaFlags.ACCOUNT | VmaFlags.SHARED | VmaFlags.NORESERVE;
            return (f & keep) == 0 && (o.prot() & Prot.WRITE) == 0 ? f | VmaFlags.ACCOUNT : f;
        }
        final boolean privateAnon = (f & (VmaFlags.ANONYMOUS | VmaFlags.SHARED)) == VmaFlags.ANONYMOUS;
        return (f & VmaFlags.ACCOUNT) != 0 && privateAnon && o.anon() == null ? f & ~VmaFlags.ACCOUNT : f;
    }

    /**
     * {@code find_mergeable_anon_vma}: the anonymous identity a first fault in {@code a} gives it.
     * The next area's, then the previous one's, if that area is adjacent, maps the same backing
     * with contiguous offsets and the same flags (rights may differ: {@code anon_vma_compatible})
     * and has an identity that is not forked ({@code reusable_anon_vma}: a singular chain), so that
     * the two can merge again once their rights agree; else a new one.
     */
    public static AnonVma anonVmaFor(AreaIndex index, Area a) {
        final Area n = index.next(a);
        if (n != null && anonCompatible(a, n) && reusable(n.anon())) {
            return n.anon();
        }
        final Area p = index.prev(a);
        if (p != null && anonCompatible(p, a) && reusable(p.anon())) {
            return p.anon();
        }
        return AnonVma.fresh();
    }

    private static boolean anonCompatible(Area lo, Area hi) {
        return lo.end() == hi.start() && lo.backing() == hi.backing() && lo.flags() == hi.flags()
                && lo.pgoff() + lo.pages() == hi.pgoff();
    }

    private static boolean reusable(AnonVma v) {
        return v != null && !v.forked();
    }

    /**
     * An area growing into free room: down (Linux expand_downwards, a stack; its pgoff lowered with
     * its start) or up (mremap growing in place, vma_merge_extend). Growing down never merges;
     * growing up merges with the next area if it now touches it and is compatible — never with the
     * area before, which stays apart if it was.
     *
     * @throws IllegalArgumentException if {@code a} is not in the index or the new range does not
     *                                  extend it on exactly one side
     */
    public static LayoutPlan extend(AreaIndex index, Area a, long newStart, long newEnd) {
        checkRange(newStart, newEnd);
        if (!a.equals(index.lookup(a.start()))) {
            throw new IllegalArgumentException("extend of an area not in the index: " + a);
        }
        final boolean down = newStart < a.start() && newEnd == a.end();
        final boolean up = newStart == a.start() && newEnd > a.end();
        if (!down && !up) {
            throw new IllegalArgumentException("extend of " + a + " to [0x" + Long.toHexString(newStart) + ", 0x"
                    + Long.toHexString(newEnd) + ")");
        }
        final Area grown = a.withRange(newStart, newEnd);
        if (up) {
            final Area n = index.next(a);
            if (n != null && n.start() < newEnd) {
                throw new IllegalArgumentException("extend of " + a + " over " + n);
            }
            if (n != null && canExtendInto(grown, n)) {
                final Area merged = new Area(grown.start(), n.end(), grown.prot(), grown.flags(), grown.backing(),
                        grown.pgoff(), grown.anon() != null ? grown.anon() : n.anon());
                return new LayoutPlan(List.of(a, n), List.of(merged), false);
            }
        } else {
            final Area p = index.prev(a);
            if (p != null && p.end() > newStart) {
                throw new IllegalArgumentException("extend of " + a + " over " + p);
            }
        }
        return new LayoutPlan(List.of(a), List.of(grown), false);
    }

    /**
     * Whether an area grown up in place ({@code vma_merge_extend}) merges with {@code n}, the area it
     * now touches: as {@link Area#canMergeBefore}, except that the grown area's own identity may be
     * a forked one: the merge has no source area there ({@code vmg.middle} is NULL, and
     * {@code vma_had_uncowed_parents(NULL)} is false), so only {@code n}'s is checked. Checked on
     * 6.18: a fork's child's written area grown up to an unwritten one merges with it.
     */
    private static boolean canExtendInto(Area grown, Area n) {
        final AnonVma g = grown.anon();
        final AnonVma x = n.anon();
        final boolean anon = g == x || x == null || g == null && !x.forked();
        return grown.end() == n.start() && grown.prot() == n.prot() && grown.flags() == n.flags()
                && grown.backing() == n.backing() && grown.pgoff() + grown.pages() == n.pgoff() && anon;
    }

    /**
     * madvise's change of {@code vm_flags} ({@code madvise_update_vma} → {@code vma_modify_flags}):
     * gives {@code flags} to [start, end), which lies inside the one area {@code a}, splitting it at
     * start and end and merging the changed part with neighbours that become compatible.
     *
     * @throws IllegalArgumentException if {@code a} is not in the index or the range is not inside it
     */
    public static LayoutPlan setFlags(AreaIndex index, Area a, long start, long end, int flags) {
        checkRange(start, end);
        if (start < a.start() || end > a.end() || start == end) {
            throw new IllegalArgumentException("range [0x" + Long.toHexString(start) + ", 0x" + Long.toHexString(end)
                    + ") not inside " + a);
        }
        if (!a.equals(index.lookup(a.start()))) {
            throw new IllegalArgumentException("setFlags of an area not in the index: " + a);
        }
        final List<Area> pieces = new ArrayList<>(3);
        if (a.start() < start) {
            pieces.add(a.withRange(a.start(), start));
        }
        final BitSet changed = new BitSet();
        changed.set(pieces.size(), flags != a.flags());
        pieces.add(a.withRange(start, end).withFlags(flags));
        if (end < a.end()) {
            pieces.add(a.withRange(end, a.end()));
        }
        return plan(index, start, List.of(a), pieces, false, changed);
    }

    /**
     * Replaces {@code old} by {@code updated} over the same range (changed {@code anon} or flags:
     * the locked design's {@code amap_copy} clearing NEEDS_COPY), merging with neighbours that
     * become compatible. The area that holds {@code updated}'s range afterwards is among
     * {@link LayoutPlan#added()} (look it up by address if merging may have widened it).
     *
     * @throws IllegalArgumentException if {@code old} is not in the index or the ranges differ
     */
    public static LayoutPlan replace(AreaIndex index, Area old, Area updated) {
        if (old.start() != updated.start() || old.end() != updated.end()) {
            throw new IllegalArgumentException("replace changes the range: " + old + " -> " + updated);
        }
        if (!old.equals(index.lookup(old.start()))) {
            throw new IllegalArgumentException("replace of an area not in the index: " + old);
        }
        final BitSet changed = new BitSet();
        changed.set(0);
        return plan(index, old.start(), List.of(old), List.of(updated), false, changed);
    }

    /**
     * Linux {@code vm_unmapped_area()} top-down: the highest address {@code x} such that
     * {@code [x, x + len)} is free, {@code low <= x} and {@code x + len <= high}, and, when the next
     * area above is growsdown, {@code x + len <= next.start - stackGuardGap}.
     *
     * @return the address, or -1 if no gap fits
     */
    public static long unmappedTopDown(AreaIndex index, long len, long low, long high, long stackGuardGap) {
        if (len <= 0 || !Area.isPageAligned(len) || !Area.isPageAligned(low) || !Area.isPageAligned(high)
                || stackGuardGap < 0 || low < 0) {
            throw new IllegalArgumentException("bad placement request len=" + len + " low=" + low + " high="
                    + high + " gap=" + stackGuardGap);
        }
        if (high - low < len) {
            return -1;
        }
        // `above` is the area just above the gap under consideration (null: nothing above `high`
        // matters); the gap is [prev.end, above.start) clipped to [low, high).
        Area above = index.find(high - 1);
        Area below = above == null ? index.last() : index.prev(above);
        for (;;) {
            long gapEnd = high;
            if (above != null) {
                long limit = above.start();
                if (VmaFlags.growsDown(above.flags())) {
                    limit = limit - stackGuardGap; // vm_start_gap(): the stack's guard below it
                }
                gapEnd = Math.min(gapEnd, limit);
            }
            final long gapStart = below == null ? low : Math.max(low, below.end());
            if (gapEnd - gapStart >= len) {
                return gapEnd - len;
            }
            if (below == null || below.end() <= low) {
                return -1;
            }
            above = below;
            below = index.prev(below);
        }
    }

    // ----------------------------------------------------------------------------------------

    private static void checkRange(long start, long end) {
        if (!Area.isPageAligned(start) || !Area.isPageAligned(end) || start < 0 || end < start) {
            throw new IllegalArgumentException("bad range [0x" + Long.toHexString(start) + ", 0x"
                    + Long.toHexString(end) + ")");
        }
    }

    /**
     * The window rule of the class comment. {@code old}: the areas the change touches, contiguous,
     * in order (may be empty); {@code pieces}: what stands in their place plus the new range, in
     * order; {@code changed}: the indices of the pieces that are new or whose attributes changed;
     * {@code at}: an address inside the changed range, to find the neighbours when {@code old} is
     * empty.
     */
    private static LayoutPlan plan(AreaIndex index, long at, List<Area> old, List<Area> pieces, boolean hole,
                                   BitSet changed) {
        final Area p;
        final Area n;
        if (old.isEmpty()) {
            final Area above = index.find(at);
            n = above;
            p = above == null ? index.last() : index.prev(above);
        } else {
            p = index.prev(old.get(0));
            n = index.next(old.get(old.size() - 1));
        }
        final List<Area> window = new ArrayList<>(old.size() + 2);
        final List<Area> merged = new ArrayList<>(pieces.size() + 2);
        if (p != null) {
            window.add(p);
            merged.add(p);
        }
        window.addAll(old);
        if (n != null) {
            window.add(n);
        }
        boolean lastChanged = false;
        int w = 1; // window.get(w) is the first old area starting at or above the piece appended
        for (int i = 0; i < pieces.size(); i++) {
            final Area a = pieces.get(i);
            final boolean c = changed.get(i);
            while (w < window.size() && window.get(w).start() < a.start()) {
                w++;
            }
            append(merged, a, lastChanged || c || !oldBoundary(window, w, a.start()));
            lastChanged = c;
        }
        if (n != null) {
            append(merged, n, lastChanged || !oldBoundary(window, window.size() - 1, n.start()));
        }
        return diff(window, merged, hole);
    }

    /** Whether the old window's areas {@code w - 1} and {@code w} met at {@code x} (a boundary the layout had). */
    private static boolean oldBoundary(List<Area> window, int w, long x) {
        return w >= 1 && w < window.size() && window.get(w).start() == x && window.get(w - 1).end() == x;
    }

    /**
     * Appends {@code a}, joined with the last area if they can merge and {@code may}: Linux merges
     * only what a change touches (vma_merge with the changed range's prev and next), so two areas
     * that met unmerged before the change (a cut Linux left, a fork child's copies) stay apart
     * unless one side of their boundary changed. Pieces of one old area always rejoin: that is how
     * a change that changes nothing leaves the area whole.
     */
    private static void append(List<Area> l, Area a, boolean may) {
        final int k = l.size() - 1;
        if (may && k >= 0 && l.get(k).canMergeBefore(a)) {
            l.set(k, l.get(k).mergedWith(a));
        } else {
            l.add(a);
        }
    }

    /** Lists this short are searched in place; longer ones (a munmap of many areas) through a set. */
    private static final int LINEAR = 16;

    /**
     * removed = before − after, added = after − before, both in address order. A plan touches a
     * handful of areas (the range's and its two neighbours), so the lists are searched in place
     * rather than through hash sets: a writer loops on this.
     */
    private static LayoutPlan diff(List<Area> before, List<Area> after, boolean hole) {
        final Collection<Area> b = before.size() <= LINEAR ? before : new HashSet<>(before);
        final Collection<Area> a = after.size() <= LINEAR ? after : new HashSet<>(after);
        final List<Area> removed = new ArrayList<>(before.size());
        for (int i = 0; i < before.size(); i++) {
            final Area x = before.get(i);
            if (!a.contains(x)) {
                removed.add(x);
            }
        }
        final List<Area> added = new ArrayList<>(after.size());
        for (int i = 0; i < after.size(); i++) {
            final Area x = after.get(i);
            if (!b.contains(x)) {
                added.add(x);
            }
        }
        return new LayoutPlan(removed, added, hole);
    }
}
