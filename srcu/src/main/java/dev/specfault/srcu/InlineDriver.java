package dev.specfault.srcu;

/**
 * The inline, inline-deferring and manual drivers: no background thread. Waiters spin, then yield, and never park
 * (a parked thread is opaque to a model checker, a yielding one is a thread switch it can explore).
 */
final class InlineDriver implements GracePeriodDriver {
    static final InlineDriver IMMEDIATE = new InlineDriver(true, false);
    static final InlineDriver MANUAL = new InlineDriver(false, false);
    static final InlineDriver DEFERRING = new InlineDriver(true, true);

    /** Spins before yielding; few, because a model checker explores each spin as steps. */
    private static final int SPINS = 0;

    private final boolean immediate; // [I]
    private final boolean defers;    // [I]

    private InlineDriver(boolean immediate, boolean defers) {
        this.immediate = immediate;
        this.defers = defers;
    }

    @Override
    public void kick(SrcuDomain d) {
        // A thread inside a read section of d would wait for itself, and a callback that queues
        // another one runs while this thread already drives d: the loop there will see it.
        if (!immediate || d.inReadSection() || d.drivenByCurrentThread()) {
            return;
        }
        if (defers) {
            // As the production driver: one attempt that never waits for readers. A grace period
            // held up by a reader stays in progress until the next call(), synchronize() or
            // barrier() drives it on: the window in which a thread's safe point finds it started.
            d.pump(Long.MAX_VALUE);
            return;
        }
        int step = 0;
        while (!d.pump(Long.MAX_VALUE)) {
            step = pause(step);
        }
    }

    @Override
    public boolean defersCallbacks() {
        return defers;
    }

    @Override
    public void callbacksReady(SrcuDomain domain, long doneSeq) {
        // Nothing: the callbacks wait for their thread's next poll(), or a barrier(). No late
        // runner, so that a model checker sees every callback run at a point of some thread.
    }

    @Override
    public int pause(int step) {
        if (step < SPINS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
        return step + 1;
    }

    @Override
    public int scanTries() {
        return 1;
    }

    @Override
    public String name() {
        return defers ? "inline-deferring" : immediate ? "inline" : "manual";
    }
}
