package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CPUs' walk caches (paging-structure caches) and the flushes that must empty them when page
 * tables are freed (P3): x86's INVLPG drops a PCID's whole walk cache, arm64's {@code TLBI VAE1IS}
 * the range's, and a lazy x86 CPU is switched away from a space whose tables are freed. With the
 * seeded bug last-level-tlbi-for-freed-tables, an arm64 CPU walks a freed table again through its
 * walk cache, and the use-after-free check reports it.
 */
class WalkCacheTest {
    static final long BASE = TlbCoherenceTest.BASE;
    static final long PAGE = TlbCoherenceTest.PAGE;

    /**
     * CPU 1 stores to a page (its walk cache now points at the page's tables); CPU 0 unmaps it,
     * which frees every table below the root, and the grace period passes; the page is mapped again
     * and CPU 1 stores to it: through new tables, or through its walk cache into the freed ones.
     * Returns the use-after-free reports.
     */
    private static List<String> remapAfterFreedTables(Arch arch, PmapBug... bugs) {
        return remapAfterFreedTables(arch, false, bugs);
    }

    /**
     * {@code oneFlush}: the unmap flushes once for its pages and tables, as the designs do, so that
     * CPU 1 catches up with one ranged flush (x86: INVLPG) instead of a full one.
     */
    private static List<String> remapAfterFreedTables(Arch arch, boolean oneFlush, PmapBug... bugs) {
        return remapAfterFreedTables(arch, BASE, oneFlush, bugs);
    }

    /** {@code base}: the first of the four pages (BASE elsewhere, on a 512 GiB boundary). */
    private static List<String> remapAfterFreedTables(Arch arch, long base, boolean oneFlush, PmapBug... bugs) {
        final Machine m = TlbCoherenceTest.machine(arch, bugs);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(base, base + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(1, base, 1));
            assertEquals(arch.levels() - 1, cpus.run(1, () -> m.cpu(1).walkCache().size()),
                    "the walk cached one entry per level above the leaf");
            final int freed = cpus.run(0, () -> oneFlush ? k.unmapOneFlush(base, base + 4 * PAGE, null)
                    : k.unmap(base, base + 4 * PAGE, m.cpu(0)));
            assertEquals(arch.levels() - 1, freed, "every table below the root is freed");
            k.domain.barrier();
            assertEquals(0, m.useAfterFree().count(), m.useAfterFree().reports().toString());
            // The quiet-state P0 check sees a stale walk-cache entry before any walk uses it.
            final List<String> p0 = m.checkTlbs();
            final boolean stale = arch == Arch.ARM64 && List.of(bugs).contains(PmapBug.LAST_LEVEL_TLBI_FOR_FREED_TABLES);
            assertEquals(stale, !p0.isEmpty(), p0.toString());
            assertTrue(p0.stream().allMatch(l -> l.startsWith("P0: cpu1 walk-cache entry tag ")), p0.toString());
            k.map(base, base + 4 * PAGE, Prot.READ | Prot.WRITE);
            // CPU 0 faults the page in again: new tables (maybe in the freed frames).
            assertEquals(AccessResult.OK, cpus.store(0, base + PAGE, 2));
            assertEquals(AccessResult.OK, cpus.store(1, base, 3));
            assertEquals(3, cpus.loadValue(0, base), "both CPUs see the same page");
            assertEquals(2, cpus.loadValue(1, base + PAGE));
            return m.useAfterFree().reports();
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void aFlushThatFreesTablesEmptiesTheWalkCaches(Arch arch) {
        assertEquals(List.of(), remapAfterFreedTables(arch));
    }

    @Test
    void seededLastLevelTlbiForFreedTablesIsCaughtOnArm64() {
        final List<String> r = remapAfterFreedTables(Arch.ARM64, PmapBug.LAST_LEVEL_TLBI_FOR_FREED_TABLES);
        assertFalse(r.isEmpty(), "CPU 1 walked a freed table through its walk cache");
        assertTrue(r.get(0).startsWith("hardware walk through a freed page-table page: cpu1's walk cache"), r.get(0));
    }

    /**
     * One flush for the pages and the tables (the designs' mmu_gather): CPU 1 catches up with a
     * ranged flush, whose INVLPG on x86 must drop the PCID's whole walk cache, and whose arm64 TLBI
     * covers every level of the range. Found in review: on x86 only the full flush's path was tested.
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void aRangedFlushThatFreesTablesEmptiesTheWalkCaches(Arch arch) {
        assertEquals(List.of(), remapAfterFreedTables(arch, true));
    }

    /**
     * The freed tables' range starts inside the span of every entry CPU 1 caches for it (8 pages
     * into a 2 MiB leaf table's span, not on a 512 GiB boundary as BASE is): arm64's TLBI VAE1IS
     * over the range must drop each walk-cache entry whose span overlaps the range, not only those
     * whose span starts in it. Found by mutation testing (2026-11-30): every unmap here started on
     * the boundary, so an overlap test that looked at an entry's first page only went unseen.
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void aFlushThatFreesTablesEmptiesWalkCacheEntriesThatStartBeforeItsRange(Arch arch) {
        assertEquals(List.of(), remapAfterFreedTables(arch, BASE + 8 * PAGE, true));
        assertEquals(List.of(), remapAfterFreedTables(arch, BASE + 8 * PAGE, false));
    }

    /**
     * The quiet-state P0 check reports a stale walk-cache entry whose page-table page has been
     * handed out again as a table (a new incarnation), not only one whose frame is still free: with
     * last-level-tlbi-for-freed-tables CPU 1 keeps its entries to the three freed tables, and a new
     * space's root takes the frame freed last. Found by mutation testing (2026-11-30): a check of
     * the FREE state alone passed every test, each of which looked before the frames were reused.
     */
    @Test
    void p0ReportsAStaleWalkCacheEntryWhoseTableWasReusedAsATable() {
        final Machine m = TlbCoherenceTest.machine(Arch.ARM64, PmapBug.LAST_LEVEL_TLBI_FOR_FREED_TABLES);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(1, BASE, 1));
            assertEquals(3, cpus.run(0, () -> k.unmapOneFlush(BASE, BASE + 4 * PAGE, null)));
            k.domain.barrier();
            assertEquals(3, m.checkTlbs().size(), "one stale entry per freed table: " + m.checkTlbs());
            final TestKernel other = new TestKernel(m, "other"); // its root: the frame freed last
            final List<Long> cached = new java.util.ArrayList<>();
            m.cpu(1).walkCache().forEach((tag, level, first, end, table, inc) -> cached.add(table));
            assertTrue(cached.contains(other.pmap.root()), "a freed table's frame is the new root: " + cached);
            final List<String> p0 = m.checkTlbs();
            assertEquals(3, p0.size(), p0.toString());
            assertTrue(p0.stream().anyMatch(l -> l.contains("page-table page 0x" + Long.toHexString(other.pmap.root()) + " ")),
                    p0.toString());
        }
    }

    /**
     * x86: a page fault drops the walk-cache entries of its address (SDM §4.10.4.1). CPU 0's walk
     * cache holds the tables of BASE; a load from an unmapped page beside it faults; an upper-level
     * entry then goes from memory (a test's hand, no flush) and BASE leaves the TLB only: the next
     * walk starts from the root and faults BASE in anew, instead of reaching the old leaf through
     * the cache. Found by mutation testing (2026-11-30): without the drop no test failed.
     */
    @Test
    void anX86PageFaultDropsTheWalkCacheEntriesOfItsAddress() {
        final Machine m = TlbCoherenceTest.machine(Arch.X86_64);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 41));
            assertEquals(3, cpus.run(0, () -> m.cpu(0).walkCache().size()));
            assertEquals(AccessResult.SIGSEGV, cpus.load(0, BASE + PAGE), "no area there");
            m.memory().getAndSet(k.pmap.root(), Arch.index(BASE, 4), 0);
            cpus.run(0, () -> m.cpu(0).tlb().invalidatePage(m.cpu(0).tag(), BASE >>> 12));
            assertEquals(0, cpus.loadValue(0, BASE), "from the root: a fault and a new zero page");
        }
    }

    /**
     * x86: a CPU that was lazy on a space and switches back to it runs it again, no longer lazy:
     * a flush that frees tables (CPU 0 unmaps the first of two areas) leaves it on the space, and
     * its next access of the second area works; a CPU still taken for lazy would have been switched
     * to the kernel's space under its running thread. Found by mutation testing (2026-11-30): with
     * the lazy flag left set by switchTo, no test failed.
     */
    @Test
    void aCpuThatSwitchesBackFromLazyModeIsNotSwitchedAwayByAFlush() {
        final Machine m = TlbCoherenceTest.machine(Arch.X86_64);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            twoAreasTouchedByCpu1(k, cpus);
            cpus.run(1, () -> {
                m.cpu(1).enterLazy();
                return null;
            });
            cpus.switchTo(1, k.pmap);
            assertEquals(1, cpus.run(0, () -> k.unmapOneFlush(BASE, BASE + 4 * PAGE, null)));
            assertSame(k.pmap, m.cpu(1).loadedOpaque(), "a CPU running the space stays on it");
            assertEquals(1, cpus.loadValue(1, BASE + 1024 * PAGE));
            assertEquals(AccessResult.SIGSEGV, cpus.load(1, BASE));
        }
    }

    /**
     * A CPU that holds walk-cache entries of a space whose tables were freed, and that has not run
     * an access since (its flush IPI not yet run here), speculates (lazy, or idle): x86's INVLPG of
     * that IPI has emptied its walk cache before the tables could be freed, so the speculative walk
     * goes from the root. Found in review: it walked the freed table.
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void aSpeculativeWalkAfterTablesWereFreedDoesNotUseTheOldWalkCache(Arch arch) {
        for (boolean lazy : new boolean[] {false, true}) {
            final Machine m = TlbCoherenceTest.machine(arch);
            final TestKernel k = new TestKernel(m, "space");
            try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
                twoAreasTouchedByCpu1(k, cpus);
                assertEquals(1, cpus.run(0, () -> k.unmapOneFlush(BASE, BASE + 4 * PAGE, null)));
                k.domain.barrier();
                final boolean filled = cpus.run(1, () -> {
                    if (lazy) {
                        m.cpu(1).enterLazy();
                    }
                    return m.cpu(1).speculate(BASE);
                });
                assertFalse(filled, "nothing is mapped there");
                assertEquals(List.of(), m.useAfterFree().reports(), lazy ? "lazy" : "idle");
            }
        }
    }

    /**
     * Two areas in two leaf tables of one level-2 table, both CPUs on the space, CPU 1's walk cache
     * holding both: unmapping the first frees its leaf table only.
     */
    private static void twoAreasTouchedByCpu1(TestKernel k, TestKernel.CpuThreads cpus) {
        k.map(BASE, BASE + 4 * PAGE, Prot.READ | Prot.WRITE);
        k.map(BASE + 1024 * PAGE, BASE + 1028 * PAGE, Prot.READ | Prot.WRITE);
        cpus.switchTo(0, k.pmap);
        cpus.switchTo(1, k.pmap);
        assertEquals(AccessResult.OK, cpus.store(1, BASE, 1));
        assertEquals(AccessResult.OK, cpus.store(1, BASE + 1024 * PAGE, 1));
    }

    /**
     * A walk starts from the walk cache: with the page's tables cached, changing an upper-level entry
     * in memory does not change where the next walk (after a TLB flush of the page only) goes.
     * arm64, whose last-level TLBI leaves the walk cache alone.
     */
    @Test
    void aWalkStartsBelowTheCachedEntries() {
        final Machine m = TlbCoherenceTest.machine(Arch.ARM64);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 2 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 41));
            assertEquals(AccessResult.OK, cpus.store(0, BASE + PAGE, 42));
            final long l0 = k.pmap.root();
            final int i0 = Arch.index(BASE, 4);
            m.memory().getAndSet(l0, i0, 0); // the level-0 entry gone (no flush: a test's hand)
            k.pmap.flushRange(BASE, BASE + PAGE, false, null); // last level only
            assertEquals(41, cpus.loadValue(0, BASE), "walked from the cached level-2 entry, not from the root");
            cpus.run(0, () -> {
                m.cpu(0).walkCache().invalidateAll();
                return null;
            });
            k.pmap.flushRange(BASE, BASE + PAGE, false, null);
            assertEquals(0, cpus.loadValue(0, BASE), "from the root: no level-0 entry, so a fault and a new zero page");
        }
    }

    /**
     * x86: a flush that frees tables switches a CPU that is lazy on the space to the kernel's
     * space (flush_tlb_func), so its speculative walks cannot reach the freed tables; a flush that
     * frees none leaves it lazy on the space.
     */
    @Test
    void aLazyX86CpuIsSwitchedAwayWhenTablesAreFreed() {
        assertEquals(List.of(), lazyCpuSpeculatesAfterTablesAreFreed());
    }

    /**
     * With the seeded bug lazy-cpus-skipped-for-freed-tables, the lazy CPU stays on the space: the
     * quiet-state P0 check finds its walk-cache entry to the freed leaf table, and its next
     * speculative walk goes through that table (P3).
     */
    @Test
    void seededLazyCpusSkippedForFreedTablesIsCaughtOnX86() {
        final List<String> r = lazyCpuSpeculatesAfterTablesAreFreed(PmapBug.LAZY_CPUS_SKIPPED_FOR_FREED_TABLES);
        assertFalse(r.isEmpty(), "the lazy CPU walked the freed table through its walk cache");
        assertTrue(r.get(0).startsWith("hardware walk through a freed page-table page: cpu1's walk cache"), r.get(0));
    }

    /**
     * A CPU that entered lazy mode while a flush that frees tables was on its way to it runs that
     * flush first (its IPI): its walk cache does not survive into lazy mode, where no flush that
     * frees nothing would empty it.
     */
    @Test
    void aCpuEnteringLazyModeRunsTheFlushesAimedAtIt() {
        final Machine m = TlbCoherenceTest.machine(Arch.X86_64);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            twoAreasTouchedByCpu1(k, cpus);
            assertEquals(1, cpus.run(0, () -> k.unmapOneFlush(BASE, BASE + 4 * PAGE, null)));
            k.domain.barrier();
            cpus.run(1, () -> {
                m.cpu(1).enterLazy();
                return null;
            });
            assertSame(k.pmap, m.cpu(1).loadedOpaque(), "the flush came before the CPU was lazy: it stays");
            assertEquals(List.of(), m.checkTlbs());
            assertFalse(cpus.run(1, () -> m.cpu(1).speculate(BASE)));
            assertEquals(List.of(), m.useAfterFree().reports());
        }
    }

    /**
     * A CPU that switches to a space whose teardown has begun (it looked before the stop, the
     * teardown's detach passed it by) runs the kernel's space instead: it never loads a dying
     * space's tables for its speculative walks. Found in review (2026-11-30).
     */
    @ParameterizedTest
    @EnumSource(Arch.class)
    void aCpuNeverLoadsASpaceBeingTornDown(Arch arch) {
        final Machine m = TlbCoherenceTest.machine(arch);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 1));
            cpus.run(0, () -> {
                k.exit(m.cpu(0));
                return null;
            });
            cpus.switchTo(1, k.pmap);
            assertSame(m.initPmap(), m.cpu(1).loadedOpaque(), "the kernel's space, not the dying one");
            assertEquals(0, m.asidContext(k.pmap), "no ASID allocated for it (arm64; it would never be released)");
            k.domain.barrier();
            assertFalse(cpus.run(1, () -> m.cpu(1).speculate(BASE)));
            assertEquals(List.of(), m.useAfterFree().reports());
            assertEquals(List.of(), m.checkTlbs());
        }
    }

    /**
     * CPU 1 goes lazy on the space with two leaf tables in its walk cache; a flush that frees no
     * table leaves it there; an unmap frees the first leaf table and the grace period passes; the
     * quiet-state P0 check runs, CPU 1 speculates on the freed range, then runs the space again.
     * Returns the use-after-free reports, having checked the P0 report is there exactly with the bug.
     */
    private static List<String> lazyCpuSpeculatesAfterTablesAreFreed(PmapBug... bugs) {
        final Machine m = TlbCoherenceTest.machine(Arch.X86_64, bugs);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            twoAreasTouchedByCpu1(k, cpus);
            cpus.run(1, () -> {
                m.cpu(1).enterLazy();
                return null;
            });
            cpus.run(0, () -> {
                k.writeProtect(BASE, BASE + 4 * PAGE, m.cpu(0));
                return null;
            });
            assertSame(k.pmap, m.cpu(1).loadedOpaque(), "no table freed: the lazy CPU keeps the space");
            final boolean bug = List.of(bugs).contains(PmapBug.LAZY_CPUS_SKIPPED_FOR_FREED_TABLES);
            final int freed = cpus.run(0, () -> k.unmapOneFlush(BASE, BASE + 4 * PAGE, null));
            assertEquals(1, freed, "the first leaf table");
            if (bug) {
                assertSame(k.pmap, m.cpu(1).loadedOpaque(), "seeded bug: no IPI, still lazy on the space");
            } else {
                assertNotSame(k.pmap, m.cpu(1).loadedOpaque(), "switched to the kernel's space");
            }
            k.domain.barrier();
            assertEquals(0, m.useAfterFree().count(), m.useAfterFree().reports().toString());
            final List<String> p0 = m.checkTlbs();
            assertEquals(bug, !p0.isEmpty(), p0.toString());
            assertTrue(p0.stream().allMatch(l -> l.startsWith("P0: cpu1 walk-cache entry tag ")), p0.toString());
            for (int i = 0; i < 4; i++) {
                final long va = BASE + i * PAGE;
                cpus.run(1, () -> m.cpu(1).speculate(va));
            }
            cpus.switchTo(1, k.pmap);
            assertEquals(1, cpus.loadValue(1, BASE + 1024 * PAGE));
            assertEquals(AccessResult.SIGSEGV, cpus.load(1, BASE));
            return m.useAfterFree().reports();
        }
    }
}
