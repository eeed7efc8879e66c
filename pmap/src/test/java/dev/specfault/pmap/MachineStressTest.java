package dev.specfault.pmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real threads: CPUs store and load on a window of pages while a writer unmaps and remaps parts of
 * it (zap, flush, free, free tables), with speculation on; a checker thread runs P0 over the TLBs
 * and the tables throughout. At the end the space exits and every frame is back.
 */
class MachineStressTest {
    static final long BASE = 0x7e00_0000_0000L;
    static final int PAGES = 2048; // spans two leaf tables and more
    static final long PAGE = 4096;

    /** Runs the storm; returns the P0 violations seen (a loaded value that is poison counts too). */
    static List<String> storm(Arch arch, long millis, PmapBug... bugs) throws Exception {
        final java.util.EnumSet<PmapBug> set = java.util.EnumSet.noneOf(PmapBug.class);
        set.addAll(List.of(bugs));
        final Machine m = Machine.builder(arch).cpus(3).frameLimit(8192).prefetchPercent(50).bugs(set).build();
        final TestKernel k = new TestKernel(m, "storm");
        k.map(BASE, BASE + PAGES * PAGE, Prot.READ | Prot.WRITE);
        final List<String> violations = new CopyOnWriteArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong accesses = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            final Cpu cpu = m.cpu(c);
            threads.add(new Thread(() -> {
                cpu.bind();
                cpu.switchTo(k.pmap);
                final SplittableRandom rnd = new SplittableRandom(cpu.id());
                long n = 0;
                while (!stop.get()) {
                    final long va = BASE + rnd.nextInt(PAGES) * PAGE + 8L * rnd.nextInt(512);
                    final int r = rnd.nextBoolean() ? cpu.store(va, va) : cpu.load(va);
                    if (r == AccessResult.OK && cpu.value() == dev.specfault.pmap.phys.FrameAllocator.POISON) {
                        violations.add("P0: " + cpu + " loaded poison at 0x" + Long.toHexString(va));
                    }
                    n++;
                }
                accesses.addAndGet(n);
                cpu.enterLazy();
                cpu.unbind();
            }));
        }
        threads.add(new Thread(() -> {
            final Cpu cpu = m.cpu(2);
            cpu.bind();
            final SplittableRandom rnd = new SplittableRandom(99);
            while (!stop.get()) {
                final long start = BASE + rnd.nextInt(PAGES) * PAGE;
                final long end = Math.min(BASE + PAGES * PAGE, start + (1 + rnd.nextInt(600)) * PAGE);
                k.unmap(start, end, cpu);
                k.map(start, end, Prot.READ | Prot.WRITE);
                k.domain.barrier();
            }
            cpu.unbind();
        }));
        threads.add(new Thread(() -> {
            while (!stop.get()) {
                for (String v : m.checkTlbs()) {
                    violations.add(v);
                }
                Thread.onSpinWait();
            }
        }));
        for (Thread t : threads) {
            // With a seeded bug, a stale translation writes into a freed frame that is now somebody's
            // table: the corruption that follows is a finding, not a crash of the harness.
            t.setUncaughtExceptionHandler((th, e) -> {
                violations.add("corruption in " + th.getName() + ": " + e);
                stop.set(true);
            });
        }
        threads.forEach(Thread::start);
        final long deadline = System.currentTimeMillis() + millis;
        while (!stop.get() && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        violations.addAll(m.checkTlbs());
        violations.addAll(m.checkTables(k.pmap));
        if (!violations.isEmpty()) {
            return violations; // the state is corrupt: no exit accounting
        }
        assertTrue(accesses.get() > 1000, "CPUs made progress: " + accesses.get());
        final Cpu exiter = m.cpu(2);
        exiter.bind();
        k.exit(exiter);
        k.domain.barrier();
        exiter.unbind();
        assertEquals(1, m.frames().inUse(), "only the kernel space's root is left");
        return violations;
    }

    @ParameterizedTest
    @EnumSource(Arch.class)
    void p0HoldsThroughoutAStormAndEveryFrameComesBack(Arch arch) throws Exception {
        final List<String> v = storm(arch, 1500);
        assertEquals(List.of(), v.subList(0, Math.min(5, v.size())));
    }

    /** Timing-dependent: the same storm with the shootdown skipped. */
    @ParameterizedTest
    @EnumSource(Arch.class)
    @Tag("long")
    void seededSkipShootdownIsCaughtUnderStress(Arch arch) throws Exception {
        // A P0 line (the checker's, or a load of poison), not just any failure of the storm: a crash
        // that followed the corruption alone would pass for a catch otherwise (found in review).
        final List<String> v = storm(arch, 5000, PmapBug.SKIP_SHOOTDOWN);
        assertTrue(v.stream().anyMatch(l -> l.startsWith("P0")), () -> v.subList(0, Math.min(5, v.size())).toString());
    }
}
