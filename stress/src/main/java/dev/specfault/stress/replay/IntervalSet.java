package dev.specfault.stress.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of disjoint half-open address ranges {@code [start, end)}, adjacent ones joined. Addresses
 * compare as signed longs: user addresses are below 2^63.
 */
final class IntervalSet {
    private final TreeMap<Long, Long> ranges = new TreeMap<>(); // start -> end

    IntervalSet copy() {
        final IntervalSet s = new IntervalSet();
        s.ranges.putAll(ranges);
        return s;
    }

    boolean isEmpty() {
        return ranges.isEmpty();
    }

    void add(long start, long end) {
        if (start >= end) {
            return;
        }
        long s = start;
        long e = end;
        final Map.Entry<Long, Long> before = ranges.floorEntry(s);
        if (before != null && before.getValue() >= s) {
            s = before.getKey();
            e = Math.max(e, before.getValue());
        }
        for (Map.Entry<Long, Long> n = ranges.ceilingEntry(s); n != null && n.getKey() <= e;
                n = ranges.ceilingEntry(s)) {
            e = Math.max(e, n.getValue());
            ranges.remove(n.getKey());
        }
        ranges.put(s, e);
    }

    void remove(long start, long end) {
        if (start >= end) {
            return;
        }
        final Map.Entry<Long, Long> before = ranges.lowerEntry(start);
        if (before != null && before.getValue() > start) {
            ranges.put(before.getKey(), start);
            if (before.getValue() > end) {
                ranges.put(end, before.getValue());
                return;
            }
        }
        for (Map.Entry<Long, Long> n = ranges.ceilingEntry(start); n != null && n.getKey() < end;
                n = ranges.ceilingEntry(start)) {
            ranges.remove(n.getKey());
            if (n.getValue() > end) {
                ranges.put(end, n.getValue());
                return;
            }
        }
    }

    boolean intersects(long start, long end) {
        if (start >= end) {
            return false;
        }
        final Map.Entry<Long, Long> before = ranges.floorEntry(start);
        if (before != null && before.getValue() > start) {
            return true;
        }
        final Long next = ranges.higherKey(start);
        return next != null && next < end;
    }

    /** The parts of [start, end) in the set, in order (none for an empty or wrapped range). */
    List<long[]> inside(long start, long end) {
        final List<long[]> l = new ArrayList<>();
        if (start >= end) {
            return l; // a range that wraps past 2^63: a length no kernel call succeeds with
        }
        final Map.Entry<Long, Long> before = ranges.floorEntry(start);
        final Long from = before != null && before.getValue() > start ? before.getKey() : Long.valueOf(start);
        for (Map.Entry<Long, Long> e : ranges.subMap(from, true, end, false).entrySet()) {
            final long s = Math.max(start, e.getKey());
            final long t = Math.min(end, e.getValue());
            if (s < t) {
                l.add(new long[] {s, t});
            }
        }
        return l;
    }

    /** The parts of [start, end) not in the set, in order. */
    List<long[]> outside(long start, long end) {
        final List<long[]> l = new ArrayList<>();
        long at = start;
        for (long[] r : inside(start, end)) {
            if (r[0] > at) {
                l.add(new long[] {at, r[0]});
            }
            at = r[1];
        }
        if (at < end) {
            l.add(new long[] {at, end});
        }
        return l;
    }

    /** The first address of [start, end) in the set, or {@code end}. */
    long firstIn(long start, long end) {
        final List<long[]> l = inside(start, end);
        return l.isEmpty() ? end : l.get(0)[0];
    }

    long pages() {
        long n = 0;
        for (Map.Entry<Long, Long> e : ranges.entrySet()) {
            n += (e.getValue() - e.getKey()) >>> 12;
        }
        return n;
    }
}
