package dev.specfault.srcu;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The production driver: a small executor shared by every domain that uses it.
 *
 * <p>{@link #kick} schedules one run for the domain unless one is already pending (the domain's
 * {@code kickPending} flag), after {@code kickDelay}: Linux's call_srcu starts a normal grace period
 * from delayed work one jiffy ({@code SRCU_INTERVAL}) later, so the callbacks queued meanwhile share
 * it; the production instance waits 1 ms (HZ=1000). A zero delay runs at once (an expedited grace
 * period per kick: a wake-up of the executor for every call, which on a small machine takes CPU
 * from the threads that queue them). A run clears the flag first, so a callback queued while it runs
 * schedules the next run, then makes one non-blocking attempt ({@code SrcuDomain.pump}). If readers
 * held the grace period up, it schedules itself again after a delay that doubles from
 * {@value #MIN_DELAY_NANOS} ns to {@value #MAX_DELAY_NANOS} ns (Linux's SRCU re-queues its
 * grace-period work with a delay the same way) — never blocking the executor on one domain.
 */
final class SharedExecutorDriver implements GracePeriodDriver {
    static final long MIN_DELAY_NANOS = 20_000;
    static final long MAX_DELAY_NANOS = 1_000_000;
    private static final int SPINS = 128;
    private static final int YIELDS = 64;

    /** The production instance's kick delay: one jiffy at HZ=1000. */
    static final long DEFAULT_KICK_DELAY_NANOS = 1_000_000;

    private final ScheduledThreadPoolExecutor executor; // [I]
    private final String name;                          // [I]
    private final long kickDelayNanos;                  // [I]

    private static final class Holder {
        static final SharedExecutorDriver DEFAULT =
                new SharedExecutorDriver("shared", Integer.getInteger("specfault.srcu.gpThreads", 1),
                        Long.getLong("specfault.srcu.kickDelayNanos", DEFAULT_KICK_DELAY_NANOS));
    }

    static SharedExecutorDriver defaultInstance() {
        return Holder.DEFAULT;
    }

    SharedExecutorDriver(String name, int threads) {
        this(name, threads, 0);
    }

    SharedExecutorDriver(String name, int threads, long kickDelayNanos) {
        if (kickDelayNanos < 0) {
            throw new IllegalArgumentException("kick delay " + kickDelayNanos);
        }
        this.name = name;
        this.kickDelayNanos = kickDelayNanos;
        final AtomicInteger n = new AtomicInteger();
        final ThreadFactory tf = r -> {
            final Thread t = new Thread(r, "srcu-gp-" + name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = new ScheduledThreadPoolExecutor(Math.max(1, threads), tf);
        this.executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public void kick(SrcuDomain d) {
        if (d.gp.kickPending.compareAndSet(false, true)) {
            if (kickDelayNanos == 0) {
                executor.execute(() -> run(d));
            } else {
                executor.schedule(() -> run(d), kickDelayNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    /**
     * One run for a domain. A closed domain is still served: a kick only follows an accepted
     * call(), and that callback must run.
     */
    private void run(SrcuDomain d) {
        d.gp.kickPending.set(false);
        final boolean idle = d.pump(Long.MAX_VALUE);
        if (idle) {
            d.gp.pumpFailures = 0;
            return;
        }
        final int failures = d.gp.pumpFailures;
        d.gp.pumpFailures = failures + 1;
        if (d.gp.kickPending.compareAndSet(false, true)) {
            final long delay = Math.min(MAX_DELAY_NANOS, MIN_DELAY_NANOS << Math.min(failures, 16));
            executor.schedule(() -> run(d), delay, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public int pause(int step) {
        if (step < SPINS) {
            Thread.onSpinWait();
        } else if (step < SPINS + YIELDS) {
            Thread.yield();
        } else {
            final int k = Math.min(step - SPINS - YIELDS, 6);
            LockSupport.parkNanos(MIN_DELAY_NANOS << k);
        }
        return step + 1;
    }

    @Override
    public String name() {
        return name;
    }
}
