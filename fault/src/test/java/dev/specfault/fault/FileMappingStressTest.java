package dev.specfault.fault;

import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.MAP_SHARED;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.srcu.GracePeriodDriver;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * File mappings under concurrent writers and faults, seeded random rounds; safety invariants only (P0,
 * P2, P3, P6). Timing-dependent: in the long profile.
 */
@Tag("long")
class FileMappingStressTest {
    static final int RW = PROT_READ | PROT_WRITE;
    static final long A = 0x10000000L;
    static final long B = 0x20000000L;
    static final long B2 = 0x20400000L;

    static Stream<Arguments> spaces() {
        return ContractDesigns.DESIGNS.stream().map(d -> Arguments.of(d, Arch.X86_64));
    }

    @ParameterizedTest
    @MethodSource("spaces")
    void churn(Design d, Arch arch) throws Exception {
        for (int round = 0; round < 20; round++) {
            final Machine m = Machine.builder(arch).frameLimit(4096).cpus(2).build();
            final AddressSpace s = Spaces.create(new SpaceOptions(d, m).name("t").config(SpaceConfig.defaults(arch))
                    .driver(GracePeriodDriver.shared()));
            final long baseline = m.frames().inUse();
            final FileObject f = new FileObject("f", 4 * PAGE_SIZE - 100, m.frames());
            assertEquals(A, s.mmap(A, 8 * PAGE_SIZE, RW, MAP_SHARED | MAP_FIXED, f, 0));
            assertEquals(B, s.mmap(B, 8 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0));
            final AtomicReference<Throwable> err = new AtomicReference<>();
            final long seed = round;
            final Thread t1 = new Thread(() -> {
                final Cpu c = m.cpu(1);
                c.bind();
                try {
                    final Random r = new Random(seed * 31 + 7);
                    long v = 1;
                    for (int i = 0; i < 4000; i++) {
                        final long base = r.nextInt(3) == 0 ? A : r.nextBoolean() ? B : B2;
                        final long va = base + r.nextInt(5) * PAGE_SIZE + 8 * r.nextInt(4);
                        final int res = r.nextBoolean() ? s.store(c, va, v++) : s.load(c, va);
                        if (res == AccessResult.SIGBUS && (va - base) < 3 * PAGE_SIZE + PAGE_SIZE - 100) {
                            // pages 0..3 exist (size 4p - 100): SIGBUS there is wrong unless the mapping moved
                            if (base == A) {
                                throw new AssertionError("SIGBUS inside the file at 0x" + Long.toHexString(va));
                            }
                        }
                        if (res == AccessResult.SIGSEGV && base == A) {
                            throw new AssertionError("SIGSEGV on the shared mapping at 0x" + Long.toHexString(va));
                        }
                    }
                } catch (Throwable e) {
                    err.compareAndSet(null, e);
                } finally {
                    c.unbind();
                }
            });
            t1.start();
            final Cpu c0 = m.cpu(0);
            c0.bind();
            try {
                final Random r = new Random(seed);
                long at = B;
                for (int i = 0; i < 600 && t1.isAlive(); i++) {
                    final long other = at == B ? B2 : B;
                    switch (r.nextInt(8)) {
                        case 0 -> s.madvise(at + r.nextInt(4) * PAGE_SIZE, PAGE_SIZE, Mman.MADV_DONTNEED);
                        case 1 -> s.mprotect(at, 4 * PAGE_SIZE, r.nextBoolean() ? PROT_READ : RW);
                        case 2 -> {
                            if (s.mremap(at, 8 * PAGE_SIZE, 8 * PAGE_SIZE, Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, other) == other) {
                                at = other;
                            }
                        }
                        case 3 -> {
                            s.munmap(at, 8 * PAGE_SIZE);
                            s.mmap(at, 8 * PAGE_SIZE, RW, MAP_PRIVATE | MAP_FIXED, f, 0);
                        }
                        case 4 -> s.madvise(A + r.nextInt(4) * PAGE_SIZE, PAGE_SIZE, Mman.MADV_DONTNEED);
                        case 5 -> {
                            final AddressSpace ch = s.fork();
                            if (ch != null) {
                                ch.store(c0, at, 1);
                                ch.exit();
                                ch.quiesce();
                            }
                        }
                        case 6 -> s.mprotect(A, 8 * PAGE_SIZE, RW);
                        default -> s.load(c0, at + r.nextInt(4) * PAGE_SIZE);
                    }
                }
            } finally {
                c0.unbind();
            }
            t1.join();
            if (err.get() != null) {
                throw new AssertionError(err.get());
            }
            assertEquals(List.of(), s.checkQuiet());
            s.exit();
            f.close();
            s.quiesce();
            Thread.sleep(5);
            s.quiesce();
            assertEquals(0, f.refs());
            assertEquals(0, m.useAfterFree().count(), () -> m.useAfterFree().reports().toString());
            final long left = m.frames().inUse();
            if (left >= baseline) {
                final StringBuilder sb = new StringBuilder();
                for (long fr = 1; fr < 4200; fr++) {
                    if (!m.frames().isFree(fr)) {
                        sb.append(" ").append(fr).append(":k").append(m.frames().kind(fr)).append(":r")
                                .append(m.frames().refcount(fr)).append(":m").append(m.frames().mapcount(fr));
                    }
                }
                System.err.println("LEAK " + d + " round " + seed + " data " + m.frames().count(1) + " tables "
                        + m.frames().count(2) + sb);
            }
            assertTrue(left < baseline, () -> "round " + seed + ": " + left + " frames in use, " + baseline + " before");
        }
    }
}
