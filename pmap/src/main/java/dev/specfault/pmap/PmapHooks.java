package dev.specfault.pmap;

/**
 * Test hooks: named points in kernel-side code where a deterministic scenario may pause one thread
 * while another acts (a per-machine setting, a no-op by default; never static).
 */
@FunctionalInterface
public interface PmapHooks {
    /** In a zap with the seeded bug zap-plain-write: after the read, before the write of 0. */
    String ZAP_AFTER_READ = "zap-after-read";
    /** In a teardown with flush-before-detach: after the tag flush, before the detach. */
    String TEARDOWN_BETWEEN_FLUSH_AND_DETACH = "teardown-between-flush-and-detach";
    /** In a correct teardown: after the detach, before the tag flush. */
    String TEARDOWN_BETWEEN_DETACH_AND_FLUSH = "teardown-between-detach-and-flush";

    /**
     * In freeTables: a table was found empty without its PTL and is about to be unlinked under it
     * ({@code va}: the start of the table's span).
     */
    String FREE_TABLES_BEFORE_UNLINK = "free-tables-before-unlink";

    /**
     * arm64 broadcast: the TLBI has been posted to every CPU, the DSB wait for their accesses has
     * not begun ({@code va}: the start of the range, or -1 for the whole ASID). An access that
     * begins now must not use an entry the TLBI covers.
     */
    String BROADCAST_POSTED = "broadcast-posted";

    /**
     * In an in-place rewrite of a leaf (Pmap.rewrite: mprotect, fork's write-protect): the new
     * entry is computed, the CAS not yet tried. Hardware that sets A or D now makes it try again.
     */
    String REWRITE_BEFORE_CAS = "rewrite-before-cas";

    PmapHooks NONE = (point, pmap, va) -> { };

    void at(String point, Pmap pmap, long va);
}
