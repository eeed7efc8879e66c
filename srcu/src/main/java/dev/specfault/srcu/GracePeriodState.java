package dev.specfault.srcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jctools.util.PaddedAtomicLong;

/** Padding before the grace-period state. */
abstract class GracePeriodStatePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/**
 * What a domain's grace-period side writes, kept away from what its readers read (the domain's
 * final fields, {@code srcuIdx}, the slot array) so that a callback or a pump does not cost every
 * reader a cache miss.
 *
 * <pre>
 * Locks used to protect members:
 *   [g] owned by the thread that drives the machine (gpOwner: CAS to take, release to give back)
 *   [a] atomic, mode named by the accessor
 * </pre>
 */
abstract class GracePeriodStateFields extends GracePeriodStatePad0 {
    /** The thread driving the machine, or null. [a] */
    Thread gpOwner;
    /** Linux srcu_gp_seq: starts and ends of grace periods; odd while one runs. [g] written volatile, [a] read */
    volatile long gpSeq;
    /** Which scan the machine is in. [g] */
    int phase;
    /** The largest gpSeq a waiter needs. [a] */
    final AtomicLong gpSeqNeeded = new AtomicLong();
    /** The callbacks taken from a slot's list to run, a batch at a time. [g] */
    final Runnable[] invokeBatch = new Runnable[256];
    /** {@code queued} when the last grace period started. [g] */
    long queuedAtGpStart;
    /** Callbacks queued between the last two grace-period starts: what the last one serves. [g] */
    long gpCallbacks;
    long gpStartNanos;                                   // [g]
    /** The flight-recorder event of the grace period in progress, or null when not recording. [g] */
    GracePeriodEvent gpEvent;
    /** Callbacks queued so far (incremented before the callback is added to its slot's list). [a] */
    final PaddedAtomicLong queued = new PaddedAtomicLong();
    /** Callbacks run so far. [g] written volatile, [a] read */
    volatile long invoked;
    final AtomicLong backlogMax = new AtomicLong();      // [a]
    volatile long longestGpNanos;                        // [g] written, [a] read
    volatile long totalGpNanos;                          // [g] written, [a] read
    volatile long callbackFailures;                      // [g] written, [a] read
    volatile Throwable firstCallbackFailure;             // [g] written, [a] read
    final AtomicBoolean failureReported = new AtomicBoolean(); // [a]
    volatile boolean closed;                             // [a]
    /** Driver state: a run of the driver for this domain is scheduled and has not started. [a] */
    final AtomicBoolean kickPending = new AtomicBoolean();
    /** Driver state: consecutive runs that found readers (the driver's back-off). [a] racy */
    volatile int pumpFailures;
    /** Driver state: a late invocation of ended grace periods' callbacks is scheduled. [a] */
    final AtomicBoolean latePending = new AtomicBoolean();
    /** Driver state: the last grace period whose end asked for a late invocation. [a] */
    final AtomicLong lateSeq = new AtomicLong();
    /**
     * Driver state: late invocations asked for so far (a callback added after its grace period
     * ended asks again for the same one, while a late run may be past its slot). [a]
     */
    final AtomicLong lateRequests = new AtomicLong();

    private static final VarHandle GP_OWNER;

    static {
        try {
            GP_OWNER = MethodHandles.lookup().findVarHandle(GracePeriodStateFields.class, "gpOwner", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Takes the machine if nobody drives it: a CAS (acquire semantics). */
    final boolean casGpOwner(Thread expect, Thread update) {
        return GP_OWNER.compareAndSet(this, expect, update);
    }

    /** => [g]. Gives the machine back with release: the next driver sees every [g] write. */
    final void setGpOwnerRelease(Thread t) {
        GP_OWNER.setRelease(this, t);
    }

    final Thread gpOwnerOpaque() {
        return (Thread) GP_OWNER.getOpaque(this);
    }
}

/** The grace-period state of one domain, padded on both sides. */
final class GracePeriodState extends GracePeriodStateFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}
