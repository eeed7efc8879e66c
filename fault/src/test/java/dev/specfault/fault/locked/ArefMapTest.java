package dev.specfault.fault.locked;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.specfault.fault.SpaceStats;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import org.junit.jupiter.api.Test;

/** A CPU's lookup hint in {@link ArefMap} never outlives a change: every mutation invalidates it. */
class ArefMapTest {
    private static final long P = 4096;
    private static final SpaceStats STATS = new SpaceStats();

    private static Aref aref(long startPage, long endPage) {
        final int pages = (int) (endPage - startPage);
        final Amap m = new Amap(new RwLock(), pages);
        final long stamp = m.lock.enter(RwLock.WRITE, STATS);
        try {
            m.addRef(0, pages);
        } finally {
            m.lock.exit(stamp);
        }
        return new Aref(startPage * P, endPage * P, m, 0, false);
    }

    @Test
    void aHintIsNotReturnedAfterAnyChange() {
        final ArefMap m = new ArefMap(Machine.builder(Arch.X86_64).frameLimit(64).build().frames(), STATS, 2, false);
        final Aref a = aref(10, 20);
        m.put(a);
        assertEquals(a, m.lookup(15 * P, 0));
        assertEquals(a, m.lookup(11 * P, 0), "through the hint");
        assertEquals(a, m.lookup(11 * P, 1), "another CPU");
        m.splitAt(15 * P);
        final Aref left = m.lookup(11 * P, 0);
        assertEquals(10 * P, left.start());
        assertEquals(15 * P, left.end(), "not the stale hint after a split");
        assertEquals(15 * P, m.lookup(16 * P, 1).start());
        m.removeRange(10 * P, 15 * P);
        assertNull(m.lookup(11 * P, 0), "removed");
        m.move(15 * P, 5 * P, 30 * P);
        assertNull(m.lookup(16 * P, 1), "moved away");
        assertEquals(30 * P, m.lookup(31 * P, 1).start());
        final Aref moved = m.lookup(31 * P, 0);
        final Aref copy = moved.withNeedsCopy(true);
        m.replace(moved, copy);
        assertEquals(true, m.lookup(31 * P, 0).needsCopy(), "replaced");
        assertEquals(30 * P, m.lookup(31 * P, 5).start(), "no such CPU: a plain lookup");
        m.clear();
        assertNull(m.lookup(31 * P, 0), "cleared");
    }
}
