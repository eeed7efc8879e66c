package dev.specfault.srcu;

import dev.specfault.srcu.pool.PoisoningPool;
import dev.specfault.srcu.pool.Pooled;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * PoisoningPool.retire() checked isClosed(), then moved the object LIVE → RETIRED and
 * counted it, then called domain.call(), which checks closed again. A close() between the two checks
 * makes call() throw after the object was already marked RETIRED: retire() throws (the caller is
 * told "closed", as if nothing happened), but the object is stuck RETIRED, never reclaimed, cannot
 * be retired again, and the pool is never idle (P6). Same in retireAll().
 * Found in review (2026-11-30); retire now undoes its change when call() refuses. Timing-dependent
 * (a close racing a retire, trial after trial; the bug showed within 250 trials): in the long profile.
 */
@Tag("long")
class RetireCloseRaceTest {

    static final class Box extends Pooled {
        @Override
        protected void poison() {
        }
    }

    static final class Trial {
        final SrcuDomain domain = SrcuDomain.builder("rc").driver(GracePeriodDriver.inline()).build();
        final PoisoningPool<Box> pool = PoisoningPool.builder("rc", domain, Box::new).quarantine(0).build();
        final Box box = pool.allocate();

        /** 1: retired; 0: refused and still live (fine); -1: refused, yet no longer live (the bug). */
        int retire() {
            try {
                pool.retire(box);
                return 1;
            } catch (IllegalStateException e) {
                return box.isLive() ? 0 : -1;
            }
        }
    }

    /**
     * Trial after trial, this thread retires a live box while another closes its domain, released
     * together. A retire() that throws must leave the box live. Fails within a few trials.
     */
    @Test
    void aRetireThatRacesCloseLeavesNoObjectStuckRetired() throws Exception {
        final int trials = 200_000;
        final AtomicInteger go = new AtomicInteger(-1);
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Trial> cur = new AtomicReference<>();
        final Thread closer = new Thread(() -> {
            for (int t = 0; t < trials; t++) {
                while (go.get() < t) {
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    Thread.onSpinWait();
                }
                cur.get().domain.close();
                done.incrementAndGet();
            }
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        try {
            for (int t = 0; t < trials; t++) {
                final Trial o = new Trial();
                cur.set(o);
                go.set(t);
                final int r = o.retire();
                while (done.get() <= t) {
                    Thread.onSpinWait();
                }
                if (r == -1) {
                    throw new AssertionError("trial " + t + ": retire() threw 'closed', but the box is stuck "
                            + "RETIRED and will never be reclaimed: " + o.pool.stats());
                }
            }
        } finally {
            closer.interrupt();
            closer.join();
        }
    }
}
