package dev.specfault.srcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A sleepable-RCU domain: read sections that never block writers, grace periods that wait for
 * every read section that began before them, and callbacks run after a grace period.
 *
 * <h2>Idea</h2>
 * The classic SRCU of Linux (Lai Jiangshan's counter-based algorithm, kept in
 * {@code kernel/rcu/srcutree.c}). Every reader slot (a thread, see {@link ReaderCounters}) has two
 * pairs of counters, one pair per <em>index</em>: sections entered and sections left. A reader reads
 * the domain's current index, counts its entry on that index, and later counts its exit on the
 * same index. A grace period waits until the readers of one index are gone (sum of exits equals
 * sum of entries), flips the current index, and waits until the readers of the other one are gone.
 * Readers never wait and never write a shared word: only their own slot's counters.
 *
 * <h2>Read side</h2>
 * <pre>
 *   readLock:    idx = srcuIdx &amp; 1          (READ_ONCE)
 *                lock[idx] += 1             (owner-only store)
 *                fullFence                  B: StoreLoad, the store before the section's loads
 *                return idx
 *   readUnlock:  unlock[idx] += 1           C: release store, the section's accesses before it
 * </pre>
 *
 * <h2>Grace period</h2>
 * <pre>
 *   IDLE ──(callbacks queued or a waiter)──▶ SCAN1 ──(readers of idx^1 gone)──▶ flip
 *        ◀──(gp++; its callbacks may run)─── SCAN2 ◀─(readers of the old idx gone)─┘
 *
 *   scan(i):  u = Σ unlock[i]; fullFence (A); l = Σ lock[i]; gone = (l == u)
 *   flip:     fullFence (E); srcuIdx += 1; fullFence (D)
 * </pre>
 * The first scan waits for readers that read the index before an earlier flip but counted their
 * entry late; the second waits for readers of the index that was current when the grace period
 * began. A reader counted in {@code u} is also counted in {@code l} (its entry precedes its exit and
 * is published by the exit's release), so {@code l >= u}, equal only when no reader of that index
 * is inside.
 *
 * <h2>Grace-period sequence</h2>
 * {@code gpSeq} counts grace-period starts and ends (Linux {@code srcu_gp_seq}): even = idle, odd =
 * one in progress; completed grace periods = {@code gpSeq / 2}. A waiter snapshots it without a
 * lock and needs {@code gpSeq >= snap(s)}, where {@code snap(s)} is the end of the first grace period
 * that starts after {@code s} was read (Linux {@code rcu_seq_snap}): {@code s + 2} if idle,
 * {@code s + 3} if one was in progress (it may have begun before the waiter). A full fence comes
 * before the snapshot (the waiter's unlinking store is ordered before it, as Linux orders it before
 * {@code rcu_seq_snap}) and after the start of a grace period (Linux {@code rcu_seq_start}), so that
 * the first scan's load of the slot array sees every slot whose reader could have seen the
 * unlinked object.
 *
 * <h2>Callbacks and batching</h2>
 * {@link #call(Runnable)} appends a callback to the calling thread's slot ({@link SlotCallbacks},
 * Linux's per-CPU {@code srcu_cblist}) with the grace-period number it waits for, the end of the
 * first grace period that starts after the call ({@code rcu_seq_snap}). So one grace period serves
 * every callback queued before it began; callbacks queued while it runs wait for the next one. A
 * slot's callbacks run in the order they were queued, one at a time per domain: always on a thread
 * that drives the machine, while it drives it. Which thread, the driver decides: the one that ended
 * the grace period, at once (inline, manual); or the thread that queued them, at its next
 * {@link #poll()}, with the driver's thread as a fallback (shared) — as Linux runs a CPU's SRCU
 * callbacks on that CPU.
 *
 * <h2>Who drives</h2>
 * The machine is never blocked on: a thread <em>drives</em> it by taking its owner word with a CAS;
 * one that finds it taken, or whose scan finds readers, comes back later. It is advanced without
 * blocking (a scan that finds readers returns "not yet") by
 * <ul>
 *   <li>the domain's {@link GracePeriodDriver} after {@code call()}: a small shared executor in
 *   production, which re-tries a domain with readers after a delay instead of blocking, so a stalled
 *   reader delays only its own domain; the calling thread itself under the inline driver (what
 *   Lincheck's model checker needs); nobody under the manual driver;</li>
 *   <li>{@link #synchronize()} and {@link #barrier()}, which drive it on the calling thread and wait
 *   (spin, yield, then park, as the driver says) until their goal is reached.</li>
 * </ul>
 *
 * <h2>Linearization points</h2>
 * A read section begins at the fence B of its {@code readLock()} and ends at the release store of
 * its {@code readUnlock()}. A grace period begins at its volatile write of {@code gpSeq}; it covers
 * every section that began before that point, and serves every callback whose {@code call()} read
 * {@code gpSeq} before it.
 *
 * <h2>Notation</h2>
 * {@code idx}: an index, 0 or 1; {@code c}: the calling thread's {@link ReaderCounters} in this
 * domain; {@code gp}: number of completed grace periods.
 *
 * <h2>References</h2>
 * Linux {@code srcu_read_lock()}, {@code srcu_readers_active_idx_check()}, {@code srcu_flip()}
 * (fences A–E carry the kernel's letters); P. McKenney, "Sleepable RCU", LWN 2006; Peter Zijlstra's
 * 2008 RFC in {@code shared/seeds}, which asked for {@code call_srcu()}.
 */
public final class SrcuDomain implements AutoCloseable {
    // Locks used to protect members:
    //   [I] immutable after construction
    //   [g] owned by the thread that drives the grace-period machine (GracePeriodState.gpOwner,
    //       taken by CAS, given back with a release store): a try-lock nobody blocks on
    //   [a] atomic: VarHandle or java.util.concurrent.atomic, access mode named by the accessor
    //   [c] per reader slot: written only by the slot's owner thread (ReaderCounters)
    //   [s] slotLock (claiming a slot; a leaf lock)
    //
    // Layout: this object holds what readers read (finals, srcuIdx, the slot array); everything the
    // grace-period side writes is in the padded GracePeriodState, away from readers' cache lines.
    //
    // Lock order: a callback runs while its thread drives the machine [g] and may take locks of the
    // layers above (pool locks, frame allocator); nothing that holds those calls synchronize() or
    // barrier() of this domain, and a callback never calls them on its own domain (detected).

    private static final int IDLE = 0;
    private static final int SCAN1 = 1;
    private static final int SCAN2 = 2;

    private final String name;                                    // [I]
    private final Set<SrcuBug> bugs;                              // [I]
    private final boolean bugNoWait;                              // [I]
    private final boolean bugNoFence;                             // [I]
    private final boolean bugWrongIndex;                          // [I]
    private final boolean bugCallbackEarly;                       // [I]
    private final boolean bugDeferredEarly;                       // [I]
    private final GracePeriodDriver driver;                       // [I]
    private final int scanTries;                                  // [I]
    /** The calling thread's slot in this domain, null before its first read section here. [I] */
    private final ThreadLocal<ReaderCounters> mine = new ThreadLocal<>();
    private final Object slotLock = new Object();                 // [I]
    /** The grace-period side's state, padded. [I] (its fields: see GracePeriodState) */
    final GracePeriodState gp = new GracePeriodState();
    /** Every reader slot of this domain; copy-on-write. [s] written, [a] read acquire by scans */
    private ReaderCounters[] slots = new ReaderCounters[0];
    /** Linux srcu_idx: bit 0 is the index new readers use. [g] written volatile, [a] read opaque */
    private long srcuIdx;

    private static final VarHandle SRCU_IDX;
    private static final VarHandle SLOTS;

    static {
        try {
            final MethodHandles.Lookup l = MethodHandles.lookup();
            SRCU_IDX = l.findVarHandle(SrcuDomain.class, "srcuIdx", long.class);
            SLOTS = l.findVarHandle(SrcuDomain.class, "slots", ReaderCounters[].class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SrcuDomain(Builder b) {
        this.name = b.name;
        this.bugs = b.bugs.isEmpty() ? EnumSet.noneOf(SrcuBug.class) : EnumSet.copyOf(b.bugs);
        this.bugNoWait = bugs.contains(SrcuBug.GRACE_PERIOD_NO_WAIT);
        this.bugNoFence = bugs.contains(SrcuBug.READ_SIDE_NO_FENCE);
        this.bugWrongIndex = bugs.contains(SrcuBug.UNLOCK_WRONG_INDEX);
        this.bugCallbackEarly = bugs.contains(SrcuBug.CALLBACK_EARLY);
        this.bugDeferredEarly = bugs.contains(SrcuBug.DEFERRED_CALLBACK_EARLY);
        this.driver = b.driver;
        this.scanTries = Math.max(1, b.driver.scanTries());
    }

    /** A builder; by default the shared production driver and no seeded bug. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds a domain. */
    public static final class Builder {
        private final String name;
        private GracePeriodDriver driver = GracePeriodDriver.shared();
        private final EnumSet<SrcuBug> bugs = EnumSet.noneOf(SrcuBug.class);

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** Who advances grace periods after call(). */
        public Builder driver(GracePeriodDriver d) {
            this.driver = Objects.requireNonNull(d, "driver");
            return this;
        }

        /** Turns on seeded bugs (tests and --inject only). */
        public Builder bugs(Set<SrcuBug> seeded) {
            this.bugs.addAll(seeded);
            return this;
        }

        public SrcuDomain build() {
            return new SrcuDomain(this);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Accessors (the access mode is in the name)

    private long srcuIdxOpaque() {
        return (long) SRCU_IDX.getOpaque(this);
    }

    /** => [g]: the only writer reads its own value. */
    private long srcuIdxPlain() {
        return srcuIdx;
    }

    /** => [g]. */
    private void setSrcuIdxVolatile(long v) {
        SRCU_IDX.setVolatile(this, v);
    }

    private ReaderCounters[] slotsAcquire() {
        return (ReaderCounters[]) SLOTS.getAcquire(this);
    }

    /** => slotLock held. */
    private void setSlotsRelease(ReaderCounters[] s) {
        SLOTS.setRelease(this, s);
    }

    // ----------------------------------------------------------------------------------------
    // Read side

    /**
     * Enters a read section and returns the token {@link #readUnlock(int)} needs. Wait-free and
     * allocation-free once the thread has entered a section of this domain before. Nestable.
     */
    public int readLock() {
        final ReaderCounters c = mine();
        // READ_ONCE(ssp->srcu_idx): a stale index is fine, the first scan of a grace period exists
        // for readers that counted themselves on an index read before a flip.
        final int idx = (int) srcuIdxOpaque() & 1;
        if (bugNoFence) {
            // Seeded bug: no fence B. The increment stays in the modelled store buffer, invisible
            // to scans, until this thread's next fence (its readUnlock).
            c.bufferLock(idx);
        } else {
            c.setLockOpaque(idx, c.lockPlain(idx) + 1);
            // Fence B (smp_mb() in __srcu_read_lock): StoreLoad. The count above must be visible
            // to a grace-period scan before any load of this read section executes; otherwise a
            // writer could unlink and reclaim an object after its scan missed this reader while
            // the section had already loaded a pointer to it. Release would not do: it keeps
            // earlier accesses before the store, not later loads after it. Pairs with A and E/D.
            VarHandle.fullFence();
        }
        c.nesting++;
        return idx;
    }

    /**
     * Leaves the read section entered by the {@link #readLock()} that returned {@code token}.
     *
     * @throws IllegalArgumentException if the token is not one readLock() returns
     * @throws IllegalStateException    if the calling thread is not inside a read section here
     */
    public void readUnlock(int token) {
        if ((token & ~1) != 0) {
            throw new IllegalArgumentException("not an SRCU read token: " + token);
        }
        final ReaderCounters c = mine.get();
        if (c == null || c.nesting <= 0) {
            throw new IllegalStateException("readUnlock() outside a read section of SRCU domain " + name);
        }
        c.nesting--;
        if (bugNoFence) {
            c.drainStoreBuffer();
        }
        final int idx = bugWrongIndex ? token ^ 1 : token;
        // Fence C (smp_mb() in __srcu_read_unlock), as a release store: every access of the
        // section happens-before a scan that reads this count with acquire and sees it (C's
        // pairing with A). Linux's full barrier also keeps this store before the next read lock's
        // index load (pairing with D: "at most twice per task" bounds how often a reader can use
        // an old index, so that 32-bit-era counters cannot wrap); here that load may pass it,
        // bounded by the next lock's own fence B, and the 64-bit counters are compared for
        // equality, so a wrap is not a concern. A full fence per unlock would cost every fault.
        c.setUnlockRelease(idx, c.unlockPlain(idx) + 1);
    }

    /** Whether the calling thread is inside a read section of this domain (claims no slot). */
    public boolean inReadSection() {
        final ReaderCounters c = mine.get();
        return c != null && c.nesting > 0;
    }

    /** The calling thread's slot, claimed on its first read section here. */
    private ReaderCounters mine() {
        ReaderCounters c = mine.get();
        if (c == null) {
            c = claimSlot();
            mine.set(c);
        }
        return c;
    }

    /**
     * A dead thread's slot, adopted, or a new one appended. Runs once per thread and domain, under
     * the slot lock (the only part of the read side that may wait, and only on a thread's first
     * section in the domain).
     */
    private ReaderCounters claimSlot() {
        synchronized (slotLock) {
            final ReaderCounters[] s = slots;
            for (ReaderCounters c : s) {
                if (c.ownerDead()) {
                    c.adopt();
                    return c;
                }
            }
            final ReaderCounters c = new ReaderCounters();
            final ReaderCounters[] n = Arrays.copyOf(s, s.length + 1);
            n[s.length] = c;
            // Release: a scan that sees the new array sees the slot's initial state. The slot's
            // counts are published by the owner's own stores, ordered by fence B; a scan's load of
            // the array is ordered after the grace period's start by the fence there.
            setSlotsRelease(n);
            return c;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Grace periods

    /**
     * Waits until every read section of this domain that began before the call has ended.
     *
     * @throws IllegalStateException if the caller is inside a read section of this domain, or is a
     *                               callback of this domain (either would wait for itself)
     */
    public void synchronize() {
        synchronize(Long.MAX_VALUE);
    }

    /**
     * {@link #synchronize()} that gives up after {@code timeout}: a grace period that takes longer
     * is a stalled reader or a broken domain, which a checker reports rather than waits for.
     *
     * @return true if the grace period completed, false if the time ran out first
     * @throws IllegalStateException as {@link #synchronize()}
     */
    public boolean synchronize(Duration timeout) {
        return synchronize(timeout.toNanos());
    }

    private boolean synchronize(long timeoutNanos) {
        checkCanWait("synchronize()");
        final long start = System.nanoTime();
        // Orders the caller's unlinking store before the snapshot (Linux: smp_mb() before
        // rcu_seq_snap): a grace period that ends at `target` began after the unlink was visible.
        VarHandle.fullFence();
        final long target = snap(gp.gpSeq);
        gp.gpSeqNeeded.accumulateAndGet(target, Math::max);
        int step = 0;
        while (gp.gpSeq < target) {
            pump(target);
            if (gp.gpSeq >= target) {
                break;
            }
            if (timeoutNanos != Long.MAX_VALUE && System.nanoTime() - start > timeoutNanos) {
                return false;
            }
            step = driver.pause(step);
        }
        return true;
    }

    /** Linux rcu_seq_snap: the gpSeq at which the first grace period starting after {@code s} ends. */
    private static long snap(long s) {
        return (s + 3) & ~1L;
    }

    /**
     * Queues {@code callback} to run after a grace period: after every read section that began
     * before this call has ended. Never waits for a grace period under the shared and manual
     * drivers (it takes the thread's callback-list monitor, a leaf held for a few field accesses,
     * and the slot lock on the thread's first use of the domain). A call that
     * races {@link #close()} either throws or is run.
     *
     * @throws IllegalStateException if the domain is closed
     */
    public void call(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        if (gp.closed) {
            throw new IllegalStateException("call() on closed SRCU domain " + name);
        }
        final ReaderCounters c = mine();
        final long q = gp.queued.incrementAndGet();
        // Linux srcu_gp_start_if_needed: the callback waits for the end of the first grace period
        // that starts after this point (rcu_seq_snap), as a synchronize() from here would. The
        // fence orders the caller's unlinking store before the snapshot (the atomic increment
        // above is one already; said here, not relied on).
        VarHandle.fullFence();
        final long need = snap(gp.gpSeq);
        c.callbacks.add(need, callback);
        if (gp.gpSeqNeeded.get() < need) {
            gp.gpSeqNeeded.accumulateAndGet(need, Math::max);
        }
        // The grace period may have run to its end between the snapshot and the add (this thread
        // preempted, or waiting for its list's monitor), and its end then found nothing here to run
        // (Linux's srcu_funnel_gp_start checks rcu_seq_done for the same reason). The add's volatile
        // write of the list's head (or an older entry still queued, whose invoker takes this one
        // too) against the end's volatile write of gpSeq and then read of the head: one of the two
        // sides sees the other.
        if (gp.gpSeq >= need && driver.defersCallbacks()) {
            driver.callbacksReady(this, need);
        } // else: the kick below pumps, and an idle machine runs what has ended (advance, IDLE)
        final long backlog = q - gp.invoked;
        if (backlog > gp.backlogMax.getPlain()) {
            gp.backlogMax.accumulateAndGet(backlog, Math::max);
        }
        driver.kick(this);
    }

    /**
     * A safe point of the calling thread (no lock held that a callback could need, outside any
     * read section of this domain): runs the callbacks this thread queued whose grace period has
     * ended, here, on this thread. Linux invokes a CPU's SRCU callbacks from work queued on that
     * CPU ({@code srcu_invoke_callbacks} on {@code sdp->cpu}), so their cost falls on the CPU that
     * queued them; under a driver that {@linkplain GracePeriodDriver#defersCallbacks() defers}
     * them, this is where they run, or, for a thread that does not come back soon, on the driver
     * after a delay. Never blocks: if another thread is driving the domain, the callbacks wait for
     * the next safe point. Costs two volatile loads when there is nothing to run.
     */
    public void poll() {
        final ReaderCounters c = mine.get();
        if (c == null || !c.callbacks.hasDone(doneForPoll()) || c.nesting > 0) {
            return;
        }
        if (!gp.casGpOwner(null, Thread.currentThread())) {
            return;
        }
        try {
            invokeSlot(c, doneForPoll());
        } finally {
            gp.setGpOwnerRelease(null);
        }
    }

    /** The last grace period that has ended, as {@link #poll()} sees it. */
    private long doneForPoll() {
        final long seq = gp.gpSeq;
        // Seeded bug: a started grace period (odd) is taken for its own end.
        return bugDeferredEarly ? (seq + 1) & ~1L : seq;
    }

    /**
     * The driver's fallback for threads that did not reach a safe point: runs every slot's callbacks
     * whose grace period ended at or before {@code doneSeq}, on the calling thread.
     *
     * @return false if another thread was driving the domain (nothing run; try again later)
     */
    boolean invokeLate(long doneSeq) {
        if (!gp.casGpOwner(null, Thread.currentThread())) {
            return false;
        }
        try {
            invokeDone(Math.min(doneSeq, gp.gpSeq));
        } finally {
            gp.setGpOwnerRelease(null);
        }
        return true;
    }

    /**
     * Waits until every callback queued before this call has run.
     *
     * @throws IllegalStateException if the caller is inside a read section of this domain or is one
     *                               of its callbacks, or a callback has thrown and no earlier barrier
     *                               reported it (the first failure is the cause; later ones are counted)
     */
    public void barrier() {
        awaitCallbacks();
        reportCallbackFailure();
    }

    /**
     * Waits as {@link #barrier} does, but leaves a callback's failure for this domain's next
     * {@code barrier()} to report: for a caller that waits on behalf of someone else (direct
     * reclaim, which runs every space's callbacks), so that the failure is reported where it
     * belongs.
     *
     * @throws IllegalStateException if the caller is inside a read section of this domain or is one
     *                               of its callbacks
     */
    public void awaitCallbacks() {
        checkCanWait("barrier()");
        // Slot by slot (Linux's srcu_barrier puts a callback behind every CPU's list): slots'
        // callbacks do not run in one global order, so a global count could be made up by later
        // callbacks of another slot.
        final ReaderCounters[] s = slotsAcquire();
        final long[] target = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            target[i] = s[i].callbacks.added();
        }
        int step = 0;
        while (!allRan(s, target)) {
            pump(Long.MAX_VALUE);
            // Under a deferring driver the ended grace periods' callbacks wait for their threads:
            // a barrier does not.
            invokeLate(Long.MAX_VALUE);
            if (allRan(s, target)) {
                break;
            }
            step = driver.pause(step);
        }
    }

    private static boolean allRan(ReaderCounters[] s, long[] target) {
        for (int i = 0; i < s.length; i++) {
            if (s[i].callbacks.ran() < target[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Refuses further callbacks, then runs every queued one (barrier). Idempotent. A
     * {@code call()} that raced the close and was accepted still runs under the shared driver (it is
     * kicked for it); under {@link GracePeriodDriver#manual()} and an inline deferring driver, which
     * have no late runner, it waits for the next {@code barrier()} or {@code poll()}. Not from inside
     * a read section (barrier() throws, and the domain is left closed but not flushed).
     */
    @Override
    public void close() {
        gp.closed = true;
        barrier();
    }

    public boolean isClosed() {
        return gp.closed;
    }

    /**
     * One non-blocking attempt to advance the grace-period machine until {@code gpSeq} reaches
     * {@code untilSeq} or it is idle.
     *
     * @return true if the machine is idle with nothing queued or needed, false if readers hold it
     *         up, it reached {@code untilSeq} with work left, or another thread is driving it
     */
    boolean pump(long untilSeq) {
        if (!gp.casGpOwner(null, Thread.currentThread())) {
            return false;
        }
        try {
            return advance(untilSeq);
        } finally {
            gp.setGpOwnerRelease(null);
        }
    }

    /** For tests: the slot thread {@code t} owns, or null. */
    ReaderCounters slotOwnedBy(Thread t) {
        for (ReaderCounters c : slotsAcquire()) {
            if (c.owner == t) {
                return c;
            }
        }
        return null;
    }

    /** Whether the calling thread is driving this domain's grace-period machine right now. */
    boolean drivenByCurrentThread() {
        return gp.gpOwnerOpaque() == Thread.currentThread();
    }

    /** => [g]. Whether no callback or waiter needs a grace period beyond {@code seq}. */
    private boolean nothingToDo(long seq) {
        return gp.gpSeqNeeded.get() <= seq;
    }

    /**
     * => [g]. Advances as far as possible without blocking.
     *
     * @return true when idle with nothing to do; false when a scan found readers, or when
     *         {@code gpSeq} reached {@code untilSeq} with work left
     */
    private boolean advance(long untilSeq) {
        for (;;) {
            final long seq = gp.gpSeq;
            switch (gp.phase) {
                case IDLE:
                    if (nothingToDo(seq)) {
                        if (!driver.defersCallbacks()) {
                            invokeDone(seq); // a call() that added after its grace period's end
                        }
                        return true;
                    }
                    if (seq >= untilSeq) {
                        return false;
                    }
                    // Every callback queued so far waits for this grace period's end (its
                    // snapshot, taken before this start, is seq + 2).
                    final long queuedNow = gp.queued.get();
                    gp.gpCallbacks = queuedNow - gp.queuedAtGpStart;
                    gp.queuedAtGpStart = queuedNow;
                    gp.gpStartNanos = System.nanoTime();
                    if (GracePeriodEvent.recording()) {
                        final GracePeriodEvent e = new GracePeriodEvent();
                        e.begin();
                        gp.gpEvent = e;
                    }
                    gp.gpSeq = seq + 1; // starts: covers every read section that began before it
                    // Linux rcu_seq_start's smp_mb(): the scans' loads (the slot array included)
                    // come after the start, and after the unlinks of the callbacks it serves.
                    VarHandle.fullFence();
                    gp.phase = SCAN1;
                    break;
                case SCAN1:
                    if (!readersGone(inactiveIdx())) {
                        return false;
                    }
                    if (bugCallbackEarly) {
                        // Seeded bug: the callbacks this grace period serves run now, while
                        // readers on the current index are still inside.
                        invokeDone(seq + 2);
                    }
                    flip();
                    gp.phase = SCAN2;
                    break;
                case SCAN2:
                    if (!readersGone(inactiveIdx())) {
                        return false;
                    }
                    final long took = System.nanoTime() - gp.gpStartNanos;
                    gp.totalGpNanos = gp.totalGpNanos + took;
                    if (took > gp.longestGpNanos) {
                        gp.longestGpNanos = took;
                    }
                    gp.phase = IDLE;
                    gp.gpSeq = seq + 1; // ends
                    final GracePeriodEvent e = gp.gpEvent;
                    if (e != null) {
                        gp.gpEvent = null;
                        e.end();
                        if (e.shouldCommit()) {
                            e.domain = name;
                            e.sequence = seq + 1;
                            e.callbacks = gp.gpCallbacks;
                            e.commit();
                        }
                    }
                    if (driver.defersCallbacks()) {
                        // Only when some callback is queued and not yet run (a synchronize()'s grace
                        // period alone asks for no late run). One queued after this read finds the
                        // end on its own (call(): gpSeq, read after its add) and asks itself.
                        if (gp.queued.get() != gp.invoked) {
                            driver.callbacksReady(this, seq + 1);
                        }
                    } else {
                        invokeDone(seq + 1);
                    }
                    break;
                default:
                    throw new AssertionError(gp.phase);
            }
        }
    }

    /** => [g]. The index readers are not using now. */
    private int inactiveIdx() {
        return (int) (srcuIdxPlain() & 1) ^ 1;
    }

    /** => [g]. Linux srcu_flip(). */
    private void flip() {
        // Fence E: pairs with B and C; the scan before the flip is complete before a reader can
        // see the new index.
        VarHandle.fullFence();
        setSrcuIdxVolatile(srcuIdxPlain() + 1);
        // Fence D: pairs with C; a reader whose exit the next scan misses sees the new index at
        // its next entry.
        VarHandle.fullFence();
    }

    /** => [g]. Linux srcu_readers_active_idx_check(), tried a few times. */
    private boolean readersGone(int idx) {
        if (bugNoWait) {
            return true; // seeded bug: nobody is waited for
        }
        for (int t = 0; t < scanTries; t++) {
            if (scan(idx)) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    /** => [g]. Whether no reader of index {@code idx} is inside. */
    private boolean scan(int idx) {
        final ReaderCounters[] s = slotsAcquire();
        long unlocks = 0;
        for (ReaderCounters c : s) {
            unlocks += c.unlockAcquire(idx);
        }
        // Fence A: exits are summed before entries. A reader counted in `unlocks` counted its
        // entry first (program order, published by the exit's release), so it is in `locks` too:
        // locks >= unlocks, equal only if no reader of this index is inside. Pairs with B.
        VarHandle.fullFence();
        long locks = 0;
        for (ReaderCounters c : s) {
            locks += c.lockAcquire(idx);
        }
        return locks == unlocks;
    }

    /** => [g]. Runs every slot's callbacks whose grace period ended at or before {@code done}. */
    private void invokeDone(long done) {
        for (ReaderCounters c : slotsAcquire()) {
            if (c.callbacks.hasDone(done)) {
                invokeSlot(c, done);
            }
        }
    }

    /**
     * => [g]. Runs the callbacks of slot {@code c} whose grace period ended at or before
     * {@code done}, oldest first. A callback that throws is counted and does not stop the others.
     */
    private void invokeSlot(ReaderCounters c, long done) {
        final Runnable[] batch = gp.invokeBatch;
        int n;
        while ((n = c.callbacks.pollDone(done, batch)) > 0) {
            for (int i = 0; i < n; i++) {
                final Runnable cb = batch[i];
                batch[i] = null;
                try {
                    cb.run();
                } catch (Throwable e) { // a sneaky checked exception must not leave the list half-run
                    gp.callbackFailures = gp.callbackFailures + 1;
                    if (gp.firstCallbackFailure == null) {
                        gp.firstCallbackFailure = e;
                    }
                }
            }
            // Counted a batch at a time, after the batch ran: a barrier waits for "ran", and the
            // counts' cache lines are read by every call() (backlog) and beside the list's monitor.
            gp.invoked = gp.invoked + n;
            c.callbacks.ran(n);
        }
    }

    private void reportCallbackFailure() {
        final Throwable failure = gp.firstCallbackFailure;
        if (failure != null && gp.failureReported.compareAndSet(false, true)) {
            throw new IllegalStateException("an SRCU callback of domain " + name + " threw", failure);
        }
    }

    /**
     * Whether the calling thread may wait for this domain ({@link #barrier}, {@link #synchronize}):
     * it is neither inside a read section of it nor one of its callbacks.
     */
    public boolean canWait() {
        return !inReadSection() && !drivenByCurrentThread();
    }

    private void checkCanWait(String what) {
        if (inReadSection()) {
            throw new IllegalStateException(what + " inside a read section of SRCU domain " + name
                    + " would wait for itself");
        }
        if (drivenByCurrentThread()) {
            throw new IllegalStateException(what + " from a callback of SRCU domain " + name
                    + " would wait for itself");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Observability

    public String name() {
        return name;
    }

    /** The seeded bugs this domain was built with. */
    public Set<SrcuBug> bugs() {
        return bugs.isEmpty() ? EnumSet.noneOf(SrcuBug.class) : EnumSet.copyOf(bugs);
    }

    public GracePeriodDriver driver() {
        return driver;
    }

    /** How many reader slots this domain has made (threads that entered a section at once, at most). */
    public int slotCount() {
        return slotsAcquire().length;
    }

    /** A snapshot of the counters; fields are read one by one, not atomically together. */
    public SrcuStats stats() {
        final long run = gp.invoked;
        final long q = gp.queued.get();
        return new SrcuStats(gp.gpSeq >>> 1, q, run, Math.max(0, q - run), gp.backlogMax.get(),
                gp.longestGpNanos, gp.totalGpNanos, gp.callbackFailures);
    }

    @Override
    public String toString() {
        return "SrcuDomain[" + name + (bugs.isEmpty() ? "" : ", bugs=" + bugs) + "]";
    }
}
