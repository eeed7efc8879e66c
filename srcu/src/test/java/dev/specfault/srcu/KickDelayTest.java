package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shared driver's kick delay (Linux's SRCU_INTERVAL): callbacks queued within the delay of the
 * first one share its grace period; with no delay, each kick runs at once.
 */
class KickDelayTest {

    private static long gracePeriodsFor(long kickDelayNanos, int callbacks) throws InterruptedException {
        final SharedExecutorDriver driver = new SharedExecutorDriver("kick-" + kickDelayNanos, 1, kickDelayNanos);
        final SrcuDomain d = SrcuDomain.builder("kick").driver(driver).build();
        final CountDownLatch all = new CountDownLatch(callbacks);
        for (int i = 0; i < callbacks; i++) {
            if (kickDelayNanos == 0) {
                // Each call waits for its own callback: with no delay, the kick runs it at once.
                final CountDownLatch one = new CountDownLatch(1);
                d.call(() -> {
                    one.countDown();
                    all.countDown();
                });
                assertTrue(one.await(10, TimeUnit.SECONDS), "callback " + i + " ran");
            } else {
                d.call(all::countDown);
            }
        }
        assertTrue(all.await(10, TimeUnit.SECONDS), "every callback ran");
        return d.stats().gracePeriods();
    }

    @Test
    void callbacksQueuedWithinTheDelayShareOneGracePeriod() throws InterruptedException {
        // 200 ms is far longer than queuing 100 callbacks takes.
        assertEquals(1, gracePeriodsFor(TimeUnit.MILLISECONDS.toNanos(200), 100));
    }

    @Test
    void withoutADelayEachKickRunsAGracePeriodAtOnce() throws InterruptedException {
        assertEquals(20, gracePeriodsFor(0, 20));
    }
}
