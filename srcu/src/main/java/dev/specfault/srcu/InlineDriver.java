package dev.specfault.srcu;

/**
 * The inline and manual drivers: no background thread. Waiters spin, then yield, and never park
 * (a parked thread is opaque to a model checker, a yielding one is a thread switch it can explore).
 */
final class InlineDriver implements GracePeriodDriver {
    static final InlineDriver IMMEDIATE = new InlineDriver(true);
    static final InlineDriver MANUAL = new InlineDriver(false);

    /** Spins before yielding; few, because a model checker explores each spin as steps. */
    private static final int SPINS = 0;

    private final boolean immediate; // [I]

    private InlineDriver(boolean immediate) {
        this.immediate = immediate;
    }

    @Override
    public void kick(SrcuDomain d) {
        // A thread inside a read section of d would wait for itself, and a callback that queues
        // another one runs while this thread already drives d: the loop there will see it.
        if (!immediate || d.inReadSection() || d.drivenByCurrentThread()) {
            return;
        }
        int step = 0;
        while (!d.pump(Long.MAX_VALUE)) {
            step = pause(step);
        }
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
        return immediate ? "inline" : "manual";
    }
}
