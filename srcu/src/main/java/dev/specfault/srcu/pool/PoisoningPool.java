package dev.specfault.srcu.pool;

import dev.specfault.srcu.SrcuDomain;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A pool of objects reclaimed through SRCU, with poisoning and a quarantine so that a reader that
 * outlives its grace period (a bug) is caught before the memory is reused.
 *
 * <h2>Idea</h2>
 * <pre>
 *   allocate ─▶ LIVE ─retire─▶ RETIRED ─call_srcu─▶ [grace period] ─▶ poison ─▶ quarantine FIFO
 *                 ▲                                                              │ (bounded)
 *                 └──────── incarnation + 1 ◀── free list ◀── oldest leaves ─────┘
 * </pre>
 * Reclaiming through the domain's {@link SrcuDomain#call(Runnable)} means an object is poisoned only
 * after every read section that could have found it has ended. Poisoning overwrites its fields
 * ({@link Pooled#poison()}), so a late reader reads garbage it can recognise; the quarantine keeps
 * the object out of use for {@code quarantine} further reclamations, so the garbage stays there long
 * enough to be seen; reuse bumps the incarnation, so a reader that validates after a reuse still
 * notices. {@link #validate} reports either case to the {@link UseAfterFreeLog}.
 *
 * <h2>Linearization points</h2>
 * Retire: the state CAS LIVE → RETIRED (a second retire fails there). Reuse: the incarnation's
 * release store in {@link #allocate()}.
 *
 * <pre>
 * Locks used to protect members:
 *   [I] immutable after construction
 *   [l] the pool's monitor (a leaf lock, taken inside SRCU callbacks)
 *   [a] atomic
 * </pre>
 *
 * @param <T> the pooled type
 */
public final class PoisoningPool<T extends Pooled> {
    private final String name;                          // [I]
    private final SrcuDomain domain;                    // [I]
    private final Supplier<T> factory;                  // [I]
    private final int quarantineCapacity;               // [I]
    private final int freeCapacity;                     // [I]
    private final boolean poisoning;                    // [I]
    private final UseAfterFreeLog log;                  // [I]

    private final Object lock = new Object();
    private final ArrayDeque<T> quarantine = new ArrayDeque<>(); // [l]
    private final ArrayDeque<T> free = new ArrayDeque<>();       // [l]
    private long created;                                        // [l]
    private long reused;                                         // [l]
    private final AtomicLong live = new AtomicLong();            // [a]
    private final AtomicLong retired = new AtomicLong();         // [a]

    private PoisoningPool(Builder<T> b) {
        this.name = b.name;
        this.domain = b.domain;
        this.factory = b.factory;
        this.quarantineCapacity = b.quarantine;
        this.freeCapacity = b.freeCapacity;
        this.poisoning = b.poisoning;
        this.log = b.log;
    }

    /** A builder: poisoning on, quarantine of 64, at most 4096 free objects kept, a new log. */
    public static <T extends Pooled> Builder<T> builder(String name, SrcuDomain domain, Supplier<T> factory) {
        return new Builder<>(name, domain, factory);
    }

    /** Builds a pool. */
    public static final class Builder<T extends Pooled> {
        private final String name;
        private final SrcuDomain domain;
        private final Supplier<T> factory;
        private int quarantine = 64;
        private int freeCapacity = 4096;
        private boolean poisoning = true;
        private UseAfterFreeLog log = new UseAfterFreeLog();

        private Builder(String name, SrcuDomain domain, Supplier<T> factory) {
            this.name = Objects.requireNonNull(name, "name");
            this.domain = Objects.requireNonNull(domain, "domain");
            this.factory = Objects.requireNonNull(factory, "factory");
        }

        /** How many poisoned objects wait in the FIFO before reuse (0: reuse at once). */
        public Builder<T> quarantine(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("quarantine < 0: " + n);
            }
            this.quarantine = n;
            return this;
        }

        /** How many free objects are kept for reuse; beyond that they are left to the GC. */
        public Builder<T> freeCapacity(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("free capacity < 0: " + n);
            }
            this.freeCapacity = n;
            return this;
        }

        /** Whether reclaimed objects are poisoned (detection on) or only recycled. */
        public Builder<T> poisoning(boolean on) {
            this.poisoning = on;
            return this;
        }

        /** Where detections go (share one log among the pools of an address space). */
        public Builder<T> log(UseAfterFreeLog l) {
            this.log = Objects.requireNonNull(l, "log");
            return this;
        }

        public PoisoningPool<T> build() {
            return new PoisoningPool<>(this);
        }
    }

    /**
     * Hands out an object: a free one with its incarnation bumped, or a new one. The caller
     * initialises its fields before publishing it.
     */
    public T allocate() {
        T o;
        synchronized (lock) {
            o = free.pollFirst();
            if (o != null) {
                reused++;
            } else {
                created++;
            }
        }
        if (o == null) {
            o = Objects.requireNonNull(factory.get(), "pool factory returned null");
            final T self = o;
            o.reclaim = () -> reclaim(self);
        } else {
            o.bumpIncarnationRelease();
        }
        o.setStateVolatile(Pooled.LIVE);
        live.incrementAndGet();
        return o;
    }

    /**
     * {@link #retire(Pooled)} for a holder that read the object at {@code incarnation}: a stale
     * holder retiring an object that was reclaimed and handed out again is a double free.
     */
    public void retire(T o, long incarnation) {
        retire(o, incarnation, true);
    }

    /**
     * Retires a live object: it will be poisoned after a grace period of the pool's domain.
     * => the object is unreachable for readers that begin from now on.
     *
     * @throws IllegalStateException if the object is not live (double retire), or the domain is closed
     */
    public void retire(T o) {
        retire(o, 0, false);
    }

    private void retire(T o, long incarnation, boolean checkIncarnation) {
        if (domain.isClosed()) {
            throw new IllegalStateException("retire into pool " + name + " of a closed SRCU domain");
        }
        if (!o.casState(Pooled.LIVE, Pooled.RETIRED)) {
            throw new IllegalStateException("retire of a " + Pooled.stateName(o.stateAcquire()) + " "
                    + o.describe() + " (pool " + name + ")");
        }
        // The incarnation is read after the CAS: an allocation bumps it before it sets LIVE, and no
        // later bump can come before this retire's callback, so this is the incarnation retired
        // (read before the CAS, a reuse in between went unseen: found in review, 2026-11-30).
        final long now = o.incarnation();
        if (checkIncarnation && now != incarnation) {
            o.setStateVolatile(Pooled.LIVE); // not ours: the holder of this incarnation still owns it
            throw new IllegalStateException("retire of " + o.describe() + " at incarnation " + incarnation
                    + ", it is at " + now + " (pool " + name + ")");
        }
        live.decrementAndGet();
        retired.incrementAndGet();
        try {
            domain.call(o.reclaim);
        } catch (IllegalStateException closed) {
            // close() came between the check above and the call: the object is live again, not
            // stuck RETIRED with no callback to reclaim it (found in review, 2026-11-30).
            retired.decrementAndGet();
            live.incrementAndGet();
            o.setStateVolatile(Pooled.LIVE);
            throw closed;
        }
    }

    /**
     * Retires every object of {@code objects} with <em>one</em> SRCU callback: {@link #retire(Pooled)}
     * for a writer that replaces many objects at once (a VMA tree batch), so that the batch costs one
     * {@code call()} (and at most one wake-up of the grace-period driver) instead of one per object.
     * All or nothing: if one object is not live, none is retired.
     * => the objects are unreachable for readers that begin from now on; no object appears twice.
     *
     * @throws IllegalStateException if an object is not live, or the domain is closed
     */
    public void retireAll(java.util.List<? extends T> objects) {
        if (objects.isEmpty()) {
            return;
        }
        if (domain.isClosed()) {
            throw new IllegalStateException("retire into pool " + name + " of a closed SRCU domain");
        }
        for (int i = 0; i < objects.size(); i++) { // indexed: the callers' lists are random-access
            final T o = objects.get(i);
            if (o.stateAcquire() != Pooled.LIVE) {
                throw new IllegalStateException("retire of a " + Pooled.stateName(o.stateAcquire()) + " "
                        + o.describe() + " (pool " + name + ")");
            }
        }
        final Object[] batch = objects.toArray();
        for (int i = 0; i < batch.length; i++) {
            if (!((Pooled) batch[i]).casState(Pooled.LIVE, Pooled.RETIRED)) {
                // Only a racing retire of the same object gets here: undo ours, then report.
                for (int j = 0; j < i; j++) {
                    ((Pooled) batch[j]).setStateVolatile(Pooled.LIVE);
                }
                throw new IllegalStateException("retire raced on " + ((Pooled) batch[i]).describe()
                        + " (pool " + name + ")");
            }
        }
        live.addAndGet(-batch.length);
        retired.addAndGet(batch.length);
        try {
            domain.call(() -> {
                for (Object o : batch) {
                    ((Pooled) o).reclaim.run();
                }
            });
        } catch (IllegalStateException closed) {
            // close() raced the check above: undo, as retire does.
            retired.addAndGet(-batch.length);
            live.addAndGet(batch.length);
            for (Object o : batch) {
                ((Pooled) o).setStateVolatile(Pooled.LIVE);
            }
            throw closed;
        }
    }

    /** Runs after the grace period: poison, quarantine, and release the oldest to the free list. */
    private void reclaim(T o) {
        if (poisoning) {
            // State first, then the poison (seqlock write side): a reader that reads a poisoned
            // field and then validates (after an acquire fence) sees POISONED.
            o.setStateVolatile(Pooled.POISONED);
            // A volatile store orders the stores before it, not after it: the poison must not
            // become visible before the state (AArch64 stlr then str), as bumpIncarnationRelease.
            VarHandle.releaseFence();
            o.poison();
        } else {
            o.setStateVolatile(Pooled.FREE);
        }
        retired.decrementAndGet();
        synchronized (lock) {
            if (poisoning && quarantineCapacity > 0) {
                quarantine.addLast(o);
                while (quarantine.size() > quarantineCapacity) {
                    release(quarantine.pollFirst());
                }
            } else {
                release(o);
            }
        }
    }

    /** => lock held. */
    private void release(T o) {
        o.setStateVolatile(Pooled.FREE);
        if (free.size() < freeCapacity) {
            free.addLast(o);
        }
    }

    /**
     * Reader side: checks that {@code o}, found in a read section and read at incarnation
     * {@code seenIncarnation}, was neither reclaimed nor reused while it was read. Call it after
     * reading the fields.
     *
     * @param what  what the reader read (for the report), e.g. a field name
     * @param value the value it read
     * @return true if the read was valid; false after reporting a use-after-free
     */
    public boolean validate(T o, long seenIncarnation, String what, long value) {
        // Seqlock read side: the caller's field reads happen before the state and incarnation
        // reads below.
        java.lang.invoke.VarHandle.acquireFence();
        final int s = o.stateAcquire();
        final long now = o.incarnation();
        if (now == seenIncarnation && (s == Pooled.LIVE || s == Pooled.RETIRED)) {
            return true;
        }
        log.report("use after free in pool " + name + ": read " + what + "=" + value + " of "
                + o.describe() + " at incarnation " + seenIncarnation + ", object is now "
                + Pooled.stateName(s) + " at incarnation " + now
                + " [thread " + Thread.currentThread().getName() + "]");
        return false;
    }

    /** The log detections go to. */
    public UseAfterFreeLog log() {
        return log;
    }

    public SrcuDomain domain() {
        return domain;
    }

    public PoolStats stats() {
        synchronized (lock) {
            return new PoolStats(created, live.get(), retired.get(), quarantine.size(), free.size(), reused);
        }
    }

    @Override
    public String toString() {
        return "PoisoningPool[" + name + ", " + stats() + "]";
    }
}
