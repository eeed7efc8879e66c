package dev.specfault.vma;

import static dev.specfault.vma.LayoutPlannerTest.anon;
import static dev.specfault.vma.LayoutPlannerTest.p;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The locked design's vm_map: lock discipline, timestamp, and the same layout semantics. */
class VmMapTest {
    static final int RW = LayoutPlannerTest.RW;
    static final int R = LayoutPlannerTest.R;

    static void change(VmMap m, java.util.function.Function<AreaIndex, LayoutPlan> planner) {
        m.writeLock();
        try {
            m.apply(planner.apply(m));
        } finally {
            m.writeUnlock();
        }
    }

    @Test
    void changesBumpTheTimestampAndFollowTheLayoutRules() {
        final VmMap m = new VmMap();
        final long t0 = m.timestamp();
        change(m, ix -> LayoutPlanner.map(ix, anon(10, 20, RW)));
        final long t1 = m.timestamp();
        assertTrue(t1 > t0);
        change(m, ix -> LayoutPlanner.protect(ix, p(12), p(14), R));
        assertTrue(m.timestamp() > t1);
        m.readLock();
        try {
            assertEquals(3, m.count());
            assertEquals(List.of(anon(10, 12, RW), anon(12, 14, R), anon(14, 20, RW)), m.toList());
            assertEquals(R, m.lookup(p(13)).prot());
            assertEquals(p(12), m.find(p(12)).start());
            assertNull(m.lookup(p(20)));
            assertEquals(anon(10, 12, RW), m.prev(m.lookup(p(13))));
            assertEquals(anon(14, 20, RW), m.next(m.lookup(p(13))));
            assertEquals(anon(10, 12, RW), m.first());
            assertEquals(anon(14, 20, RW), m.last());
        } finally {
            m.readUnlock();
        }
        change(m, ix -> LayoutPlanner.protect(ix, p(12), p(14), RW));
        m.readLock();
        try {
            assertEquals(List.of(anon(10, 20, RW)), m.toList(), "merged back");
        } finally {
            m.readUnlock();
        }
    }

    /** A CPU's hint never outlives a change: a fault finds what the map holds now. */
    private static Area findAs(VmMap m, long addr, int cpu) {
        m.readLock();
        try {
            return m.find(addr, cpu);
        } finally {
            m.readUnlock();
        }
    }

    @Test
    void aCpusHintFindsTheEntryAgainUntilTheMapChanges() {
        final VmMap m = new VmMap(false, 2);
        change(m, ix -> LayoutPlanner.map(ix, anon(10, 20, RW)));
        final Area whole = findAs(m, p(12), 0);
        assertEquals(anon(10, 20, RW), whole);
        assertSame(whole, findAs(m, p(19), 0), "the same entry");
        assertEquals(anon(10, 20, RW), findAs(m, p(12), 1), "another CPU, its own hint");
        change(m, ix -> LayoutPlanner.protect(ix, p(12), p(14), R));
        assertEquals(anon(10, 12, RW), findAs(m, p(11), 0), "not the stale hint after a change");
        assertEquals(anon(12, 14, R), findAs(m, p(13), 1));
        assertEquals(anon(14, 20, RW), findAs(m, p(15), 0));
        assertNull(findAs(m, p(20), 0), "nothing at or above the end");
        assertEquals(anon(10, 12, RW), findAs(m, p(5), 0), "below every entry: the next one, as find(addr)");
        assertEquals(anon(12, 14, R), findAs(m, p(13), -1), "no CPU: no hint");
    }

    @Test
    void lookupsWithoutTheLockAndChangesWithoutTheWriteLockAreRefused() {
        final VmMap m = new VmMap();
        assertThrows(AssertionError.class, () -> m.lookup(0), "tests run with -ea");
        assertThrows(IllegalStateException.class, () -> m.apply(LayoutPlan.empty(false)));
        m.readLock();
        try {
            assertThrows(IllegalStateException.class, () -> m.apply(LayoutPlan.empty(false)), "read lock is not enough");
            assertFalse(m.isWriteLockedByCurrentThread());
        } finally {
            m.readUnlock();
        }
    }

    @Test
    void aStalePlanChangesNothing() {
        final VmMap m = new VmMap();
        change(m, ix -> LayoutPlanner.map(ix, anon(10, 20, RW)));
        final long t = m.timestamp();
        m.writeLock();
        try {
            assertThrows(IllegalArgumentException.class,
                    () -> m.apply(new LayoutPlan(List.of(anon(10, 12, RW)), List.of(), false)));
        } finally {
            m.writeUnlock();
        }
        assertEquals(t, m.timestamp());
    }

    /** UVM's relock pattern: drop the lock, let a writer in, relock, see the timestamp moved. */
    @Test
    void aFaultThatDroppedTheLockSeesTheChange() throws Exception {
        final VmMap m = new VmMap();
        change(m, ix -> LayoutPlanner.map(ix, anon(10, 20, RW)));
        m.readLock();
        final long seen = m.timestamp();
        m.readUnlock();
        final Thread writer = new Thread(() -> change(m, ix -> LayoutPlanner.unmap(ix, p(10), p(11))));
        writer.start();
        writer.join();
        m.readLock();
        try {
            assertTrue(m.timestamp() != seen, "refault: the map changed while unlocked");
            assertNull(m.lookup(p(10)));
        } finally {
            m.readUnlock();
        }
    }

    /** A queued writer holds back new readers (non-fair mode's heuristic, as the class says). */
    @Test
    void aWaitingWriterIsNotStarvedByNewReaders() throws Exception {
        final VmMap m = new VmMap();
        m.readLock(); // a long fault
        final CountDownLatch writerQueued = new CountDownLatch(1);
        final AtomicBoolean wrote = new AtomicBoolean();
        final Thread writer = new Thread(() -> {
            writerQueued.countDown();
            change(m, ix -> LayoutPlanner.map(ix, anon(1, 2, RW)));
            wrote.set(true);
        });
        writer.start();
        assertTrue(writerQueued.await(5, TimeUnit.SECONDS));
        while (m.queueLength() == 0) {
            Thread.onSpinWait();
        }
        final AtomicBoolean newReaderIn = new AtomicBoolean();
        final Thread reader = new Thread(() -> {
            m.readLock();
            newReaderIn.set(true);
            m.readUnlock();
        });
        reader.start();
        reader.join(200);
        assertFalse(newReaderIn.get(), "a new reader waits behind the queued writer");
        m.readUnlock();
        writer.join(5000);
        reader.join(5000);
        assertTrue(wrote.get() && newReaderIn.get());
    }
}
