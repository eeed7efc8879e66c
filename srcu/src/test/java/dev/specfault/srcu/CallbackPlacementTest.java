package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Where callbacks run. Under a deferring driver (the production one), on the thread that queued
 * them, at its next {@link SrcuDomain#poll()} — Linux runs a CPU's SRCU callbacks on that CPU — and
 * on the driver's thread for a thread that does not come back; under a driver that does not defer,
 * at the end of their grace period on the thread that ended it.
 */
class CallbackPlacementTest {
    /** A late delay no test waits for: whatever runs, ran for another reason. */
    private static final long NEVER = TimeUnit.SECONDS.toNanos(600);

    private static SrcuDomain domain(boolean defer, long lateDelayNanos) {
        return SrcuDomain.builder("placement")
                .driver(new SharedExecutorDriver("placement", 1, 0, defer, lateDelayNanos)).build();
    }

    private static void awaitGracePeriods(SrcuDomain d, long n) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (d.stats().gracePeriods() < n) {
            assertTrue(System.nanoTime() < deadline, "a grace period ended");
            Thread.sleep(1);
        }
    }

    /**
     * poll() gives up if another thread is driving the domain at that instant (the driver's own
     * pump, say): a safe point is best effort, the next one runs what this one left.
     */
    private static void pollUntilRan(SrcuDomain d, AtomicReference<Thread> ranOn) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (;;) {
            d.poll();
            if (ranOn.get() != null) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "a poll() ran the callback");
            Thread.sleep(1);
        }
    }

    @Test
    void aDeferringDriverLeavesTheCallbacksToTheThreadThatQueuedThem() throws InterruptedException {
        final SrcuDomain d = domain(true, NEVER);
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        d.call(() -> ranOn.set(Thread.currentThread()));
        awaitGracePeriods(d, 1);
        Thread.sleep(50); // the driver's thread had time to run it, and must not
        assertNull(ranOn.get(), "the callback waited for its thread");
        assertEquals(1, d.stats().backlog());
        pollUntilRan(d, ranOn);
        assertSame(Thread.currentThread(), ranOn.get(), "ran on the thread that queued it, at its poll()");
        assertEquals(0, d.stats().backlog());
        d.close();
    }

    @Test
    void pollRunsOnlyTheCallingThreadsCallbacks() throws Exception {
        final SrcuDomain d = domain(true, NEVER);
        final AtomicReference<Thread> mineRanOn = new AtomicReference<>();
        final AtomicReference<Thread> otherRanOn = new AtomicReference<>();
        final CountDownLatch queued = new CountDownLatch(1);
        final CountDownLatch polled = new CountDownLatch(1);
        final Thread other = new Thread(() -> {
            d.call(() -> otherRanOn.set(Thread.currentThread()));
            queued.countDown();
            try {
                polled.await();
                pollUntilRan(d, otherRanOn);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "other");
        other.start();
        queued.await();
        d.call(() -> mineRanOn.set(Thread.currentThread()));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (mineRanOn.get() == null) { // its grace period ends, then this poll() runs it
            assertTrue(System.nanoTime() < deadline, "my callback ran at a poll()");
            Thread.sleep(1);
            d.poll();
        }
        assertSame(Thread.currentThread(), mineRanOn.get());
        assertTrue(d.stats().gracePeriods() >= 1);
        assertNull(otherRanOn.get(), "another thread's callbacks wait for that thread");
        polled.countDown();
        other.join();
        assertSame(other, otherRanOn.get());
        d.close();
    }

    /**
     * P3 at the safe point: a reader that began before the call() is still inside, so the
     * grace period cannot end and poll() must not run the callback, however often it is called.
     */
    @Test
    void pollRunsNothingWhileAnEarlierReaderIsInside() throws Exception {
        final SrcuDomain d = domain(true, NEVER);
        final SrcuDomainTest.ParkedReader parked = new SrcuDomainTest.ParkedReader();
        try {
            parked.enter(d);
            final AtomicReference<Thread> ranOn = new AtomicReference<>();
            d.call(() -> ranOn.set(Thread.currentThread()));
            final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() < until) {
                d.poll();
                Thread.sleep(1);
            }
            assertNull(ranOn.get(), "a callback ran while a reader older than its call() was inside");
            assertEquals(0, d.stats().gracePeriods());
            parked.leave();
            pollUntilRan(d, ranOn);
            assertSame(Thread.currentThread(), ranOn.get());
        } finally {
            parked.close();
        }
        d.close();
    }

    @Test
    void pollInsideAReadSectionRunsNothing() throws InterruptedException {
        final SrcuDomain d = domain(true, NEVER);
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        d.call(() -> ranOn.set(Thread.currentThread()));
        awaitGracePeriods(d, 1);
        final int t = d.readLock();
        d.poll();
        assertNull(ranOn.get(), "a callback never runs inside a read section of its domain");
        d.readUnlock(t);
        pollUntilRan(d, ranOn);
        assertSame(Thread.currentThread(), ranOn.get());
        d.close();
    }

    @Test
    void theDriverRunsTheCallbacksOfAThreadThatDoesNotComeBack() throws Exception {
        final SrcuDomain d = domain(true, TimeUnit.MILLISECONDS.toNanos(20));
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final CountDownLatch ran = new CountDownLatch(1);
        final Thread gone = new Thread(() -> d.call(() -> {
            ranOn.set(Thread.currentThread());
            ran.countDown();
        }), "gone");
        gone.start();
        gone.join();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the callback ran without its thread");
        assertTrue(ranOn.get().getName().startsWith("srcu-gp-placement"), "on the driver: " + ranOn.get());
        d.close();
    }

    @Test
    void barrierRunsCallbacksWhoseThreadNeverCameBack() throws Exception {
        final SrcuDomain d = domain(true, NEVER);
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final Thread gone = new Thread(() -> d.call(() -> ranOn.set(Thread.currentThread())), "gone");
        gone.start();
        gone.join();
        d.barrier();
        assertSame(Thread.currentThread(), ranOn.get(), "barrier() ran it");
        d.close();
    }

    @Test
    void aDriverThatDoesNotDeferRunsCallbacksWhereTheGracePeriodEnds() throws Exception {
        final SrcuDomain d = domain(false, 0);
        final AtomicReference<Thread> ranOn = new AtomicReference<>();
        final CountDownLatch ran = new CountDownLatch(1);
        d.call(() -> {
            ranOn.set(Thread.currentThread());
            ran.countDown();
        });
        assertTrue(ran.await(10, TimeUnit.SECONDS), "ran with no poll()");
        assertTrue(ranOn.get().getName().startsWith("srcu-gp-placement"), "on the driver: " + ranOn.get());
        d.close();
    }

    @Test
    void aSlotsCallbacksRunInTheOrderTheyWereQueuedAcrossGracePeriods() throws InterruptedException {
        final SrcuDomain d = domain(true, NEVER);
        final StringBuilder order = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            final int k = i;
            d.call(() -> order.append(k));
            awaitGracePeriods(d, i + 1);
        }
        for (int i = 5; i < 9; i++) {
            final int k = i;
            d.call(() -> order.append(k));
        }
        d.barrier();
        assertEquals("012345678", order.toString());
        d.close();
    }
}
