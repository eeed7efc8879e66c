package dev.specfault.pmap.phys;

/**
 * A snapshot of the frame allocator's counters.
 *
 * @param limit     the most frames in use at once
 * @param inUse     frames in use now (data and tables)
 * @param peak      the most frames in use so far
 * @param allocated allocations so far
 * @param freed     frees so far
 * @param ooms      allocations refused at the limit
 */
public record FrameStats(long limit, long inUse, long peak, long allocated, long freed, long ooms) {
}
