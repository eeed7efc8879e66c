package dev.specfault.pmap.phys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Frame accounting: limits, OOM as a value, reference and map counts, storms from several threads. */
class FrameAllocatorTest {

    private static FrameAllocator allocator(long limit, int caches) {
        return new FrameAllocator(new PhysicalMemory(FrameAllocator.framesNeeded(limit, caches)), limit, true);
    }

    @Test
    void outOfMemoryIsAResultAtExactlyTheLimit() {
        final FrameAllocator a = allocator(100, 2);
        final FrameCache cache = new FrameCache();
        final Set<Long> got = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            final long f = a.alloc(i % 2 == 0 ? cache : null, FrameAllocator.DATA, true);
            assertTrue(f > 0, "frame " + i);
            assertTrue(got.add(f), "no frame handed out twice");
        }
        assertEquals(FrameAllocator.OOM, a.alloc(cache, FrameAllocator.DATA, true));
        assertEquals(FrameAllocator.OOM, a.alloc(null, FrameAllocator.TABLE, false));
        assertEquals(2, a.stats().ooms());
        a.put(got.iterator().next(), cache);
        assertTrue(a.alloc(cache, FrameAllocator.DATA, true) > 0, "one freed, one available");
    }

    @Test
    void newFramesAreZeroedAndFreedFramesPoisoned() {
        final FrameAllocator a = allocator(8, 1);
        final long f = a.alloc(null, FrameAllocator.DATA, true);
        a.memory().putRelease(f, 3, 77);
        assertTrue(a.put(f));
        assertTrue(a.isFree(f));
        assertEquals(FrameAllocator.POISON, a.memory().getAcquire(f, 3), "freed frames are poisoned");
        final long g = a.alloc(null, FrameAllocator.DATA, true);
        assertEquals(f, g, "LIFO reuse");
        assertEquals(0, a.memory().getAcquire(g, 3), "zeroed on allocation");
    }

    @Test
    void referenceCountsFreeAtZeroAndPinsRefuseFreeFrames() {
        final FrameAllocator a = allocator(8, 1);
        final long f = a.alloc(null, FrameAllocator.DATA, true);
        a.get(f);
        assertTrue(a.getUnlessZero(f));
        assertEquals(3, a.refcount(f));
        assertFalse(a.put(f));
        assertFalse(a.put(f));
        assertTrue(a.put(f), "the last reference frees");
        assertFalse(a.getUnlessZero(f), "a free frame cannot be pinned");
        assertThrows(IllegalStateException.class, () -> a.put(f));
    }

    @Test
    void aMappedFrameCannotBeFreed() {
        final FrameAllocator a = allocator(8, 1);
        final long f = a.alloc(null, FrameAllocator.DATA, true);
        a.mapInc(f);
        assertThrows(IllegalStateException.class, () -> a.put(f));
    }

    @Test
    void allocFreeStormsFromSeveralThreadsEndWithEveryFrameBack() throws Exception {
        final int threads = 4;
        final FrameAllocator a = allocator(2000, threads);
        final AtomicLong ooms = new AtomicLong();
        final List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts.add(new Thread(() -> {
                final FrameCache cache = new FrameCache();
                final SplittableRandom rnd = new SplittableRandom(id);
                final List<Long> mine = new ArrayList<>();
                for (int i = 0; i < 200_000; i++) {
                    if (mine.isEmpty() || rnd.nextInt(100) < 52) {
                        final long f = a.alloc(rnd.nextBoolean() ? cache : null, FrameAllocator.DATA, false);
                        if (f == FrameAllocator.OOM) {
                            ooms.incrementAndGet();
                        } else {
                            if (a.refcount(f) != 1) {
                                throw new AssertionError("fresh frame with refcount " + a.refcount(f));
                            }
                            mine.add(f);
                        }
                    } else {
                        a.put(mine.remove(rnd.nextInt(mine.size())), rnd.nextBoolean() ? cache : null);
                    }
                }
                for (long f : mine) {
                    a.put(f, cache);
                }
                cache.drain(a);
            }));
        }
        ts.forEach(Thread::start);
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(0, a.inUse());
        assertTrue(ooms.get() > 0, "the storm reached the limit and got OOM as a value");
        assertEquals(a.memory().frames() - 1, a.count(FrameAllocator.FREE), "every frame is free again");
        assertEquals(a.stats().allocated(), a.stats().freed());
        assertTrue(a.stats().peak() <= 2000);
    }
}
