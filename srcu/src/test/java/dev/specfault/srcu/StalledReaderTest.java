package dev.specfault.srcu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A reader stalled in one domain delays that domain's grace periods only: the shared executor
 * keeps serving other domains, and no callback of the stalled domain is lost.
 */
class StalledReaderTest {

    @Test
    void aStalledReaderDelaysOnlyItsDomainAndNoCallbackIsLost() throws Exception {
        final SharedExecutorDriver driver = new SharedExecutorDriver("stall-test", 1);
        final SrcuDomain stalled = SrcuDomain.builder("stalled").driver(driver).build();
        final SrcuDomain other = SrcuDomain.builder("other").driver(driver).build();
        final SrcuDomainTest.ParkedReader reader = new SrcuDomainTest.ParkedReader();
        reader.enter(stalled);
        try {
            final AtomicInteger stalledRan = new AtomicInteger();
            for (int i = 0; i < 1000; i++) {
                stalled.call(stalledRan::incrementAndGet);
            }
            // The other domain keeps going: its callbacks run on the same executor thread, and
            // its synchronize() returns, many times over, while the stalled reader stays inside.
            for (int round = 0; round < 20; round++) {
                final CountDownLatch ran = new CountDownLatch(1);
                other.call(ran::countDown);
                assertTrue(ran.await(10, TimeUnit.SECONDS), "other domain's callback ran");
                assertTrue(other.synchronize(Duration.ofSeconds(10)), "other domain's grace period ended");
            }
            assertEquals(0, stalledRan.get(), "no callback of the stalled domain ran while its reader was inside");
            assertFalse(stalled.synchronize(Duration.ofMillis(100)), "its grace period waits");
            assertEquals(1000, stalled.stats().backlog());
            reader.leave();
            // Wait on the counter, not barrier(): barrier would drive the machine itself and hide
            // an executor that stopped re-trying the stalled domain.
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (stalledRan.get() < 1000 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertEquals(1000, stalledRan.get(), "the executor ran every callback once the reader left");
            assertEquals(0, stalled.stats().backlog());
            assertTrue(other.stats().gracePeriods() >= 20);
        } finally {
            reader.close();
        }
    }
}
