package dev.specfault.srcu;

/**
 * Who advances a domain's grace periods after {@link SrcuDomain#call(Runnable)}, where the
 * callbacks of an ended one run, and how a thread that waits for one ({@code synchronize()},
 * {@code barrier()}) pauses between attempts.
 *
 * <ul>
 *   <li>{@link #shared()}: production. A small executor shared by every domain of the JVM (not a
 *   thread per domain: a fork storm makes thousands). It never blocks on one domain's readers: a
 *   domain whose scan finds readers is re-tried after a growing delay, so a stalled reader delays
 *   only its own domain. It defers callbacks to the threads that queued them (their next
 *   {@link SrcuDomain#poll()}), and runs those nobody came back for one jiffy after their grace
 *   period ended.</li>
 *   <li>{@link #inline()}: {@code call()} runs the grace period and the callbacks on the calling
 *   thread before it returns (unless that thread is inside a read section of the domain or is
 *   already driving it; then the work waits for the next call, synchronize or barrier). No
 *   background thread: what Lincheck's model checker needs. Waiting threads spin and yield, never
 *   park.</li>
 *   <li>{@link #inlineDeferring()}: the shared driver's placement of callbacks (on their own
 *   thread's next {@link SrcuDomain#poll()}) with {@link #inline()}'s absence of threads, for model
 *   checking that placement; no late runner ({@code barrier()} runs what is left).</li>
 *   <li>{@link #manual()}: nothing runs until a thread calls {@code synchronize()} or
 *   {@code barrier()}; for deterministic scenarios and harnesses that choose where reclamation
 *   happens (for example after the writer has dropped its locks).</li>
 * </ul>
 */
public interface GracePeriodDriver {

    /** A callback has been queued on {@code domain}. Must not block under the shared driver. */
    void kick(SrcuDomain domain);

    /**
     * Pauses a thread that waits for a grace period and found it not yet complete.
     *
     * @param step how many times this waiter has paused so far
     * @return the next step
     */
    int pause(int step);

    /**
     * Whether the callbacks of an ended grace period wait for the threads that queued them
     * ({@link SrcuDomain#poll()} at their next safe point), as Linux runs a CPU's SRCU callbacks on
     * that CPU, rather than run at once on the thread that ended it. A deferring driver must run,
     * after {@link #callbacksReady}, those that no thread came back for.
     */
    default boolean defersCallbacks() {
        return false;
    }

    /**
     * A grace period ended at {@code doneSeq} with callbacks waiting for it, under a driver that
     * {@linkplain #defersCallbacks() defers} them. Must not block.
     */
    default void callbacksReady(SrcuDomain domain, long doneSeq) {
        throw new UnsupportedOperationException(name() + " does not defer callbacks");
    }

    /** Short name for reports. */
    String name();

    /**
     * How many times a grace-period scan re-checks readers before it gives up for now (Linux
     * {@code try_check_zero}'s trycount). Waiters under the inline driver re-try anyway.
     */
    default int scanTries() {
        return 2;
    }

    /** The shared production driver (one daemon executor thread, created on first use). */
    static GracePeriodDriver shared() {
        return SharedExecutorDriver.defaultInstance();
    }

    /** Grace periods and callbacks on the calling thread; no background threads. */
    static GracePeriodDriver inline() {
        return InlineDriver.IMMEDIATE;
    }

    /**
     * The production placement without its threads, for model checking: {@code call()} makes one
     * attempt to advance the grace period on the calling thread and never waits for readers (a
     * grace period held up stays in progress until the next call, synchronize or barrier); the
     * callbacks of an ended grace period wait for the thread that queued them to call
     * {@link SrcuDomain#poll()}, or for a {@code barrier()}. Liveness is the caller's: a thread
     * that never polls again keeps its callbacks until a barrier, and a kick that finds another
     * thread driving the domain leaves the grace period for the next call, synchronize or barrier.
     */
    static GracePeriodDriver inlineDeferring() {
        return InlineDriver.DEFERRING;
    }

    /** Grace periods only when a thread calls synchronize() or barrier(). */
    static GracePeriodDriver manual() {
        return InlineDriver.MANUAL;
    }
}
