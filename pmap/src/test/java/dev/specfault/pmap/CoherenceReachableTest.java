package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * The checkers' model of a CPU's pending flushes ({@link TlbCoherence#reachable}) against what the
 * CPU does: an entry it calls reachable must be one the CPU's catch-up keeps, or the quiet-state
 * checks (P0, and the spaces' TLB coverage) report a stale entry the CPU can never use.
 */
class CoherenceReachableTest {
    static final long BASE = 0x7f00_0000_0000L;
    static final long PAGE = 4096;

    /**
     * A fault's flush of one page starts at the faulting address, not at its page (a COW break at
     * BASE + 0x18: Pmap.replace, the locked design's fault). x86's catch-up of a CPU one generation
     * behind rounds that range out to pages and drops BASE's entry; reachable() compared BASE's
     * address with the unrounded range and said the entry survives (found by the long profile's
     * FileMappingStressTest, 2026-11-30: a flaky P1 in every design). The faults now flush from
     * their page ({@link Pmap#flushRange} asserts whole pages); the coherence layer still takes any
     * range, as INVLPG takes any address in the page, and the checker must follow it.
     */
    @Test
    void anUnalignedFlushOneGenerationBehindIsRoundedOutToPages() {
        final Machine m = Machine.builder(Arch.X86_64).cpus(2).frameLimit(4096).prefetchPercent(0).build();
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 2 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 1)); // cpu0 caches BASE's translation
            final int tag = cpus.run(0, () -> m.cpu(0).tag());
            cpus.run(1, () -> {
                m.coherence().flushRange(k.pmap, BASE + 0x18, BASE + 0x18 + PAGE, false, m.cpu(1));
                return null;
            });
            final boolean checker = m.coherence().reachable(m.cpu(0), tag, BASE >>> 12);
            final long walks = cpus.run(0, () -> m.cpu(0).stats().walks());
            assertEquals(AccessResult.OK, cpus.load(0, BASE));
            final boolean used = cpus.run(0, () -> m.cpu(0).stats().walks()) == walks; // a TLB hit
            assertFalse(used, "the catch-up drops BASE's entry (the range rounded out to pages)");
            assertEquals(used, checker, "reachable() says " + checker + ", the CPU's catch-up "
                    + (used ? "kept" : "dropped") + " the entry");
        }
    }
}
