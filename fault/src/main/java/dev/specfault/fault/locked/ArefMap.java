package dev.specfault.fault.locked;

import dev.specfault.fault.SpaceStats;
import dev.specfault.pmap.phys.FrameAllocator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The anonymous-memory references of one locked space: which {@link Amap} slots back which pages
 * (UVM keeps one {@code vm_aref} in each map entry; here they are keyed by address beside the
 * {@link dev.specfault.vma.VmMap}, see the package comment for why).
 *
 * <h2>Invariants</h2>
 * Arefs do not overlap; each lies inside one private area of the map; every change of the table
 * bumps the map's timestamp (the caller does), so that a fault that dropped the map lock notices.
 * Splitting an aref gives both pieces a reference on the amap and leaves every slot's coverage
 * unchanged; removing one uncovers its slots (dropping anons nobody covers).
 *
 * <pre>
 * Locks used to protect members:
 *   [m] the space's map lock: read under it shared, changed under it exclusively; changes to an
 *       amap's references also take that amap's lock exclusively (map → amap)
 * </pre>
 */
final class ArefMap {
    private final TreeMap<Long, Aref> byStart = new TreeMap<>(); // [m]
    private final FrameAllocator frames;
    private final SpaceStats stats;

    ArefMap(FrameAllocator frames, SpaceStats stats) {
        this.frames = frames;
        this.stats = stats;
    }

    /** The aref covering {@code va}, or null. */
    Aref lookup(long va) {
        final Map.Entry<Long, Aref> e = byStart.floorEntry(va);
        return e != null && e.getValue().end() > va ? e.getValue() : null;
    }

    /** The aref with the highest start at or below {@code va}, or null. */
    Aref atOrBelow(long va) {
        final Map.Entry<Long, Aref> e = byStart.floorEntry(va);
        return e == null ? null : e.getValue();
    }

    /** The first aref starting above {@code va}, or null. */
    Aref above(long va) {
        final Map.Entry<Long, Aref> e = byStart.higherEntry(va);
        return e == null ? null : e.getValue();
    }

    /** The arefs overlapping [s, e), in address order. */
    List<Aref> overlapping(long s, long e) {
        final List<Aref> out = new ArrayList<>();
        final Map.Entry<Long, Aref> below = byStart.lowerEntry(s);
        if (below != null && below.getValue().end() > s) {
            out.add(below.getValue());
        }
        out.addAll(byStart.subMap(s, true, e, false).values());
        return out;
    }

    Collection<Aref> all() {
        return byStart.values();
    }

    int size() {
        return byStart.size();
    }

    /** => the new aref holds its reference on the amap already; nothing overlaps it. */
    void put(Aref a) {
        assert overlapping(a.start(), a.end()).isEmpty() : "aref " + a + " over " + overlapping(a.start(), a.end());
        byStart.put(a.start(), a);
    }

    /**
     * Puts {@code a} without checking for overlap: only for the seeded bug amap-copy-shared-lock, where
     * a second copy of the same range replaces the first one's record (whose amap is then lost).
     */
    void putOver(Aref a) {
        byStart.put(a.start(), a);
    }

    /** Replaces {@code old} by {@code nu} (same range; references already moved by the caller). */
    void replace(Aref old, Aref nu) {
        assert old.start() == nu.start() && old.end() == nu.end();
        assert byStart.get(old.start()) == old;
        byStart.put(nu.start(), nu);
    }

    /** Takes {@code a} out (its reference on the amap is the caller's to drop). */
    void remove(Aref a) {
        final Aref r = byStart.remove(a.start());
        assert r == a : "removed " + r + " instead of " + a;
    }

    /**
     * Removes [s, e): arefs inside go, arefs across an edge are cut. Slots no aref covers any more
     * drop their anons (the caller has zapped and flushed the range's PTEs first).
     */
    void removeRange(long s, long e) {
        for (Aref r : overlapping(s, e)) {
            final Amap m = r.amap();
            final long stamp = m.lock.enter(RwLock.WRITE, stats);
            try {
                if (r.start() < s) {
                    final Aref left = r.sub(r.start(), s);
                    m.addRef(left.slotOff(), left.slotOff() + left.pages());
                    byStart.put(left.start(), left);
                } else {
                    byStart.remove(r.start());
                }
                if (r.end() > e) {
                    final Aref right = r.sub(e, r.end());
                    m.addRef(right.slotOff(), right.slotOff() + right.pages());
                    byStart.put(right.start(), right);
                }
                m.removeRef(r.slotOff(), r.slotOff() + r.pages(), frames);
            } finally {
                m.lock.exit(stamp);
            }
        }
    }

    /** Cuts the aref across {@code va} (if any) in two at {@code va}; coverage is unchanged. */
    void splitAt(long va) {
        final Aref r = lookup(va);
        if (r == null || r.start() == va) {
            return;
        }
        final Amap m = r.amap();
        final long stamp = m.lock.enter(RwLock.WRITE, stats);
        try {
            final Aref left = r.sub(r.start(), va);
            final Aref right = r.sub(va, r.end());
            m.addRef(left.slotOff(), left.slotOff() + left.pages());
            m.addRef(right.slotOff(), right.slotOff() + right.pages());
            m.removeRef(r.slotOff(), r.slotOff() + r.pages(), frames);
            byStart.put(left.start(), left);
            byStart.put(right.start(), right);
        } finally {
            m.lock.exit(stamp);
        }
    }

    /** mremap: the arefs of [from, from + len) move to [to, to + len) (free of arefs); same slots. */
    void move(long from, long len, long to) {
        splitAt(from);
        splitAt(from + len);
        final List<Aref> moving = overlapping(from, from + len);
        for (Aref r : moving) {
            byStart.remove(r.start());
        }
        for (Aref r : moving) {
            put(r.shifted(to - from));
        }
    }

    /** exit: every aref goes (PTEs are gone already). */
    void clear() {
        for (Aref r : new ArrayList<>(byStart.values())) {
            final Amap m = r.amap();
            final long stamp = m.lock.enter(RwLock.WRITE, stats);
            try {
                m.removeRef(r.slotOff(), r.slotOff() + r.pages(), frames);
            } finally {
                m.lock.exit(stamp);
            }
        }
        byStart.clear();
    }

    @Override
    public String toString() {
        return "ArefMap" + byStart.values();
    }
}
