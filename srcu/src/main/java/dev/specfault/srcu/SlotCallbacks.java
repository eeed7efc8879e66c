package dev.specfault.srcu;

import java.util.ArrayDeque;

/**
 * The callbacks one reader slot has queued, oldest first, each with the grace-period sequence
 * number it waits for: Linux's per-CPU {@code srcu_data.srcu_cblist}, whose segments are
 * "accelerated" with {@code rcu_seq_snap()} at {@code call_srcu()} time. Entries are appended in
 * the order their thread queued them, and a thread's snapshots never decrease, so the list is sorted
 * by {@code need} and the callbacks whose grace period has ended are a prefix.
 *
 * <p>The owner thread appends; whoever invokes callbacks (the owner at a safe point, a
 * {@code barrier()}, the driver for a thread that does not come back, the inline driver) removes
 * from the front, always while driving the domain's machine, so removals are serialized, and an
 * append may race one of them: hence the lock. JDK deques: no allocation per callback once they
 * have grown, one small array per grace period and slot.
 *
 * <pre>
 * Locks used to protect members:
 *   [q] this object's monitor (Linux's sdp->lock); a leaf lock, held for a few field accesses
 *   [g] the domain's grace-period ownership (the thread running this list's callbacks)
 *   [a] atomic, mode named by the accessor
 * </pre>
 */
final class SlotCallbacks {
    /** The callbacks, oldest first. [q] */
    private final ArrayDeque<Runnable> cbs = new ArrayDeque<>();
    /**
     * Runs of consecutive callbacks that wait for the same grace period, oldest first: {@code {need,
     * count}} (Linux's segments; a run per grace period and slot, not an object per callback). [q]
     */
    private final ArrayDeque<long[]> runs = new ArrayDeque<>();
    /** The {@code need} of the oldest entry, {@link Long#MAX_VALUE} if none. [q] written, [a] read volatile */
    private volatile long firstNeed = Long.MAX_VALUE;
    /** Callbacks ever appended. [q] */
    private long added;
    /**
     * Callbacks of this list that have run (after they ran): what {@code barrier()} waits on, slot by
     * slot, since slots' callbacks do not run in one global order. [g] written volatile by the
     * thread driving the domain, [a] read
     */
    private volatile long ran;

    /** Appends a callback that may run once the domain's gpSeq reaches {@code needSeq}. */
    synchronized void add(long needSeq, Runnable cb) {
        final long[] last = runs.peekLast();
        if (last != null && last[0] == needSeq) {
            last[1]++;
        } else {
            runs.addLast(new long[] {needSeq, 1});
        }
        cbs.addLast(cb);
        added++;
        if (cbs.size() == 1) {
            firstNeed = needSeq;
        }
    }

    /**
     * Removes the oldest callbacks whose grace period has ended ({@code need <= done}), at most
     * {@code into.length}, into {@code into} from index 0, in order; returns how many. One monitor
     * hold for a batch, so that a thread appending is not held up once per callback.
     */
    synchronized int pollDone(long done, Runnable[] into) {
        int n = 0;
        long[] first;
        while (n < into.length && (first = runs.peekFirst()) != null && first[0] <= done) {
            final int take = (int) Math.min(first[1], into.length - n);
            for (int i = 0; i < take; i++) {
                into[n++] = cbs.pollFirst();
            }
            first[1] -= take;
            if (first[1] == 0) {
                runs.pollFirst();
            }
        }
        final long[] head = runs.peekFirst();
        firstNeed = head == null ? Long.MAX_VALUE : head[0];
        return n;
    }

    /** Without the lock: whether a callback waits for a grace period that ended at or before {@code done}. */
    boolean hasDone(long done) {
        return firstNeed <= done;
    }

    /** Callbacks queued here and not yet removed. */
    synchronized int size() {
        return cbs.size();
    }

    /** Callbacks ever appended here. */
    synchronized long added() {
        return added;
    }

    /** Callbacks of this list that have finished running. */
    long ran() {
        return ran;
    }

    /** => [g]. {@code n} more callbacks of this list have finished running. */
    void ran(int n) {
        ran = ran + n;
    }
}
