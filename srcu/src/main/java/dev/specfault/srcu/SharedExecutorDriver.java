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
 *
 * <p>Callbacks ({@link #defersCallbacks()}, the production instance): Linux runs the callbacks of an
 * ended grace period on the CPU that queued them ({@code srcu_invoke_callbacks}, queued on
 * {@code sdp->cpu}), in a kworker that competes with that CPU's task; their cost falls on that CPU.
 * Here a thread is the CPU: its callbacks wait for its next {@link SrcuDomain#poll()} (the spaces
 * poll at the start of every writer operation). A thread that does not come back — it faults and
 * never writes, it blocked, it ended — has its callbacks run here {@code lateDelay} (one jiffy)
 * after their grace period ended (one to two jiffies: a late run pending for an earlier grace
 * period schedules the next when it has run), as a kworker on an idle CPU runs at once. With
 * {@code -Dspecfault.srcu.callbacks=driver} the production instance runs every callback here at
 * the end of its grace period instead (how it worked until 2026-11-29; for comparisons).
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
    private final boolean deferCallbacks;               // [I]
    private final long lateDelayNanos;                  // [I]

    private static final class Holder {
        static final SharedExecutorDriver DEFAULT =
                new SharedExecutorDriver("shared", Integer.getInteger("specfault.srcu.gpThreads", 1),
                        Long.getLong("specfault.srcu.kickDelayNanos", DEFAULT_KICK_DELAY_NANOS),
                        !"driver".equals(System.getProperty("specfault.srcu.callbacks", "queuing")),
                        DEFAULT_KICK_DELAY_NANOS);
    }

    static SharedExecutorDriver defaultInstance() {
        return Holder.DEFAULT;
    }

    SharedExecutorDriver(String name, int threads) {
        this(name, threads, 0);
    }

    SharedExecutorDriver(String name, int threads, long kickDelayNanos) {
        this(name, threads, kickDelayNanos, false, 0);
    }

    /**
     * @param deferCallbacks whether callbacks wait for the threads that queued them
     * @param lateDelayNanos with deferCallbacks: how long after its grace period ended a callback
     *                       nobody came back for is run by the driver
     */
    SharedExecutorDriver(String name, int threads, long kickDelayNanos, boolean deferCallbacks, long lateDelayNanos) {
        if (kickDelayNanos < 0 || lateDelayNanos < 0) {
            throw new IllegalArgumentException("kick delay " + kickDelayNanos + ", late delay " + lateDelayNanos);
        }
        this.name = name;
        this.kickDelayNanos = kickDelayNanos;
        this.deferCallbacks = deferCallbacks;
        this.lateDelayNanos = lateDelayNanos;
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
        if (d.gp.gpOwnerOpaque() != null) {
            // Another thread drives the domain (a poll() running its callbacks, a waiter): not
            // readers holding the grace period up, so no back-off; soon again. (Racy: a pump that
            // found readers and gave the machine back just now is taken for readers, as before.)
            if (d.gp.kickPending.compareAndSet(false, true)) {
                executor.schedule(() -> run(d), MIN_DELAY_NANOS, TimeUnit.NANOSECONDS);
            }
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
    public boolean defersCallbacks() {
        return deferCallbacks;
    }

    /**
     * Schedules the late run for the callbacks of the grace period that ended at {@code doneSeq},
     * unless one is pending; that one schedules the next when a request came in after it started
     * (a later end, or a callback added to a slot it may have passed already).
     */
    @Override
    public void callbacksReady(SrcuDomain d, long doneSeq) {
        d.gp.lateSeq.accumulateAndGet(doneSeq, Math::max);
        d.gp.lateRequests.incrementAndGet(); // before the CAS: a run that fails it reads this after
        if (d.gp.latePending.compareAndSet(false, true)) {
            final long s = d.gp.lateSeq.get();
            executor.schedule(() -> late(d, s), lateDelayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Runs the callbacks of grace periods that ended at or before {@code s}, at least a late delay ago. */
    private void late(SrcuDomain d, long s) {
        // Requests counted from here on may be for callbacks this run's walk over the slots misses
        // (added to a slot it has passed): the run goes again for them.
        final long requests = d.gp.lateRequests.get();
        if (!d.invokeLate(s)) {
            // Another thread drives the domain (or runs its own callbacks): soon again.
            executor.schedule(() -> late(d, s), MIN_DELAY_NANOS, TimeUnit.NANOSECONDS);
            return;
        }
        d.gp.latePending.set(false);
        // A request whose CAS failed because this run was pending is counted before that CAS, so
        // before the store above, and so it is read here.
        final long next = d.gp.lateSeq.get();
        if ((next > s || d.gp.lateRequests.get() != requests) && d.gp.latePending.compareAndSet(false, true)) {
            executor.schedule(() -> late(d, next), lateDelayNanos, TimeUnit.NANOSECONDS);
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
