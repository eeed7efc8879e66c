package dev.specfault.fault;

/**
 * Seeded bugs of the fault paths: per-space settings, off by default, turned on by tests and
 * {@code --inject}. Each breaks a correctness property of DESIGN.md and has a test that catches it.
 */
public enum FaultBug {
    /** Speculative fault: validation ignores the record's dead state (P1: a PTE after munmap). */
    SKIP_DEAD_CHECK("speculative", "validation under the PTL ignores a dead VMA record"),
    /** Speculative writer: zaps before marking the records dead (P1: a fault installs after the zap). */
    ZAP_BEFORE_MARK_DEAD("speculative", "a writer zaps the PTEs before marking the old records dead"),
    /** Speculative writer: publishes the new tree before zapping (P8: a load sees unmapped memory's data). */
    PUBLISH_BEFORE_ZAP("speculative", "a writer publishes the new tree before zapping the PTEs"),
    /** Speculative fault: no incarnation check (P3: a freed and reused record is trusted). */
    SKIP_INCARNATION_CHECK("speculative", "validation does not compare the record's incarnation"),
    /** Speculative fault: the entry is not re-read under the PTL (P0/P4: two faults install one page twice). */
    SKIP_PTE_RECHECK("speculative", "validation does not re-read the PTE under the PTL"),
    /** Speculative fault: installs into a table that was unlinked meanwhile (P6: an orphan page). */
    SKIP_TABLE_LINKED_CHECK("speculative", "validation does not check that the leaf table is still linked"),
    /** fork does not make the parent's write sequence odd (P4: the child sees the parent's later write). */
    FORK_WITHOUT_WRITE_SEQ("speculative", "fork write-protects the parent without bumping the write sequence"),
    /**
     * fork makes each area's write sequence even again right after that area's copy, not when the
     * fork ends (P4: a store to an area already copied finishes mid-fork, and a later store to one
     * not yet copied reaches the child without it: no instant of the parent).
     */
    FORK_SEQ_PER_AREA("speculative", "fork releases each area's write sequence right after its copy, not when the fork ends"),
    /**
     * A write fault on a private file page that is mapped read-only (after a read fault) makes the
     * page cache's page writable in place instead of copying it (P4: a private store reaches the
     * file and every other mapping of it; Dirty COW's outcome, CVE-2016-5195).
     */
    PRIVATE_WRITE_TO_PAGE_CACHE("all", "a write fault on a private file page mapped read-only writes the page cache's page instead of copying it"),
    /**
     * The page cache: a fault (or pread) that found no page installs the one it made with a plain
     * store, not a compare-and-set (P4: two that missed one page at once each map their own, and
     * the stores through the replaced one are lost to the file; P6: its cache reference leaks).
     */
    PAGE_CACHE_UNCHECKED_INSERT("all", "a page-cache miss installs its new page without checking that no other was installed meanwhile"),
    /**
     * ftruncate's zap of the pages past the new end leaves the areas' write sequences alone (P4: a
     * speculative fault that got its page before the truncation took it out of the cache installs
     * it after the zap: a page past the end of the file stays mapped, its stores lost to the file).
     * The write sequence stands in for what guards this in Linux, whose {@code unmap_mapping_range}
     * does not write-lock the VMAs: the folio lock a fault holds across {@code finish_fault}, and
     * {@code truncate_pagecache}'s second unmap.
     */
    TRUNCATE_WITHOUT_WRITE_SEQ("speculative", "a truncation zaps the pages past the new end without making the areas' write sequences odd"),
    /**
     * ftruncate zaps only the shared mappings of the file (P4: an access past the end of the file
     * through a private mapping does not get SIGBUS). Broader than {@code unmap_mapping_range}
     * without {@code even_cows}, which still zaps a private mapping's page-cache pages and keeps
     * only its COW copies.
     */
    TRUNCATE_SHARED_ONLY("all", "a truncation zaps the shared mappings of the file but not the private ones"),
    /**
     * The page cache: a miss that read the size before a truncation wrote the new one, and inserts
     * its page after the truncation looked at the slot, keeps it (no second look at the size) (P4: a
     * page past the end stays in the cache; a store that reached it through a mapping before the
     * truncation's zap shows again when the file grows back, where zeros must be).
     */
    PAGE_CACHE_MISS_PAST_END("all", "a page-cache miss that raced a truncation keeps its new page past the new end"),
    /** mprotect that lowers rights does not flush TLBs (P5: a stale writable translation). */
    MPROTECT_SKIP_FLUSH("all", "mprotect lowers the rights of PTEs without flushing TLBs"),
    /** Locked fault: a failed amap upgrade goes on under the shared lock (P4: two promotions of one slot, a lost store). */
    UPGRADE_WITHOUT_RESTART("locked", "a failed amap lock upgrade proceeds under the shared lock instead of restarting"),
    /** Locked exit: purge flushes the PCID/ASID before detaching lazy CPUs (P0/P7: a speculative fill survives). */
    PURGE_FLUSH_BEFORE_DETACH("locked", "purge flushes the TLB tag before switching lazy CPUs away from the space"),
    /** Locked stack growth: uvm_grow reads the mutable stack size before taking the map lock (a lost update). */
    GROW_UNLOCKED_STACK_SIZE("locked", "stack growth reads vm_ssize without the map lock"),
    /**
     * Locked fault: a page-in that unlocked the map installs the page it got without comparing the
     * map's timestamp after relocking ({@code uvmfault_relock}'s check skipped) (P1: a page where
     * munmap took the area away meanwhile; P4: a page past the end of a file that shrank). The
     * second holds here because the emulator's truncation zaps under each space's map lock and
     * bumps its timestamp; UVM's ({@code uvn_flush} with {@code PGO_FREE}) takes no map lock, and
     * its page-in notices a freed page by {@code PG_RELEASED} instead.
     */
    RELOCK_WITHOUT_TIMESTAMP("locked", "a page-in that unlocked the map does not compare the map's timestamp after relocking"),
    /** Locked fault: amap_copy under the shared map lock (P4/P6: two copies of one range, one lost). */
    AMAP_COPY_SHARED_LOCK("locked", "amap_copy runs under the shared map lock instead of the exclusive one");

    private final String design;
    private final String description;

    FaultBug(String design, String description) {
        this.design = design;
        this.description = description;
    }

    /** The design it breaks: speculative, locked, kernel-lock or all. */
    public String design() {
        return design;
    }

    public String description() {
        return description;
    }

    /** The command-line name: lower case, words joined by '-'. */
    public String cliName() {
        return name().toLowerCase().replace('_', '-');
    }
}
