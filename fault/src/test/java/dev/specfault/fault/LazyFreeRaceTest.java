package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PmapBug;
import dev.specfault.pmap.PmapHooks;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.EnumSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reclaim of a lazy-free page racing the first store after MADV_FREE, deterministically: the store
 * is made while the reclaim's zap is paused between its read of the entry and its write of 0
 * ({@link PmapHooks#ZAP_AFTER_READ}, reached only with the seeded bug zap-plain-write). With the
 * bug, the dirty bit the store's hardware update set is lost, the page is discarded, and the store
 * with it (P4); without it, get-and-clear has no window: the zap's old entry carries the dirty bit
 * of a store made just before it, and the page is kept.
 */
class LazyFreeRaceTest {
    private static final long PAGE = Mman.PAGE_SIZE;
    private static final long VA = 0x10000000L;

    /** Returns what a load reads after the store of 42 and the reclaim. */
    private static long storeRacingReclaim(Design d, Arch arch, boolean bug) throws Exception {
        final AtomicReference<Runnable> atHook = new AtomicReference<>(() -> { });
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(4096).prefetchPercent(0)
                .bugs(bug ? EnumSet.of(PmapBug.ZAP_PLAIN_WRITE) : EnumSet.noneOf(PmapBug.class))
                .hooks((point, pmap, va) -> {
                    if (point.equals(PmapHooks.ZAP_AFTER_READ)) {
                        atHook.get().run();
                    }
                }).build();
        final Cpu cpu = m.cpu(0);
        cpu.bind();
        final ExecutorService reclaimer = Executors.newSingleThreadExecutor(r -> {
            final Thread t = new Thread(r, "reclaimer");
            t.setDaemon(true);
            return t;
        });
        try {
            final AddressSpace s = Spaces.create(new SpaceOptions(d, m).name("t").driver(GracePeriodDriver.inline()));
            assertEquals(VA, s.mmap(VA, PAGE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED));
            assertEquals(AccessResult.OK, s.store(cpu, VA, 1));
            assertEquals(0, s.madvise(VA, PAGE, Mman.MADV_FREE));
            assertEquals(AccessResult.OK, s.load(cpu, VA)); // a clean translation: the store must set D
            final long reclaimed;
            if (bug) {
                final CountDownLatch atRead = new CountDownLatch(1);
                final CountDownLatch stored = new CountDownLatch(1);
                atHook.set(() -> {
                    atRead.countDown();
                    await(stored);
                });
                final Future<Long> r = reclaimer.submit(() -> s.reclaimLazyFree());
                await(atRead);
                // The zap has read the clean entry and holds the PTL; the store's hardware update
                // sets the dirty state in the entry (no lock: a CAS), then the zap writes 0.
                assertEquals(AccessResult.OK, s.store(cpu, VA, 42));
                stored.countDown();
                reclaimed = r.get(20, TimeUnit.SECONDS);
                atHook.set(() -> { });
            } else {
                // No window to put the store in: it comes before the get-and-clear.
                assertEquals(AccessResult.OK, s.store(cpu, VA, 42));
                reclaimed = reclaimer.submit(() -> s.reclaimLazyFree()).get(20, TimeUnit.SECONDS);
            }
            assertEquals(AccessResult.OK, s.load(cpu, VA));
            final long v = cpu.value();
            assertEquals(bug ? 1 : 0, reclaimed, "pages discarded");
            assertEquals(bug ? 1 : 0, s.stats().lazyFreedCount());
            assertEquals(bug ? 0 : 1, s.stats().lazyKeptCount());
            assertEquals(java.util.List.of(), s.checkQuiet());
            s.exit();
            s.quiesce();
            return v;
        } finally {
            reclaimer.shutdownNow();
            cpu.unbind();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(20, TimeUnit.SECONDS), "timed out");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void aStoreAfterMadvFreeSurvivesReclaim(Design d, Arch arch) throws Exception {
        assertEquals(42, storeRacingReclaim(d, arch, false));
    }

    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void seededZapPlainWriteLosesAStoreToReclaim(Design d, Arch arch) throws Exception {
        assertEquals(0, storeRacingReclaim(d, arch, true), "the store was discarded with the page");
    }
}
