package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Direct reclaim: a fault that finds no free frame while table pages wait for a grace period
 * waits for them and retries, rather than reporting OOM (what stopped 60 s mmap_churn runs when
 * the grace-period thread lagged); with nothing waiting, OOM stands.
 */
class ReclaimTest {
    private static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;
    private static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;

    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void framesWaitingForAGracePeriodAreReclaimedBeforeOom(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (s, cpu) -> {
            final long free = free(s);
            final long touched = touchUntilOom(s, cpu);
            // Each touch takes a frame: more pages were touched than frames were free, so the
            // frames SRCU held were reclaimed and used.
            assertTrue(touched > free, touched + " pages touched, " + free + " frames were free");
            assertTrue(s.stats().retries(SpaceStats.Retry.RECLAIM) >= 1);
            assertEquals(0, s.pmap().domain().stats().backlog());
        });
    }

    /**
     * Two threads out of frames at once: the first one's barrier runs the callbacks; the second
     * then finds no backlog and frees nothing itself, but the frames are free, so its access is
     * retried rather than killed (it was told the OOM stands: a spurious OOM, found in review).
     */
    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void framesAnotherReclaimFreedMeanRetry(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (s, cpu) -> {
            s.pmap().domain().barrier(); // the other thread's reclaim
            assertTrue(free(s) >= 8, "frames are free");
            assertTrue(s.reclaim(), "a fault's worth of frames is free: retry");
            touchUntilOom(s, cpu);
            assertFalse(s.reclaim(), "nothing to reclaim and memory full: the OOM stands");
        });
    }

    /**
     * A populate's faults (MADV_POPULATE_WRITE here; MAP_POPULATE and mlock take the same path)
     * reclaim as a CPU's do: without it, the frames waiting for a grace period made the populate
     * ENOMEM while a touch of the same pages would have succeeded.
     */
    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void aPopulateReclaimsFramesWaitingForAGracePeriod(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (s, cpu) -> {
            // As many pages as frames are free: with the region's own tables (at most four), more
            // than are free, fewer than are free once the backlog (eight tables at least) is reclaimed.
            final long pages = free(s);
            final long r = s.mmap(0, pages * Mman.PAGE_SIZE, RW, ANON);
            assertEquals(0, s.madvise(r, pages * Mman.PAGE_SIZE, Mman.MADV_POPULATE_WRITE));
            assertTrue(s.stats().retries(SpaceStats.Retry.RECLAIM) >= 1);
        });
    }

    /**
     * fork reclaims too (pgd_alloc's and dup_mmap's allocations do): with every frame in use but
     * some waiting for a grace period, the fork succeeds rather than fail with ENOMEM.
     */
    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void aForkReclaimsFramesWaitingForAGracePeriod(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (s, cpu) -> {
            // One leaf table's worth, aligned to it: only the first touch allocates tables.
            final long r = 0x200000000L;
            assertEquals(r, s.mmap(r, 512 * Mman.PAGE_SIZE, RW, ANON | Mman.MAP_FIXED));
            assertEquals(AccessResult.OK, s.store(cpu, r, 1));
            final long rest = free(s);
            assertTrue(rest < 511, rest + " frames free");
            for (long i = 1; i <= rest; i++) {
                assertEquals(AccessResult.OK, s.store(cpu, r + i * Mman.PAGE_SIZE, 1));
            }
            assertEquals(0, free(s), "every frame in use");
            assertTrue(s.pmap().domain().stats().backlog() > 0, "none reclaimed yet");
            final AddressSpace child = s.fork();
            assertTrue(child != null, "fork failed with frames waiting for a grace period");
            assertTrue(s.stats().retries(SpaceStats.Retry.RECLAIM) >= 1);
            child.exit();
            child.quiesce();
        });
    }

    /**
     * A pread's page-cache miss ({@link FileObject#readWord(long, java.util.function.BooleanSupplier)})
     * reclaims as a fault does: file_race's pread ran out of frames while the old files' pages
     * waited for a grace period, and the cell reported an invariant broken on a clean run.
     */
    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void aPreadMissReclaimsFramesWaitingForAGracePeriod(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (s, cpu) -> {
            final long free = free(s);
            final FileObject f = new FileObject("f", 2L << 20, s.machine().frames(), FileObject.Kind.FILE);
            long read = 0;
            // Without reclaim the misses stop at the free frames.
            while (true) {
                try {
                    assertEquals(0, f.readWord(read * Mman.PAGE_SIZE));
                } catch (IllegalStateException e) {
                    break;
                }
                read++;
            }
            assertTrue(read <= free, read + " pages read, " + free + " frames were free");
            // With it, the frames SRCU held are reclaimed and used; memory does run out in the end.
            long more = 0;
            while (true) {
                try {
                    assertEquals(0, f.readWord((read + more) * Mman.PAGE_SIZE, s::reclaim));
                } catch (IllegalStateException e) {
                    break;
                }
                more++;
            }
            assertTrue(more >= 1, "nothing was reclaimed");
            assertEquals(0, s.pmap().domain().stats().backlog());
            f.close();
        });
    }

    /**
     * Reclaim is machine-wide, as Linux's is not per mm: frames held back by another space's SRCU
     * domain (here an exited fork child's table pages, whose grace period no one drives) are
     * reclaimed for this space's fault. Without it, the fault waited only for its own domain and
     * reported OOM. An exited space's domain is forgotten once drained.
     */
    @ParameterizedTest
    @MethodSource("dev.specfault.fault.AddressSpaceContractTest#spaces")
    void framesAnExitedChildHoldsBackAreReclaimed(Design d, Arch arch) {
        withFramesWaitingForAGracePeriod(d, arch, (parent, cpu) -> {
            // Eight touched pages with tables of their own.
            for (int i = 0; i < 8; i++) {
                final long a = 0x4000000000L + i * (1L << 30);
                assertEquals(a, parent.mmap(a, Mman.PAGE_SIZE, RW, ANON | Mman.MAP_FIXED));
                assertEquals(AccessResult.OK, parent.store(cpu, a, 1));
            }
            final AddressSpace child = parent.fork();
            assertTrue(child != null);
            for (int i = 0; i < 8; i++) { // the child's own tables, where its fork did not copy them (locked)
                assertEquals(AccessResult.OK, child.store(cpu, 0x4000000000L + i * (1L << 30), 2));
            }
            parent.pmap().domain().barrier(); // the parent's own backlog is not what is reclaimed here
            final int domains = parent.machine().deferringDomains();
            child.exit();
            final long held = child.pmap().domain().stats().backlog();
            assertTrue(held >= 1, "the child's tables wait for a grace period");
            final long free = free(parent);
            final long touched = touchUntilOom(parent, cpu);
            assertTrue(touched > free, touched + " pages touched, " + free + " frames were free; the child held "
                    + held + " callbacks");
            assertEquals(0, child.pmap().domain().stats().backlog());
            assertEquals(domains - 1, parent.machine().deferringDomains(), "the drained child's domain is forgotten");
        });
    }

    /**
     * Runs {@code body} on a space of {@code d} on a 256-frame machine whose CPU 0 is bound, with
     * frames held back: no one drives grace periods, so what munmap frees through SRCU stays held
     * until a barrier (a lagging grace-period thread, made deterministic). Eight one-page areas with
     * tables of their own, far from everything else, are touched and unmapped first. The space
     * exits afterwards.
     */
    private static void withFramesWaitingForAGracePeriod(Design d, Arch arch,
            java.util.function.BiConsumer<AddressSpace, Cpu> body) {
        final Machine m = Machine.builder(arch).frameLimit(256).cpus(1).build();
        final Cpu cpu = m.cpu(0);
        cpu.bind();
        try {
            final AddressSpace s = Spaces.create(new SpaceOptions(d, m).name("t")
                    .config(SpaceConfig.defaults(arch).withInitialStack(false)).driver(GracePeriodDriver.manual()));
            for (int i = 0; i < 8; i++) {
                final long a = 0x100000000L + i * (1L << 30);
                assertEquals(a, s.mmap(a, Mman.PAGE_SIZE, RW, ANON | Mman.MAP_FIXED));
                assertEquals(AccessResult.OK, s.store(cpu, a, 1));
                assertEquals(0, s.munmap(a, Mman.PAGE_SIZE));
            }
            assertTrue(s.pmap().domain().stats().backlog() >= 8,
                    "at least a leaf table per munmap waits for a grace period");
            body.accept(s, cpu);
            s.exit();
            s.quiesce();
        } finally {
            cpu.unbind();
        }
    }

    /**
     * Stores to the pages of a new 4 MiB area in turn until one fails, which must be OOM (the
     * machine has fewer frames); returns how many succeeded.
     */
    private static long touchUntilOom(AddressSpace s, Cpu cpu) {
        final long r = s.mmap(0, 4L << 20, RW, ANON);
        long touched = 0;
        int last;
        while ((last = s.store(cpu, r + touched * Mman.PAGE_SIZE, 7)) == AccessResult.OK) {
            touched++;
        }
        assertEquals(AccessResult.OOM, last, "memory does run out in the end");
        return touched;
    }

    /** Frames free now. */
    private static long free(AddressSpace s) {
        return s.machine().frames().limit() - s.machine().frames().inUse();
    }
}
