package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.srcu.pool.UseAfterFreeLog;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Deterministic scenarios, each with a test hook that runs another CPU at the exact point between
 * two steps of the kernel side:
 * <ul>
 *   <li>teardown order (P0, P7): a lazy CPU that still points at an exiting space speculatively
 *   fills an entry between two teardown steps;</li>
 *   <li>a zap racing a hardware dirty-bit update (P4);</li>
 *   <li>a table page freed under a software walker (P3);</li>
 *   <li>a PCID/ASID reused without its flush (P7).</li>
 * </ul>
 */
class TeardownAndReuseTest {
    static final long VA = 0x7f00_0000_0000L;
    static final long PAGE = 4096;
    static final long SECRET = 0x5ec7e7L;

    /**
     * Space S runs on CPU 0, writes SECRET, and CPU 0 goes lazy (a kernel thread: root register
     * still on S). CPU 1 tears S down; at the hook between two teardown steps CPU 0 speculates on
     * VA. Then space T, on CPU 0, maps VA fresh and loads it.
     *
     * @return whether T's first access of VA used a translation T never created (it did not fault),
     *         after asserting that P0's checker saw the surviving entry exactly then
     */
    private static boolean exitWithSpeculatingLazyCpu(Arch arch, PmapBug... bugs) {
        final AtomicReference<Runnable> atHook = new AtomicReference<>(() -> { });
        final EnumSet<PmapBug> set = EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        final PmapHooks hooks = (point, pmap, va) -> {
            if (point.equals(PmapHooks.TEARDOWN_BETWEEN_FLUSH_AND_DETACH)
                    || point.equals(PmapHooks.TEARDOWN_BETWEEN_DETACH_AND_FLUSH)) {
                atHook.get().run();
            }
        };
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0).bugs(set).hooks(hooks).build();
        final TestKernel s = new TestKernel(m, "S");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            s.map(VA, VA + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, s.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, VA, SECRET));
            final boolean[] filled = new boolean[1];
            cpus.run(0, () -> {
                final Cpu c = m.cpu(0);
                c.tlb().invalidateAll(); // the entry comes back only by speculation
                c.enterLazy();
                return null;
            });
            atHook.set(() -> filled[0] = cpus.submitAndWait(0, () -> m.cpu(0).speculate(VA)));
            cpus.run(1, () -> {
                s.exit(m.cpu(1));
                return null;
            });
            atHook.set(() -> { });
            final List<String> p0 = m.checkTlbs();
            final TestKernel t = new TestKernel(m, "T");
            t.map(VA, VA + 4 * PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, t.pmap);
            final long faultsBefore = m.cpu(0).stats().faults();
            assertEquals(AccessResult.OK, cpus.load(0, VA));
            final boolean stale = m.cpu(0).stats().faults() == faultsBefore;
            assertEquals(filled[0], !p0.isEmpty(), "a speculative fill of S survived exactly when P0 sees it: " + p0);
            assertEquals(filled[0], stale, "T used S's entry exactly when one survived");
            return stale;
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void teardownDetachesBeforeItFlushesSoNoSpeculativeFillSurvives(Arch arch) {
        assertFalse(exitWithSpeculatingLazyCpu(arch), "T faults in its own zero page");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededFlushBeforeDetachIsCaught(Arch arch) {
        assertTrue(exitWithSpeculatingLazyCpu(arch, PmapBug.FLUSH_BEFORE_DETACH),
                "T's load hit the entry S's lazy CPU refilled after the flush, into S's freed frame");
    }

    /**
     * CPU 0 reads the page (a clean entry is installed), CPU 1 zaps it; at the zap's hook CPU 0
     * stores, which makes the hardware set the dirty state. Returns whether the zap reported dirty.
     */
    private static boolean zapRacingAStore(Arch arch, PmapBug... bugs) {
        final AtomicReference<Runnable> atHook = new AtomicReference<>(() -> { });
        final EnumSet<PmapBug> set = EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0).bugs(set)
                .hooks((point, pmap, va) -> {
                    if (point.equals(PmapHooks.ZAP_AFTER_READ)) {
                        atHook.get().run();
                    }
                }).build();
        final TestKernel k = new TestKernel(m, "S");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(VA, VA + PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.load(0, VA));
            final int[] storeResult = {-1};
            final boolean bugged = bugs.length > 0;
            if (!bugged) {
                // Without the bug there is no window: the store comes before the get-and-clear.
                storeResult[0] = cpus.store(0, VA, 42);
            } else {
                atHook.set(() -> storeResult[0] = cpus.submitAndWait(0, () -> m.cpu(0).store(VA, 42)));
            }
            final List<Long> olds = new ArrayList<>();
            cpus.run(1, () -> k.pmap.zapRange(VA, VA + PAGE, (va, old) -> olds.add(old)));
            assertEquals(AccessResult.OK, storeResult[0], "the store went through before the entry was cleared");
            assertEquals(1, olds.size());
            return k.pmap.format().dirty(olds.get(0));
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void zapKeepsADirtyBitTheHardwareSetConcurrently(Arch arch) {
        assertTrue(zapRacingAStore(arch), "the zap's old entry is dirty");
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededZapPlainWriteIsCaught(Arch arch) {
        assertFalse(zapRacingAStore(arch, PmapBug.ZAP_PLAIN_WRITE), "the dirty bit set between read and write is lost");
    }

    /**
     * A software walker finds the leaf table in an SRCU read section; another thread unmaps the
     * range, which frees the table. Returns whether the walker's later validation passed.
     */
    private static boolean walkerOutlivesTableFree(Arch arch, PmapBug... bugs) {
        final EnumSet<PmapBug> set = EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        final UseAfterFreeLog uaf = new UseAfterFreeLog();
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).bugs(set).useAfterFree(uaf).build();
        final TestKernel k = new TestKernel(m, "S");
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            k.map(VA, VA + PAGE, Prot.READ | Prot.WRITE);
            cpus.switchTo(0, k.pmap);
            assertEquals(AccessResult.OK, cpus.store(0, VA, 1));
            final int tok = k.domain.readLock();
            final long table = k.pmap.leafTable(VA);
            assertTrue(table > 0);
            final long inc = k.pmap.tablePage(table).incarnation();
            final int freed = cpus.run(1, () -> k.unmap(VA, VA + PAGE, m.cpu(1)));
            assertTrue(freed > 0, "the unmap freed the walker's table");
            final boolean valid = k.pmap.validateTable(table, inc);
            k.domain.readUnlock(tok);
            k.domain.barrier();
            assertEquals(TablePage.FREE, k.pmap.tablePage(table).state(), "freed after the grace period");
            assertEquals(valid ? 0 : 1, uaf.count());
            return valid;
        }
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void aTablePageOutlivesEveryWalkerThatFoundIt(Arch arch) {
        assertTrue(walkerOutlivesTableFree(arch));
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededTableFreeWithoutGracePeriodIsCaught(Arch arch) {
        assertFalse(walkerOutlivesTableFree(arch, PmapBug.TABLE_FREE_NO_GRACE));
    }

    /**
     * One CPU runs more spaces than it has tags (x86: 2 PCID slots; arm64: 2-bit ASIDs, so 3 usable
     * and a rollover), each writing its own mark at the same VA. Returns whether any space read
     * another's mark (P7).
     */
    private static boolean crossSpaceRead(Arch arch, PmapBug... bugs) {
        final EnumSet<PmapBug> set = EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        final Machine m = Machine.builder(arch).cpus(1).frameLimit(4096).pcidSlots(2).asidBits(2)
                .prefetchPercent(0).bugs(set).build();
        final List<TestKernel> spaces = new ArrayList<>();
        final AtomicBoolean leaked = new AtomicBoolean();
        try (TestKernel.CpuThreads cpus = new TestKernel.CpuThreads(m)) {
            for (int i = 0; i < 6; i++) {
                final TestKernel k = new TestKernel(m, "S" + i);
                k.map(VA, VA + PAGE, Prot.READ | Prot.WRITE);
                spaces.add(k);
                cpus.switchTo(0, k.pmap);
                if (cpus.load(0, VA) == AccessResult.OK && m.cpu(0).value() != 0) {
                    leaked.set(true); // a fresh space must read zero
                }
                assertEquals(AccessResult.OK, cpus.store(0, VA, 0x100 + i));
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < spaces.size(); i++) {
                    cpus.switchTo(0, spaces.get(i).pmap);
                    if (cpus.loadValue(0, VA) != 0x100 + i) {
                        leaked.set(true);
                    }
                }
            }
            assertTrue(m.frames().inUse() > 6, "pages in use");
            assertTrue(m.frames().kind(spaces.get(0).pmap.root()) == FrameAllocator.TABLE);
        }
        return leaked.get();
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void recycledTagsNeverHitStaleEntries(Arch arch) {
        assertFalse(crossSpaceRead(arch));
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void seededTagReuseWithoutFlushIsCaught(Arch arch) {
        assertTrue(crossSpaceRead(arch, PmapBug.TAG_REUSE_NO_FLUSH), "a space read another space's mark");
    }
}
