package dev.specfault.srcu.pool;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An object whose memory is reclaimed through SRCU by a {@link PoisoningPool}.
 *
 * <h2>Lifecycle</h2>
 * <pre>
 *   LIVE ──retire()──▶ RETIRED ──grace period──▶ POISONED (quarantine, FIFO) ──▶ FREE ──allocate()──▶ LIVE
 *     ▲                (readers that began before                                   incarnation + 1   │
 *     └─────────────── the retire may still read it)                                                  ┘
 * </pre>
 * A reader that found the object inside a read section reads its {@link #incarnation()}, reads the
 * fields it needs, then asks the pool to {@link PoisoningPool#validate validate} what it saw: a
 * poisoned or free object, or an incarnation that changed under it, is a use after free.
 *
 * <pre>
 * Locks used to protect members:
 *   [a] atomic: written by the pool (release/volatile), read by validating readers (acquire)
 *   [I] immutable after construction
 * </pre>
 * Subclasses hold their own fields under their own rules and overwrite them in {@link #poison()}.
 */
public abstract class Pooled {
    static final int LIVE = 0;
    static final int RETIRED = 1;
    static final int POISONED = 2;
    static final int FREE = 3;

    /** Bumped each time the pool hands the object out again. [a] */
    private long incarnation;
    /** LIVE, RETIRED, POISONED or FREE. [a] */
    private int state;
    /** The callback that reclaims this object after a grace period; made once. [I] by the pool */
    Runnable reclaim;

    private static final VarHandle INCARNATION;
    private static final VarHandle STATE;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            INCARNATION = l.findVarHandle(Pooled.class, "incarnation", long.class);
            STATE = l.findVarHandle(Pooled.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The incarnation: how many times the pool has handed this object out before. A reader reads
     * it (acquire) before the fields it will validate.
     */
    public final long incarnation() {
        return (long) INCARNATION.getAcquire(this);
    }

    /** Whether the object has been poisoned (reclaimed) and not handed out again. */
    public final boolean isPoisoned() {
        final int s = stateAcquire();
        return s == POISONED || s == FREE;
    }

    /** Whether the object is LIVE: allocated and not retired. */
    public final boolean isLive() {
        return stateAcquire() == LIVE;
    }

    final int stateAcquire() {
        return (int) STATE.getAcquire(this);
    }

    final void setStateVolatile(int s) {
        STATE.setVolatile(this, s);
    }

    final boolean casState(int expect, int update) {
        return STATE.compareAndSet(this, expect, update);
    }

    /**
     * => the object is FREE and owned by the allocating thread. Bumps the incarnation with release
     * before the object is handed out: a reader that still holds the previous incarnation sees the
     * change when it validates.
     */
    final void bumpIncarnationRelease() {
        INCARNATION.setRelease(this, (long) INCARNATION.getAcquire(this) + 1);
        // The caller's field writes that follow must not become visible before the new
        // incarnation (a reader that reads them must see the incarnation change): seqlock write side.
        VarHandle.releaseFence();
    }

    /**
     * Overwrites every field a reader might read with a recognisable poison value. Called by the
     * pool after the grace period, before the object enters quarantine.
     */
    protected abstract void poison();

    /** Short description of the object for use-after-free reports. */
    protected String describe() {
        return getClass().getSimpleName();
    }

    static String stateName(int s) {
        switch (s) {
            case LIVE: return "live";
            case RETIRED: return "retired";
            case POISONED: return "poisoned";
            case FREE: return "free";
            default: return "state" + s;
        }
    }
}
