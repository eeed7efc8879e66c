package dev.specfault.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The calls that fault pages in with no writer lock held (MADV_POPULATE_READ/WRITE, mlock,
 * mlockall(MCL_CURRENT), an mremap growing a locked area) racing a thread that unmaps, remaps and
 * changes the rights of the same range. Linux does not make these calls atomic either (GUP drops
 * and retakes the mmap lock), so they are not in the Lincheck harness; what must hold is that each
 * returns one of its errnos, nothing throws or hangs, and afterwards no page, table or translation
 * is left over (checkQuiet, and every frame back after exit). A bounded number of steps, not a
 * duration: the race is reached on every run, how often varies.
 */
class PopulateRaceTest {
    private static final long P = Mman.PAGE_SIZE;
    private static final long A = 0x10000000L;
    private static final int STEPS = 5_000;

    static Stream<Arguments> designs() {
        return Stream.of(Design.values()).map(d -> Arguments.of(d, Arch.X86_64));
    }

    @ParameterizedTest
    @MethodSource("designs")
    void populateAndMlockRacingMunmapAndMprotect(Design d, Arch arch) throws Exception {
        final Machine m = Machine.builder(arch).cpus(2).frameLimit(8192).build();
        final long baseline = m.frames().inUse();
        final AddressSpace s = Spaces.create(new SpaceOptions(d, m).name("t").driver(GracePeriodDriver.inline()));
        final int rw = Mman.PROT_READ | Mman.PROT_WRITE;
        final int anon = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED;
        assertEquals(A, s.mmap(A, 16 * P, rw, anon));
        final ExecutorService ex = Executors.newFixedThreadPool(2, r -> {
            final Thread t = new Thread(r, "populate-race");
            t.setDaemon(true);
            return t;
        });
        final CountDownLatch go = new CountDownLatch(2);
        try {
            final Future<String> populater = ex.submit(() -> {
                go.countDown();
                go.await();
                final SplittableRandom rnd = new SplittableRandom(1);
                final Set<Long> ok = Set.of(0L, (long) -Errno.ENOMEM, (long) -Errno.EINVAL, (long) -Errno.EFAULT,
                        (long) -Errno.EAGAIN);
                for (int i = 0; i < STEPS; i++) {
                    final long at = A + rnd.nextInt(12) * P;
                    final long len = (1 + rnd.nextInt(4)) * P;
                    final long r = switch (rnd.nextInt(6)) {
                        case 0 -> s.madvise(at, len, Mman.MADV_POPULATE_WRITE);
                        case 1 -> s.madvise(at, len, Mman.MADV_POPULATE_READ);
                        case 2 -> s.mlock(at, len, 0);
                        case 3 -> s.munlock(at, len);
                        case 4 -> i % 50 == 0 ? s.mlockall(Mman.MCL_CURRENT) : s.munlockall();
                        default -> {
                            final long g = s.mremap(at, len, len + P, 0, 0);
                            yield g == at ? 0 : g;
                        }
                    };
                    if (!ok.contains(r)) {
                        return "step " + i + ": " + Errno.format(r);
                    }
                }
                return null;
            });
            final Future<String> changer = ex.submit(() -> {
                final Cpu cpu = m.cpu(1);
                cpu.bind();
                go.countDown();
                go.await();
                try {
                    final SplittableRandom rnd = new SplittableRandom(2);
                    final int[] prots = {rw, Mman.PROT_READ, Mman.PROT_NONE};
                    for (int i = 0; i < STEPS; i++) {
                        final long at = A + rnd.nextInt(14) * P;
                        switch (rnd.nextInt(4)) {
                            case 0 -> s.munmap(at, 2 * P);
                            case 1 -> s.mmap(at, 2 * P, prots[rnd.nextInt(3)], anon);
                            case 2 -> s.mprotect(at, 2 * P, prots[rnd.nextInt(3)]);
                            default -> s.store(cpu, at, i);
                        }
                    }
                    return null;
                } finally {
                    cpu.unbind();
                }
            });
            assertEquals(null, populater.get(120, TimeUnit.SECONDS));
            assertEquals(null, changer.get(120, TimeUnit.SECONDS));
        } finally {
            ex.shutdownNow();
        }
        assertEquals(List.of(), s.checkQuiet());
        assertEquals(0, s.munlockall());
        s.exit();
        assertTrue(m.frames().inUse() <= baseline, () -> "frames left after exit: " + (m.frames().inUse() - baseline));
    }
}
