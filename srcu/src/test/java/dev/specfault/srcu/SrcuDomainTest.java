package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The domain's contract, and one deterministic scenario per seeded bug: a reader thread parked
 * inside a read section (a test hook: a latch) while the grace-period side runs. A correct domain
 * keeps waiting; each seeded bug lets reclamation run while the reader is inside (or never lets a
 * grace period end).
 */
class SrcuDomainTest {
    /** How long a correct domain is watched to show it keeps waiting. */
    private static final long WATCH_MS = 300;

    private final ParkedReader parked = new ParkedReader();

    @AfterEach
    void releaseReader() throws Exception {
        parked.close();
    }

    private static SrcuDomain domain(GracePeriodDriver d, SrcuBug... bugs) {
        final EnumSet<SrcuBug> set = EnumSet.noneOf(SrcuBug.class);
        set.addAll(java.util.List.of(bugs));
        return SrcuDomain.builder("test").driver(d).bugs(set).build();
    }

    /** A thread that enters a read section of a domain and stays there until closed. */
    static final class ParkedReader {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch leave = new CountDownLatch(1);
        private Thread thread;

        void enter(SrcuDomain d) throws InterruptedException {
            thread = new Thread(() -> {
                final int t = d.readLock();
                inside.countDown();
                try {
                    leave.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    d.readUnlock(t);
                }
            }, "parked-reader");
            thread.start();
            assertTrue(inside.await(5, TimeUnit.SECONDS), "reader entered");
        }

        void leave() throws InterruptedException {
            leave.countDown();
            if (thread != null) {
                thread.join(5000);
            }
        }

        void close() throws InterruptedException {
            leave();
        }
    }

    @Test
    void readSectionsNestAndTellWhetherInside() {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        assertFalse(d.inReadSection());
        final int outer = d.readLock();
        final int inner = d.readLock();
        assertTrue(d.inReadSection());
        d.readUnlock(inner);
        assertTrue(d.inReadSection());
        d.readUnlock(outer);
        assertFalse(d.inReadSection());
        d.synchronize();
        assertEquals(1, d.stats().gracePeriods());
    }

    @Test
    void badTokenAndUnbalancedUnlockAreRejected() {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        final int t = d.readLock();
        assertThrows(IllegalArgumentException.class, () -> d.readUnlock(7));
        d.readUnlock(t);
        assertThrows(IllegalStateException.class, () -> d.readUnlock(t));
    }

    @Test
    void synchronizeOrBarrierInsideOwnReadSectionIsAnErrorNotADeadlock() {
        final SrcuDomain d = domain(GracePeriodDriver.shared());
        final SrcuDomain other = domain(GracePeriodDriver.shared());
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            final int t = d.readLock();
            try {
                assertThrows(IllegalStateException.class, d::synchronize);
                assertThrows(IllegalStateException.class, d::barrier);
                other.synchronize(); // another domain's grace period does not wait for this reader
            } finally {
                d.readUnlock(t);
            }
            d.synchronize();
        });
    }

    @Test
    void synchronizeWaitsForAPreExistingReader() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared());
        parked.enter(d);
        final CompletableFuture<Void> sync = CompletableFuture.runAsync(d::synchronize);
        Thread.sleep(WATCH_MS);
        assertFalse(sync.isDone(), "synchronize() returned while a reader that began before it was inside");
        parked.leave();
        sync.get(10, TimeUnit.SECONDS);
    }

    @Test
    void callbackRunsOnlyAfterPreExistingReadersLeave() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared());
        parked.enter(d);
        final CountDownLatch ran = new CountDownLatch(1);
        d.call(ran::countDown);
        assertFalse(ran.await(WATCH_MS, TimeUnit.MILLISECONDS), "callback ran while the reader was inside");
        parked.leave();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "callback ran after the reader left");
    }

    @Test
    void oneGracePeriodServesABatchOfCallbacks() {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        final AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            d.call(ran::incrementAndGet);
        }
        assertEquals(0, ran.get(), "the manual driver runs nothing until asked");
        assertEquals(100, d.stats().backlog());
        d.barrier();
        final SrcuStats s = d.stats();
        assertEquals(100, ran.get());
        assertEquals(1, s.gracePeriods(), "one grace period for the whole batch");
        assertEquals(100, s.callbacksQueued());
        assertEquals(100, s.callbacksRun());
        assertEquals(0, s.backlog());
        assertEquals(100, s.backlogMax());
        assertTrue(s.longestGracePeriodNanos() > 0);
    }

    @Test
    void callbacksRunInFifoOrder() {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        final StringBuilder order = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            final int k = i;
            d.call(() -> order.append(k));
        }
        d.barrier();
        assertEquals("0123456789", order.toString());
    }

    @Test
    void inlineDriverRunsCallbacksBeforeCallReturnsButNotInsideOwnSection() {
        final SrcuDomain d = domain(GracePeriodDriver.inline());
        final AtomicInteger ran = new AtomicInteger();
        d.call(ran::incrementAndGet);
        assertEquals(1, ran.get());
        final int t = d.readLock();
        d.call(ran::incrementAndGet); // would wait for itself: deferred
        assertEquals(1, ran.get());
        d.readUnlock(t);
        d.barrier();
        assertEquals(2, ran.get());
    }

    @Test
    void callbackFailureIsReportedOnceAndCounted() {
        final AtomicBoolean after = new AtomicBoolean();
        final SrcuDomain d = withAFailingCallback(after);
        final IllegalStateException e = assertThrows(IllegalStateException.class, d::barrier);
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertTrue(after.get(), "a failing callback does not stop the batch");
        assertEquals(1, d.stats().callbackFailures());
        d.barrier(); // reported once
    }

    /** A domain with two callbacks queued: one that throws, then one that sets {@code after}. */
    private static SrcuDomain withAFailingCallback(AtomicBoolean after) {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        d.call(() -> {
            throw new IllegalArgumentException("boom");
        });
        d.call(() -> after.set(true));
        return d;
    }

    /**
     * awaitCallbacks (a reclaim on behalf of another space) runs the callbacks as a barrier does but
     * leaves a failure for the domain's own next barrier: it once went to the reclaiming thread,
     * and the owner's barrier then passed silently.
     */
    @Test
    void awaitCallbacksLeavesAFailureForTheNextBarrier() {
        final AtomicBoolean after = new AtomicBoolean();
        final SrcuDomain d = withAFailingCallback(after);
        d.awaitCallbacks();
        assertTrue(after.get(), "every callback ran");
        assertEquals(0, d.stats().backlog());
        final IllegalStateException e = assertThrows(IllegalStateException.class, d::barrier);
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    @Test
    void callbackThatWaitsForItsOwnDomainIsAnError() {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        d.call(d::synchronize);
        final IllegalStateException e = assertThrows(IllegalStateException.class, d::barrier);
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("from a callback"), e.getCause().getMessage());
    }

    /** A call() that races close() either throws or runs: none is accepted and then stranded. */
    @Test
    void callRacingCloseEitherThrowsOrRuns() throws Exception {
        final SharedExecutorDriver driver = new SharedExecutorDriver("close-race", 1);
        for (int trial = 0; trial < 200; trial++) {
            final SrcuDomain d = SrcuDomain.builder("race").driver(driver).build();
            final AtomicInteger accepted = new AtomicInteger();
            final AtomicInteger ran = new AtomicInteger();
            final Thread caller = new Thread(() -> {
                for (;;) {
                    try {
                        d.call(ran::incrementAndGet);
                        accepted.incrementAndGet();
                    } catch (IllegalStateException closed) {
                        return;
                    }
                }
            });
            caller.start();
            Thread.onSpinWait();
            d.close();
            caller.join();
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (ran.get() != accepted.get() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(accepted.get(), ran.get(), "trial " + trial + ": every accepted callback ran");
        }
    }

    @Test
    void closeRunsQueuedCallbacksAndRefusesNewOnes() {
        final SrcuDomain d = domain(GracePeriodDriver.shared());
        final AtomicInteger ran = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            d.call(ran::incrementAndGet);
        }
        d.close();
        assertEquals(10, ran.get());
        assertTrue(d.isClosed());
        assertThrows(IllegalStateException.class, () -> d.call(ran::incrementAndGet));
        d.close();
    }

    @Test
    void slotsOfTerminatedThreadsAreReused() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        for (int i = 0; i < 20; i++) {
            final Thread t = new Thread(() -> d.readUnlock(d.readLock()));
            t.start();
            t.join();
        }
        assertEquals(1, d.slotCount(), "each new thread adopted the slot of the one before");
        d.synchronize();
    }

    // ------------------------------------------------------------------------------------------
    // Seeded bugs, each caught by the same kind of scenario a correct domain passes above.

    @Test
    void seededGracePeriodNoWaitIsCaught() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared(), SrcuBug.GRACE_PERIOD_NO_WAIT);
        parked.enter(d);
        final CompletableFuture<Void> sync = CompletableFuture.runAsync(d::synchronize);
        sync.get(10, TimeUnit.SECONDS); // returns although the reader is inside: the violation
        assertTrue(parked.thread.isAlive(), "reader still inside when synchronize() returned");
    }

    @Test
    void seededReadSideNoFenceIsCaught() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared(), SrcuBug.READ_SIDE_NO_FENCE);
        parked.enter(d);
        final CountDownLatch ran = new CountDownLatch(1);
        d.call(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS),
                "the reader's count was still in the store buffer: the callback ran while it was inside");
        assertTrue(parked.thread.isAlive());
    }

    @Test
    void seededCallbackEarlyIsCaught() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared(), SrcuBug.CALLBACK_EARLY);
        parked.enter(d);
        final CountDownLatch ran = new CountDownLatch(1);
        d.call(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS), "callback ran before the second scan, reader inside");
        assertTrue(parked.thread.isAlive());
    }

    /**
     * A thread's safe point under the deferring driver: the callback it queued while a reader was
     * inside waits, at every poll(), for the grace period the reader holds up to end; the seeded bug
     * takes that grace period, started, for ended.
     */
    @Test
    void seededDeferredCallbackEarlyIsCaught() throws Exception {
        assertFalse(deferredScenario(domain(GracePeriodDriver.inlineDeferring()), parked),
                "correct domain: the callback waits for the reader");
        parked.leave();
        final ParkedReader second = new ParkedReader();
        try {
            assertTrue(deferredScenario(domain(GracePeriodDriver.inlineDeferring(), SrcuBug.DEFERRED_CALLBACK_EARLY),
                    second), "seeded bug: the callback ran at the poll() while the reader was inside");
        } finally {
            second.close();
        }
    }

    /** Returns whether the callback ran while the parked reader was inside. */
    private static boolean deferredScenario(SrcuDomain d, ParkedReader reader) throws Exception {
        reader.enter(d);
        final AtomicBoolean ran = new AtomicBoolean();
        d.call(() -> ran.set(true));   // one attempt: the grace period starts, its second scan waits
        assertEquals(1, d.gp.gpSeq & 1, "the grace period the callback waits for is in progress");
        assertEquals(1, d.stats().backlog());
        for (int i = 0; i < 3; i++) {
            d.poll();                  // the queuing thread's safe points
        }
        final boolean early = ran.get() && reader.thread.isAlive();
        reader.leave();
        d.synchronize();               // the grace period ends; the callback still waits for its thread
        assertTrue(early || !ran.get(), "the deferring driver ran the callback on its own");
        d.poll();
        assertTrue(ran.get(), "the callback ran at its thread's first safe point after the grace period");
        return early;
    }

    /**
     * The use-after-free the wrong index causes: a reader counted out on the other index balances
     * the counts of an index where a reader is still inside, and a callback runs under it.
     */
    @Test
    void seededUnlockWrongIndexIsCaughtAsUseAfterFree() throws Exception {
        assertFalse(wrongIndexScenario(domain(GracePeriodDriver.manual())),
                "correct domain: the callback waits for the reader");
        parked.leave();
        final ParkedReader second = new ParkedReader();
        try {
            assertTrue(wrongIndexScenario(domain(GracePeriodDriver.manual(), SrcuBug.UNLOCK_WRONG_INDEX), second),
                    "seeded bug: the callback ran while the reader was inside");
        } finally {
            second.close();
        }
    }

    private boolean wrongIndexScenario(SrcuDomain d) throws Exception {
        return wrongIndexScenario(d, parked);
    }

    /** Returns whether the callback ran while the parked reader was inside. */
    private static boolean wrongIndexScenario(SrcuDomain d, ParkedReader reader) throws Exception {
        reader.enter(d);                                   // inside on index 0
        final AtomicBoolean ran = new AtomicBoolean();
        d.call(() -> ran.set(true));
        assertFalse(d.synchronize(Duration.ofMillis(50))); // scan 1 passes, flip, scan 2 waits
        final Thread other = new Thread(() -> d.readUnlock(d.readLock())); // in on 1, out on 0 (wrong)
        other.start();
        other.join();
        d.synchronize(Duration.ofMillis(200));
        return ran.get() && reader.thread.isAlive();
    }

    @Test
    void seededUnlockWrongIndexIsCaught() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.shared(), SrcuBug.UNLOCK_WRONG_INDEX);
        final SrcuDomain good = domain(GracePeriodDriver.shared());
        good.readUnlock(good.readLock());
        assertTrue(good.synchronize(Duration.ofSeconds(10)), "a correct domain's grace period ends");
        d.readUnlock(d.readLock()); // counted in on one index, out on the other
        assertFalse(d.synchronize(Duration.ofMillis(WATCH_MS)),
                "no reader is inside, yet the grace period cannot end: the counts are unbalanced");
    }

    // Found by mutation testing (2026-11-29, docs/mutation-testing.md, second round): each of the
    // following fails on a one-line change of main code the rest of the default run let through.

    /**
     * A slot adopted from a terminated thread belongs to the adopter from then on: while the adopter
     * lives (here: parked inside a read section), a third thread gets a slot of its own, and the
     * adopter's section still ends normally and is waited for.
     */
    @Test
    void anAdoptedSlotIsNotAdoptedAgainWhileItsNewOwnerLives() throws Exception {
        final SrcuDomain d = domain(GracePeriodDriver.manual());
        final Thread first = new Thread(() -> d.readUnlock(d.readLock()));
        first.start();
        first.join();
        assertEquals(1, d.slotCount());
        parked.enter(d); // adopts the terminated thread's slot and stays inside
        assertEquals(1, d.slotCount(), "the parked reader adopted the dead thread's slot");
        final int t = d.readLock(); // this thread: the slot's owner is alive, so a new slot
        assertEquals(2, d.slotCount(), "a live adopter's slot was handed to another thread");
        assertTrue(d.inReadSection());
        d.readUnlock(t);
        final AtomicBoolean failed = new AtomicBoolean();
        parked.thread.setUncaughtExceptionHandler((th, e) -> failed.set(true));
        parked.leave();
        assertFalse(failed.get(), "the parked reader's readUnlock failed: its slot's nesting was reset");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> d.synchronize());
    }
}
