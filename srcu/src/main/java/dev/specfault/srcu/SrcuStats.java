package dev.specfault.srcu;

/**
 * A snapshot of an SRCU domain's counters.
 *
 * @param gracePeriods            grace periods completed
 * @param callbacksQueued         callbacks queued by call()
 * @param callbacksRun            callbacks run
 * @param backlog                 callbacks queued and not yet run, now
 * @param backlogMax              the largest backlog seen by call()
 * @param longestGracePeriodNanos the longest grace period, from its start to the end of the
 *                                second scan
 * @param totalGracePeriodNanos   the sum of all grace periods' durations
 * @param callbackFailures        callbacks that threw
 */
public record SrcuStats(long gracePeriods, long callbacksQueued, long callbacksRun, long backlog,
                        long backlogMax, long longestGracePeriodNanos, long totalGracePeriodNanos,
                        long callbackFailures) {
}
