package dev.specfault.srcu.pool;

/**
 * A snapshot of a pool's counts.
 *
 * @param created     objects the pool has made
 * @param live        objects handed out and not retired
 * @param retired     objects retired, waiting for their grace period
 * @param quarantined poisoned objects in the quarantine FIFO
 * @param free        objects ready to be handed out again
 * @param reused      allocations served by an earlier object (incarnation bumped)
 */
public record PoolStats(long created, long live, long retired, long quarantined, long free, long reused) {

    /** Whether nothing is live or waiting for a grace period (the idle size of P6). */
    public boolean idle() {
        return live == 0 && retired == 0;
    }
}
