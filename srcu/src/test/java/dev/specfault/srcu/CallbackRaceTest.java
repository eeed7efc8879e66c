package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Two races of per-slot callback lists, each forced deterministically (found in review): a
 * grace period that ends between a call()'s snapshot and its add, and a barrier() whose
 * callbacks are overtaken by later ones of another slot.
 */
class CallbackRaceTest {

    /**
     * T's call() takes its snapshot, then waits for its list's monitor (held here) while its whole
     * grace period runs; the end finds nothing to run. The callback must still run, with nobody
     * calling barrier() or polling.
     */
    private static void graceperiodEndsBetweenSnapshotAndAdd(boolean defer) throws Exception {
        final SrcuDomain d = SrcuDomain.builder("strand")
                .driver(new SharedExecutorDriver("strand", 1, 0, defer, TimeUnit.MILLISECONDS.toNanos(20))).build();
        final CountDownLatch ran = new CountDownLatch(1);
        final CountDownLatch claimed = new CountDownLatch(1);
        final CountDownLatch go = new CountDownLatch(1);
        final Thread t = new Thread(() -> {
            d.readUnlock(d.readLock()); // claims T's slot
            claimed.countDown();
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            d.call(ran::countDown); // and T never polls: it ends
        }, "T");
        t.start();
        claimed.await();
        final ReaderCounters c = d.slotOwnedBy(t);
        synchronized (c.callbacks) { // T blocks in add(), after its snapshot
            go.countDown();
            while (t.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            d.synchronize(); // the grace period T's callback waits for ends now
            Thread.sleep(100); // and a deferring driver's late run for it (20 ms) finds nothing
        }
        t.join();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the callback ran (defer=" + defer + "): " + d.stats());
        d.close();
    }

    /**
     * A's call() takes its snapshot and waits for its list's monitor; B's callback, of the same grace
     * period, is slow and runs in the driver's late run, which has already walked past A's slot.
     * A then adds its callback and asks for a late run, but one is in progress. When that run ends it
     * must go again for A's: nobody else will (A never polls, no later grace period comes). Found in
     * review; before the fix the callback waited for the next barrier().
     */
    @Test
    void aCallbackAddedBehindALateRunInProgressStillRuns() throws Exception {
        final long ms = TimeUnit.MILLISECONDS.toNanos(1);
        final SrcuDomain d = SrcuDomain.builder("late-race")
                .driver(new SharedExecutorDriver("late-race", 1, ms, true, ms)).build();
        final CountDownLatch aClaimed = new CountDownLatch(1);
        final CountDownLatch aGo = new CountDownLatch(1);
        final CountDownLatch bClaimed = new CountDownLatch(1);
        final CountDownLatch bGo = new CountDownLatch(1);
        final CountDownLatch slowInside = new CountDownLatch(1);
        final CountDownLatch slowProceed = new CountDownLatch(1);
        final CountDownLatch ran = new CountDownLatch(1);
        final Thread a = new Thread(() -> {
            d.readUnlock(d.readLock()); // claims A's slot, the first
            aClaimed.countDown();
            if (await(aGo)) {
                d.call(ran::countDown); // the snapshot, then blocked in add()
            }
        }, "A");
        final Thread b = new Thread(() -> {
            d.readUnlock(d.readLock()); // the second slot
            bClaimed.countDown();
            if (await(bGo)) {
                d.call(() -> { // the same grace period as A's; run by the late run, slowly
                    slowInside.countDown();
                    await(slowProceed);
                });
            }
        }, "B");
        a.start();
        aClaimed.await();
        b.start();
        bClaimed.await();
        synchronized (d.slotOwnedBy(a).callbacks) {
            aGo.countDown();
            while (a.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            bGo.countDown(); // B's call ends the grace period; the late run reaches B's callback
            assertTrue(slowInside.await(10, TimeUnit.SECONDS), "the late run started: " + d.stats());
        } // A adds its callback behind the late run and asks for another
        a.join();
        slowProceed.countDown();
        b.join();
        assertTrue(ran.await(10, TimeUnit.SECONDS), "A's callback ran without a barrier: " + d.stats());
        d.close();
    }

    private static boolean await(CountDownLatch l) {
        try {
            l.await();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aCallbackAddedAfterItsGracePeriodEndedStillRunsUnderADeferringDriver() throws Exception {
        graceperiodEndsBetweenSnapshotAndAdd(true);
    }

    @Test
    void aCallbackAddedAfterItsGracePeriodEndedStillRunsUnderADriverThatDoesNotDefer() throws Exception {
        graceperiodEndsBetweenSnapshotAndAdd(false);
    }

    /**
     * Y queues a slow callback; a barrier starts; X, in a slot before Y's, queues one after the
     * barrier began; one grace period serves both and runs slot 0 (X's) first. A barrier that
     * counted callbacks globally returned as soon as X's ran, before Y's had finished.
     */
    @Test
    void barrierWaitsForTheCallbacksQueuedBeforeItNotForAnyEqualNumber() throws Exception {
        for (int trial = 0; trial < 20; trial++) {
            final SrcuDomain d = SrcuDomain.builder("barrier")
                    .driver(new SharedExecutorDriver("barrier", 1, 0, false, 0)).build();
            final CountDownLatch xClaimed = new CountDownLatch(1);
            final CountDownLatch xGo = new CountDownLatch(1);
            final Thread x = new Thread(() -> {
                d.readUnlock(d.readLock()); // X's slot is slot 0
                xClaimed.countDown();
                try {
                    xGo.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                d.call(() -> { });
            }, "X");
            x.start();
            xClaimed.await();
            assertTrue(d.gp.casGpOwner(null, Thread.currentThread())); // no grace period starts yet
            final AtomicBoolean yDone = new AtomicBoolean();
            final Thread y = new Thread(() -> d.call(() -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                yDone.set(true);
            }), "Y");
            y.start();
            y.join();
            final AtomicBoolean sawYDone = new AtomicBoolean();
            final CountDownLatch started = new CountDownLatch(1);
            final Thread b = new Thread(() -> {
                started.countDown();
                d.barrier();
                sawYDone.set(yDone.get());
            }, "B");
            b.start();
            started.await();
            Thread.sleep(20); // B has taken its targets and waits
            xGo.countDown();
            x.join();
            d.gp.setGpOwnerRelease(null);
            d.pump(Long.MAX_VALUE); // one grace period for both; slot 0 (X) runs first
            b.join();
            assertTrue(sawYDone.get(), "trial " + trial + ": barrier() returned before Y's callback, queued before it, had run");
            d.barrier();
            assertEquals(0, d.stats().backlog());
            d.close();
        }
    }
}
