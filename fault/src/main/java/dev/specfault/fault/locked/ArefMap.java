package dev.specfault.fault.locked;

import dev.specfault.fault.SpaceStats;
import dev.specfault.pmap.phys.FrameAllocator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
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
 * unchanged; removing one takes it out of the table at once and uncovers its slots (dropping anons
 * nobody covers) once its writer has released the map lock (see {@link #removeRange}).
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable
 *   [m] the space's map lock: read under it shared, changed under it exclusively; changes to an
 *       amap's references also take that amap's lock exclusively (map → amap)
 *   [c] the thread bound to the CPU of the slot's index
 * </pre>
 */
final class ArefMap {
    private final TreeMap<Long, Aref> byStart = new TreeMap<>(); // [m]
    /** Changes of {@link #byStart} so far: a hint from before a change is stale. */
    private long changes; // [m]
    /**
     * Each CPU's last lookup: a fault finds its aref without TreeMap.floorEntry, which allocates an
     * entry and boxes the key on every call. (UVM keeps the aref in the map entry, so its entry
     * lookup finds both; here the arefs are a table of their own, see the class comment.)
     */
    private final Hint[] hints; // [c]
    /**
     * Arefs out of the table whose amap references are not dropped yet: the writer holding the map
     * lock adds them; {@link #takeDead} hands them to that writer as it drops the lock.
     */
    private List<Aref> dead = new ArrayList<>(); // [m]
    /** Drop the references under the map lock, as this emulator did before (A/B comparisons only). */
    private final boolean detachUnderLock; // [I]
    private final FrameAllocator frames; // [I]
    private final SpaceStats stats; // [I]

    private record Hint(Aref aref, long changes) {
    }

    ArefMap(FrameAllocator frames, SpaceStats stats, int cpus, boolean detachUnderLock) {
        this.detachUnderLock = detachUnderLock;
        this.frames = frames;
        this.stats = stats;
        this.hints = new Hint[cpus];
    }

    private void putEntry(Aref a) {
        changes++;
        byStart.put(a.start(), a);
    }

    private Aref removeEntry(long start) {
        changes++;
        return byStart.remove(start);
    }

    private void clearEntries() {
        changes++;
        byStart.clear();
    }

    /** {@link #lookup(long)} for a fault on CPU {@code cpu} (or -1), through that CPU's hint. */
    Aref lookup(long va, int cpu) {
        if (cpu < 0 || cpu >= hints.length) {
            return lookup(va);
        }
        final Hint h = hints[cpu];
        if (h != null && h.changes == changes && h.aref.start() <= va && va < h.aref.end()) {
            return h.aref;
        }
        final Aref r = lookup(va);
        if (r != null) {
            hints[cpu] = new Hint(r, changes);
        }
        return r;
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

    /** The arefs overlapping [s, e), in address order: none for an empty range. */
    List<Aref> overlapping(long s, long e) {
        final List<Aref> out = new ArrayList<>();
        if (Long.compareUnsigned(s, e) >= 0) {
            // an aref across s is not in [s, s): anonPrepareLocked's identity-only commit asserted
            // on it (PopulateRaceTest, once in a CI run, 2026-11-30)
            return out;
        }
        final Map.Entry<Long, Aref> below = byStart.lowerEntry(s);
        if (below != null && below.getValue().end() > s) {
            out.add(below.getValue());
        }
        out.addAll(byStart.subMap(s, true, e, false).values());
        return out;
    }

    /** Every aref, in address order (a view that cannot change the table behind its change count). */
    Collection<Aref> all() {
        return Collections.unmodifiableCollection(byStart.values());
    }

    int size() {
        return byStart.size();
    }

    /** => the new aref holds its reference on the amap already; nothing overlaps it. */
    void put(Aref a) {
        assert overlapping(a.start(), a.end()).isEmpty() : "aref " + a + " over " + overlapping(a.start(), a.end());
        putEntry(a);
    }

    /**
     * Puts {@code a} without checking for overlap: only for the seeded bug amap-copy-shared-lock, where
     * a second copy of the same range replaces the first one's record (whose amap is then lost).
     */
    void putOver(Aref a) {
        putEntry(a);
    }

    /** Replaces {@code old} by {@code nu} (same range; references already moved by the caller). */
    void replace(Aref old, Aref nu) {
        assert old.start() == nu.start() && old.end() == nu.end();
        assert byStart.get(old.start()) == old;
        putEntry(nu);
    }

    /** Takes {@code a} out (its reference on the amap is the caller's to drop). */
    void remove(Aref a) {
        final Aref r = removeEntry(a.start());
        assert r == a : "removed " + r + " instead of " + a;
    }

    /**
     * Removes [s, e): arefs inside go, arefs across an edge are cut. The references of the arefs
     * that went are not dropped here: they wait on the dead list for {@link #detach} after the map
     * lock ({@code uvm_unmap_remove} puts the entries on its dead queue, {@code uvm_unmap_detach}
     * calls {@code amap_unref} after {@code vm_map_unlock}), so that freeing the anons and their
     * pages does not hold up the faults waiting for the map. The caller has zapped and flushed the
     * range's PTEs first.
     */
    void removeRange(long s, long e) {
        for (Aref r : overlapping(s, e)) {
            final Amap m = r.amap();
            final long stamp = m.lock.enter(RwLock.WRITE, stats);
            try {
                if (r.start() < s) {
                    final Aref left = r.sub(r.start(), s);
                    m.addRef(left.slotOff(), left.slotOff() + left.pages());
                    putEntry(left);
                } else {
                    removeEntry(r.start());
                }
                if (r.end() > e) {
                    final Aref right = r.sub(e, r.end());
                    m.addRef(right.slotOff(), right.slotOff() + right.pages());
                    putEntry(right);
                }
            } finally {
                m.lock.exit(stamp);
            }
            if (detachUnderLock) {
                unref(r);
            } else {
                dead.add(r);
            }
        }
    }

    /**
     * => map lock exclusive. Hands over the arefs removed since the last call (their references
     * still held), for {@link #detach} once the map lock is dropped; empty if none.
     */
    List<Aref> takeDead() {
        if (dead.isEmpty()) {
            return List.of();
        }
        final List<Aref> out = dead;
        dead = new ArrayList<>();
        return out;
    }

    /**
     * => no lock held ({@code uvm_unmap_detach}). Drops the amap references of arefs
     * {@link #takeDead} handed over: slots no aref covers any more drop their anons, and anons no
     * slot holds free their pages.
     */
    void detach(List<Aref> gone) {
        for (int i = 0; i < gone.size(); i++) {
            unref(gone.get(i));
        }
    }

    /** => the map lock, or none (the aref is out of the table). {@code amap_unref} under the amap lock. */
    private void unref(Aref r) {
        final Amap m = r.amap();
        final long stamp = m.lock.enter(RwLock.WRITE, stats);
        try {
            m.removeRef(r.slotOff(), r.slotOff() + r.pages(), frames);
        } finally {
            m.lock.exit(stamp);
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
            putEntry(left);
            putEntry(right);
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
            removeEntry(r.start());
        }
        for (Aref r : moving) {
            put(r.shifted(to - from));
        }
    }

    /** exit: every aref goes (PTEs are gone already); their references wait on the dead list. */
    void clear() {
        dead.addAll(byStart.values());
        clearEntries();
        if (detachUnderLock) {
            detach(takeDead());
        }
    }

    @Override
    public String toString() {
        return "ArefMap" + byStart.values();
    }
}
