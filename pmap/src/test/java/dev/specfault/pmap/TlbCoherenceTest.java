package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.phys.FrameAllocator;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLB coherence (P0, P5): after an unmap or a downgrade returns, no CPU translates the old entry;
 * with the seeded bug skip-shootdown, another CPU keeps using its stale translation, and P0's
 * checker sees it.
 */
class TlbCoherenceTest {
    static final long BASE = 0x7f00_0000_0000L;
    static final long PAGE = 4096;

    static Machine machine(Arch arch, PmapBug... bugs) {
        final EnumSet<PmapBug> set = EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        return Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0).bugs(set).build();
    }

    /** CPU 1 has written 16 pages (so its TLB holds them); CPU 0 unmaps the first 8. */
    private static boolean staleAfterUnmap(Arch arch, PmapBug... bugs) {
        final Machine m = machine(arch, bugs);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 16 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            for (int i = 0; i < 16; i++) {
                assertEquals(AccessResult.OK, cpus.store(1, BASE + i * PAGE, 1000 + i));
            }
            cpus.run(0, () -> k.unmap(BASE, BASE + 8 * PAGE, m.cpu(0)));
            final List<String> p0 = m.checkTlbs();
            int stale = 0;
            for (int i = 0; i < 8; i++) {
                if (cpus.load(1, BASE + i * PAGE) == AccessResult.OK) {
                    stale++;
                }
            }
            for (int i = 8; i < 16; i++) {
                assertEquals(1000 + i, cpus.loadValue(1, BASE + i * PAGE), "the rest stays mapped");
            }
            assertEquals(stale == 0, p0.isEmpty(), "P0 checker and the observed stale loads agree: " + p0);
            return stale > 0;
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void afterUnmapNoCpuTranslatesTheOldEntries(Arch arch) {
        assertFalse(staleAfterUnmap(arch), "every CPU faults on the unmapped pages");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededSkipShootdownIsCaughtAfterUnmap(Arch arch) {
        assertTrue(staleAfterUnmap(arch, PmapBug.SKIP_SHOOTDOWN),
                "a CPU loaded through a translation of an unmapped, freed page");
    }

    /**
     * arm64 with 2-bit ASIDs: CPU 0 runs space A and holds a page's translation; CPU 1 goes through
     * enough spaces to roll the ASIDs over, which leaves a full flush pending on CPU 0 for its next
     * switch. Until then CPU 0 keeps running A under its reserved ASID and uses those entries, so
     * the P0 checker must still look at them: with skip-shootdown, CPU 1's unmap leaves CPU 0's entry
     * to a freed frame, and CPU 0 loads the poison through it. Found in review: the checker took a
     * CPU with a pending flush as having no usable entry at all.
     */
    @org.junit.jupiter.api.Test
    void aCpuWithAFlushPendingAfterARolloverStillUsesItsEntries() {
        final Machine m = Machine.builder(Arch.ARM64).cpus(2).frameLimit(4096).prefetchPercent(0).asidBits(2)
                .bugs(EnumSet.of(PmapBug.SKIP_SHOOTDOWN)).build();
        final TestKernel a = new TestKernel(m, "A");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            a.map(BASE, BASE + 2 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, a.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 77));
            final long before = ((dev.specfault.pmap.arm64.Arm64Broadcast) m.coherence()).rollovers();
            for (int i = 0; i < 4; i++) {
                final TestKernel s = new TestKernel(m, "S" + i);
                s.map(BASE, BASE + PAGE, Prot.READ);
                cpus.switchTo(1, s.pmap);
            }
            assertTrue(((dev.specfault.pmap.arm64.Arm64Broadcast) m.coherence()).rollovers() > before, "rolled over");
            cpus.switchTo(1, a.pmap);
            cpus.run(1, () -> a.unmap(BASE, BASE + PAGE, m.cpu(1))); // a local TLBI only (the seeded bug)
            final List<String> p0 = m.checkTlbs();
            assertEquals(AccessResult.OK, cpus.load(0, BASE), "CPU 0 still translates the unmapped page");
            assertFalse(p0.isEmpty(), "the P0 checker sees CPU 0's entry to the freed frame");
        }
    }

    /**
     * arm64 with 2-bit ASIDs: CPU 0 runs space A (ASID 1), writes a page and goes idle in the
     * kernel's space, keeping A's entries. CPU 1 runs spaces until the ASIDs roll over, and the
     * third takes ASID 1 of the new generation. CPU 0, which had no ASID active at the rollover,
     * switches to that space: it must flush first (the slow path), not load the current-generation
     * id by the fast path's CAS, or it reads A's page through A's old entry. Found by mutation
     * testing (2026-11-30): a fast path that took an inactive CPU too passed every test.
     */
    @org.junit.jupiter.api.Test
    void aCpuIdleThroughARolloverFlushesBeforeRunningASpaceThatGotAnOldAsid() {
        final Machine m = Machine.builder(Arch.ARM64).cpus(2).frameLimit(4096).prefetchPercent(0).asidBits(2).build();
        final TestKernel a = new TestKernel(m, "A");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            a.map(BASE, BASE + PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, a.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, BASE, 77));
            cpus.switchTo(0, m.initPmap());
            TestKernel s = null;
            for (int i = 0; i < 3; i++) {
                s = new TestKernel(m, "S" + i);
                s.map(BASE, BASE + PAGE, Prot.READ | Prot.WRITE);
                cpus.switchTo(1, s.pmap);
                final long v = 100 + i;
                assertEquals(AccessResult.OK, cpus.store(1, BASE, v));
            }
            assertEquals(1, ((dev.specfault.pmap.arm64.Arm64Broadcast) m.coherence()).rollovers(), "rolled over");
            assertEquals(m.asidContext(a.pmap) & 3, m.asidContext(s.pmap) & 3, "the last space took A's ASID");
            cpus.switchTo(0, s.pmap);
            assertEquals(102, cpus.loadValue(0, BASE), "CPU 0 reads the space's own page, not A's");
            assertEquals(List.of(), m.checkTlbs());
        }
    }

    /**
     * arm64: the broadcast posts its TLBI to every CPU before it waits for their accesses to end
     * (TLBI, then DSB ISH). CPU 1 holds the page's translation; while CPU 0's unmap stands between
     * the post and the wait, CPU 1 loads the page: the access must miss (and its fault then waits
     * for the unmap, which holds the test kernel's lock). Found by mutation testing: with the wait
     * first and the post after it, an access that began in between kept the stale entry past the
     * flush, and no default-run test saw it.
     */
    @org.junit.jupiter.api.Test
    void anAccessAfterTheTlbiIsPostedMisses() throws Exception {
        final java.util.concurrent.atomic.AtomicReference<TestKernel.CpuThreads> threads =
                new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.Future<Integer>> access =
                new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<Thread> cpu1 = new java.util.concurrent.atomic.AtomicReference<>();
        final java.util.concurrent.atomic.AtomicReference<Machine> machineOf = new java.util.concurrent.atomic.AtomicReference<>();
        final Machine m = Machine.builder(Arch.ARM64).cpus(2).frameLimit(4096).prefetchPercent(0)
                .hooks((point, pmap, va) -> {
                    if (!point.equals(PmapHooks.BROADCAST_POSTED) || va != BASE || access.get() != null) {
                        return;
                    }
                    final java.util.concurrent.Future<Integer> f = threads.get().submit(1, () -> {
                        cpu1.set(Thread.currentThread());
                        return machineOf.get().cpu(1).load(BASE);
                    });
                    access.set(f);
                    // Until the access is over (a hit through the old entry) or it missed and its
                    // fault waits for the kernel's lock, which this unmap holds.
                    final long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                    while (!f.isDone() && (cpu1.get() == null || cpu1.get().getState() != Thread.State.BLOCKED)) {
                        assertTrue(System.nanoTime() < end, "CPU 1's access neither ended nor faulted");
                        Thread.onSpinWait();
                    }
                }).build();
        machineOf.set(m);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            threads.set(cpus);
            k.map(BASE, BASE + 2 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(1, BASE, 5)); // CPU 1's TLB holds the translation
            cpus.run(0, () -> k.unmap(BASE, BASE + PAGE, m.cpu(0)));
            assertTrue(access.get() != null, "the broadcast's hook ran");
            final int r = access.get().get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(r != AccessResult.OK, "CPU 1's access between the TLBI and the DSB used the old entry");
            assertEquals(List.of(), m.checkTlbs());
        }
    }

    /** P5: after a downgrade to read-only returns, no CPU writes through a stale writable entry. */
    private static boolean writeAfterDowngrade(Arch arch, PmapBug... bugs) {
        final Machine m = machine(arch, bugs);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            cpus.switchTo(1, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(1, BASE, 7)); // a writable, dirty TLB entry
            cpus.run(0, () -> {
                k.writeProtect(BASE, BASE + 4 * PAGE, m.cpu(0));
                return null;
            });
            final int r = cpus.store(1, BASE, 8);
            assertEquals(7, r == AccessResult.OK ? 7 : cpus.loadValue(1, BASE), "the old value stays");
            return r == AccessResult.OK;
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void afterDowngradeNoCpuWritesThroughAStaleEntry(Arch arch) {
        assertFalse(writeAfterDowngrade(arch), "the store faults and is refused");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededSkipShootdownIsCaughtAfterDowngrade(Arch arch) {
        assertTrue(writeAfterDowngrade(arch, PmapBug.SKIP_SHOOTDOWN), "a store went through a stale writable entry");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void flushesAreCountedAndMissingTablesAreFreed(Arch arch) {
        final Machine m = machine(arch);
        final TestKernel k = new TestKernel(m, "space");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(BASE, BASE + 1024 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            for (int i = 0; i < 1024; i += 64) {
                assertEquals(AccessResult.OK, cpus.store(0, BASE + i * PAGE, i));
            }
            final int tablesBefore = k.pmap.tableCount();
            assertTrue(tablesBefore >= arch.levels() + 1, "root, upper levels and two leaf tables: " + tablesBefore);
            final long inUse = m.frames().inUse();
            final int freed = cpus.run(0, () -> k.unmap(BASE, BASE + 1024 * PAGE, m.cpu(0)));
            assertEquals(tablesBefore - 1, freed, "every table but the root is freed when nothing else is mapped");
            k.domain.barrier(); // the grace period that lets them go back to the allocator
            assertEquals(1, k.pmap.tableCount());
            assertEquals(inUse - 16 - freed, m.frames().inUse(), "data frames and table pages are back");
            assertTrue(k.pmap.stats().flushes() >= 2);
            assertEquals(FrameAllocator.TABLE, m.frames().kind(k.pmap.root()));
        }
    }
}
