package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.phys.FrameAllocator;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A table page is freed empty ({@link PageTableCheck}): freeTables decides emptiness again under
 * the PTL, so an entry installed after its unlocked look keeps the table linked; and an entry
 * installed into a table after it was unlinked (what a fault without the table-linked check does)
 * is reported when the table is freed, after its grace period.
 */
class PageTableCheckTest {
    static final long VA = 0x7f00_0000_0000L;
    static final long PAGE = 4096;

    private static Machine machine(Arch arch, AtomicReference<Runnable> atUnlink) {
        final PmapHooks hooks = (point, pmap, va) -> {
            if (point.equals(PmapHooks.FREE_TABLES_BEFORE_UNLINK)) {
                atUnlink.getAndSet(() -> { }).run(); // once: the first table of the unmap (the leaf)
            }
        };
        return Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0).hooks(hooks).build();
    }

    /** Installs a fresh page at {@code va} of {@code table} under its PTL, whatever the table's state. */
    private static void installBehindTheWritersBack(Machine m, TestKernel k, long table, long va) {
        final TablePage tp = k.pmap.tablePage(table);
        tp.lock();
        try {
            final long frame = m.frames().alloc(null, FrameAllocator.DATA, true);
            k.pmap.install(table, Arch.index(va, 1), k.pmap.format().leaf(frame, Prot.READ | Prot.WRITE, Prot.YOUNG));
        } finally {
            tp.unlock();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void anEntryInstalledAfterTheUnlockedLookKeepsTheTableLinked(Arch arch) {
        final AtomicReference<Runnable> atUnlink = new AtomicReference<>(() -> { });
        final Machine m = machine(arch, atUnlink);
        final TestKernel k = new TestKernel(m, "S");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(VA, VA + 2 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, VA, 1));
            final long table = k.pmap.leafTable(VA);
            assertTrue(table > 0);
            atUnlink.set(() -> installBehindTheWritersBack(m, k, table, VA + PAGE));
            final int freed = cpus.run(1, () -> k.unmap(VA, VA + 2 * PAGE, m.cpu(1)));
            atUnlink.set(() -> { });
            assertEquals(0, freed, "a table with an entry is not unlinked");
            assertEquals(table, k.pmap.leafTable(VA), "still linked");
            k.domain.barrier();
            assertEquals(0, m.pageTableCheck().count(), m.pageTableCheck().reports()::toString);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Arch.class, names = {"X86_64", "ARM64"})
    void aTableFreedWithAnEntryInItIsReported(Arch arch) {
        for (boolean installAfterUnlink : new boolean[] {false, true}) {
            final Machine m = machine(arch, new AtomicReference<>(() -> { }));
            final TestKernel k = new TestKernel(m, "S");
            try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
                k.map(VA, VA + 2 * PAGE, Prot.READ | Prot.WRITE);
                cpus.switchTo(0, k.pmap);
                assertEquals(AccessResult.OK, cpus.store(0, VA, 1));
                final int tok = k.domain.readLock(); // a fault that walked to the table
                final long table = k.pmap.leafTable(VA);
                assertTrue(cpus.run(1, () -> k.unmap(VA, VA + 2 * PAGE, m.cpu(1))) > 0, "the unmap frees the table");
                assertEquals(TablePage.DETACHED, k.pmap.tablePage(table).state());
                if (installAfterUnlink) {
                    installBehindTheWritersBack(m, k, table, VA + PAGE);
                }
                k.domain.readUnlock(tok);
                k.domain.barrier();
                assertEquals(TablePage.FREE, k.pmap.tablePage(table).state());
                if (installAfterUnlink) {
                    assertEquals(1, m.pageTableCheck().count());
                    assertTrue(m.pageTableCheck().reports().get(0).startsWith("page-table page freed with 1 entries"),
                            m.pageTableCheck().reports()::toString);
                } else {
                    assertEquals(0, m.pageTableCheck().count(), m.pageTableCheck().reports()::toString);
                }
            }
        }
    }
}
