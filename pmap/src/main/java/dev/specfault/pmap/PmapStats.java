package dev.specfault.pmap;

/**
 * A snapshot of one address space's machine-side counters.
 *
 * @param flushes         flush requests (ranges or tags)
 * @param ipis            CPUs a flush had to wait for (x86 shootdown IPIs, arm64 DSB waits)
 * @param pagesFlushed    pages covered by flush requests
 * @param tlbGen          x86 flush generation (0 on arm64)
 * @param tablesAllocated table pages allocated
 * @param tablesFreed     table pages freed
 */
public record PmapStats(long flushes, long ipis, long pagesFlushed, long tlbGen, long tablesAllocated,
                        long tablesFreed) {
}
