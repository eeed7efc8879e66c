package dev.specfault.pmap;

/**
 * Seeded bugs of the emulated machine's kernel side: per-machine settings, off by default, turned on
 * by tests and {@code ./specfault stress --inject}. Each breaks a property and has a test that
 * proves it is caught.
 */
public enum PmapBug {
    /** A flush of a range changes only the calling CPU's TLB: no generation bump, no IPI, no broadcast (P0, P5). */
    SKIP_SHOOTDOWN("skip-shootdown", "TLB flushes reach only the local CPU: other CPUs keep stale translations"),
    /**
     * Teardown flushes the PCID/ASID and releases it before switching lazy CPUs away from the
     * space: a speculative fill in between leaves an entry that the tag's next owner hits (P0, P7).
     */
    FLUSH_BEFORE_DETACH("flush-before-detach",
            "teardown flushes the PCID/ASID before detaching lazy CPUs: a speculative fill survives"),
    /** A zap reads the PTE and then writes 0, instead of get-and-clear: a dirty bit set in between is lost (P4). */
    ZAP_PLAIN_WRITE("zap-plain-write", "zap reads then clears a PTE instead of get-and-clear: a concurrent dirty bit is lost"),
    /** A table page goes back to the allocator right after the flush, without an SRCU grace period (P3). */
    TABLE_FREE_NO_GRACE("table-free-no-grace-period",
            "a page-table page is freed without an SRCU grace period while a software walker may hold it"),
    /** A PCID slot or ASID is reused without the flush that makes it clean (P7). */
    TAG_REUSE_NO_FLUSH("tag-reuse-no-flush", "a recycled PCID/ASID is used without flushing its old entries"),
    /**
     * arm64: a flush that frees page tables invalidates with {@code TLBI VALE1IS} (last level only),
     * as for a flush that frees none: the CPUs' walk caches keep pointing at the freed tables, and
     * their next walk of the range goes through whatever the frame holds by then (P3).
     */
    LAST_LEVEL_TLBI_FOR_FREED_TABLES("last-level-tlbi-for-freed-tables",
            "arm64: freed page tables are flushed with a last-level TLBI only: walk caches keep pointing at them"),
    /**
     * x86: a flush that frees page tables skips lazy CPUs, as one that frees none may: no IPI, so a
     * lazy CPU is not switched away from the space, and its paging-structure caches keep pointing
     * at the freed tables for its speculative walks (P3). Linux sends this IPI only because of
     * that: {@code flush_tlb_mm_range} covers lazy CPUs when {@code info->freed_tables} (Rik van
     * Riel's lazy-TLB series, 2018).
     */
    LAZY_CPUS_SKIPPED_FOR_FREED_TABLES("lazy-cpus-skipped-for-freed-tables",
            "x86: a flush that frees page tables skips lazy CPUs: their walk caches keep pointing at the freed tables");

    private final String cliName;
    private final String description;

    PmapBug(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    public String cliName() {
        return cliName;
    }

    public String description() {
        return description;
    }
}
