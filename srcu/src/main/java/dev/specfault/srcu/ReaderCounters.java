package dev.specfault.srcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Padding before the counters, so that two slots' counters never share a cache line (the padding
 * chain of JCTools and Agrona: HotSpot lays superclass fields out first).
 */
abstract class ReaderCountersPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/**
 * One reader slot of one domain: Linux's per-CPU {@code struct srcu_data} lock and unlock counts
 * for the two indexes, here per thread.
 *
 * <h2>Slots: assignment and recycling</h2>
 * Linux counts per CPU; a Java thread is not pinned to a CPU, so a domain counts per thread. A
 * thread gets a slot of the domain on its first read section there (the domain's thread-local):
 * the slot of a thread that has terminated if there is one (adopted: counts carry over, they are
 * monotonic sums and a scan only compares their totals; the nesting depth starts again at 0),
 * otherwise a new slot appended to the domain's copy-on-write slot array. An emulated CPU is bound
 * to one thread at a time, so a slot is also "the CPU the reader runs on" for as long as that
 * binding lasts.
 *
 * <h2>Single writer</h2>
 * A slot has one live owner, so its counts have a single writer: the read side increments them with
 * a plain read and an opaque or release store, no atomic read-modify-write, and the StoreLoad fence
 * it needs is explicit ({@link SrcuDomain#readLock()}). An adopting thread sees the last writes of
 * the dead owner: thread termination synchronizes-with the {@code isAlive()} that found it dead
 * (JLS 17.4.4), which precedes the adoption under the domain's slot lock. The owner is held
 * strongly, so that {@code isAlive()} is always what decides (a cleared weak reference would give
 * no happens-before edge). A thread that died inside a read section leaves its counts unbalanced:
 * its domain's grace periods then never end, as in Linux; adoption does not hide that.
 *
 * <pre>
 * Locks used to protect members:
 *   [c] written only by the slot's owner thread; read by that thread plainly
 *   [g] read with acquire by the grace-period scans of the thread driving the domain's machine
 *   [s] the domain's slot lock (adoption)
 *   [I] immutable after construction
 * </pre>
 */
abstract class ReaderCountersFields extends ReaderCountersPadBefore {
    /** Read sections entered on index 0 / 1. [c] written opaque, [g] read acquire */
    long lock0, lock1;
    /** Read sections left on index 0 / 1. [c] written release, [g] read acquire */
    long unlock0, unlock1;
    /** Depth of the owner's nested read sections in this domain. [c] */
    int nesting;
    /** The owner thread. [s] */
    Thread owner;
    /** The callbacks this slot's threads queued (Linux's srcu_data.srcu_cblist); its own lock. [I] */
    final SlotCallbacks callbacks = new SlotCallbacks();
    /**
     * Seeded bug READ_SIDE_NO_FENCE only: lock increments still in the modelled store buffer, not
     * yet visible to scans; drained at the owner's next fence. [c]
     */
    long buffered0, buffered1;

    private static final VarHandle LOCK0;
    private static final VarHandle LOCK1;
    private static final VarHandle UNLOCK0;
    private static final VarHandle UNLOCK1;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            LOCK0 = l.findVarHandle(ReaderCountersFields.class, "lock0", long.class);
            LOCK1 = l.findVarHandle(ReaderCountersFields.class, "lock1", long.class);
            UNLOCK0 = l.findVarHandle(ReaderCountersFields.class, "unlock0", long.class);
            UNLOCK1 = l.findVarHandle(ReaderCountersFields.class, "unlock1", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Owner only: this slot's lock count of index {@code idx}, read plainly (single writer). */
    final long lockPlain(int idx) {
        return idx == 0 ? lock0 : lock1;
    }

    /** Owner only: publishes a new lock count; the caller orders it with a full fence. */
    final void setLockOpaque(int idx, long v) {
        if (idx == 0) {
            LOCK0.setOpaque(this, v);
        } else {
            LOCK1.setOpaque(this, v);
        }
    }

    /** Owner only: publishes a lock count with release (used when draining the modelled store buffer). */
    final void setLockRelease(int idx, long v) {
        if (idx == 0) {
            LOCK0.setRelease(this, v);
        } else {
            LOCK1.setRelease(this, v);
        }
    }

    /** Scans: the lock count of index {@code idx}. */
    final long lockAcquire(int idx) {
        return idx == 0 ? (long) LOCK0.getAcquire(this) : (long) LOCK1.getAcquire(this);
    }

    /** Owner only: this slot's unlock count of index {@code idx}, read plainly (single writer). */
    final long unlockPlain(int idx) {
        return idx == 0 ? unlock0 : unlock1;
    }

    /**
     * Owner only: publishes a new unlock count with release, so that every access of the read
     * section that ends here happens-before a scan that reads the new count with acquire.
     */
    final void setUnlockRelease(int idx, long v) {
        if (idx == 0) {
            UNLOCK0.setRelease(this, v);
        } else {
            UNLOCK1.setRelease(this, v);
        }
    }

    /** Scans: the unlock count of index {@code idx}. */
    final long unlockAcquire(int idx) {
        return idx == 0 ? (long) UNLOCK0.getAcquire(this) : (long) UNLOCK1.getAcquire(this);
    }

    /** Owner only, seeded bug READ_SIDE_NO_FENCE: keeps a lock increment in the modelled store buffer. */
    final void bufferLock(int idx) {
        if (idx == 0) {
            buffered0++;
        } else {
            buffered1++;
        }
    }

    /** => slot lock held. Whether the owner has terminated, so that another thread may adopt the slot. */
    final boolean ownerDead() {
        return !owner.isAlive();
    }

    /** => slot lock held, {@link #ownerDead()}. Gives the slot to the calling thread. */
    final void adopt() {
        owner = Thread.currentThread();
        nesting = 0;
        drainStoreBuffer();
    }

    /** Owner only: the fence the owner executes now lets its buffered increments become visible. */
    final void drainStoreBuffer() {
        if (buffered0 != 0) {
            setLockRelease(0, lock0 + buffered0);
            buffered0 = 0;
        }
        if (buffered1 != 0) {
            setLockRelease(1, lock1 + buffered1);
            buffered1 = 0;
        }
    }
}

/** The counters of one reader slot in one domain, padded on both sides. */
final class ReaderCounters extends ReaderCountersFields {
    ReaderCounters() {
        owner = Thread.currentThread();
    }

    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}
