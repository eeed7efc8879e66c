package dev.specfault.pmap;

/** Padding before a CPU's counters (a padding chain, as in JCTools and Agrona). */
abstract class CpuStatsPad {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The counters, written only by the CPU's bound thread. */
abstract class CpuStatsFields extends CpuStatsPad {
    /** Accesses entered (retries after a fault count again). [c] */
    long accesses;
    long tlbHits;
    long walks;
    long faults;
    long speculativeFills;
    /** TLB entries this CPU dropped for flushes (catch-ups, remote invalidations, switches). [c] */
    long entriesFlushed;
    /** Whole-tag or whole-TLB flushes on this CPU. [c] */
    long fullFlushes;
}

/**
 * One CPU's counters: written only by its bound thread (or a remote operation holding it), read
 * racily by reporters; padded on both sides against false sharing with other CPUs'.
 */
public final class CpuStats extends CpuStatsFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;

    public long accesses() {
        return accesses;
    }

    public long tlbHits() {
        return tlbHits;
    }

    public long walks() {
        return walks;
    }

    public long faults() {
        return faults;
    }

    public long speculativeFills() {
        return speculativeFills;
    }

    public long entriesFlushed() {
        return entriesFlushed;
    }

    public long fullFlushes() {
        return fullFlushes;
    }

    /** => [r] of the CPU. Counts entries dropped by a flush; {@code full} for a whole-tag flush. */
    public void countFlush(int entries, boolean full) {
        entriesFlushed += entries;
        if (full) {
            fullFlushes++;
        }
    }
}
