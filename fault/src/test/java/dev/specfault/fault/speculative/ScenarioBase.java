package dev.specfault.fault.speculative;

import static dev.specfault.fault.Mman.MAP_ANONYMOUS;
import static dev.specfault.fault.Mman.MAP_FIXED;
import static dev.specfault.fault.Mman.MAP_PRIVATE;
import static dev.specfault.fault.Mman.PAGE_SIZE;
import static dev.specfault.fault.Mman.PROT_READ;
import static dev.specfault.fault.Mman.PROT_WRITE;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FaultHooks;
import dev.specfault.fault.SpaceConfig;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.SpaceStats;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PmapBug;
import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.vma.VmaBug;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A speculative space on a 2-CPU machine, a thread per CPU, and a one-shot test hook. */
abstract class ScenarioBase {
    static final int RW = PROT_READ | PROT_WRITE;
    static final int ANON = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    static final long P = 0x40000000L;

    Machine machine;
    SpeculativeSpace space;
    ExecutorService[] threads;
    final HookBox hook = new HookBox();

    /** A hook that runs one action, once, at one point (and at one address if given). */
    static final class HookBox implements FaultHooks {
        volatile Point point;
        volatile Runnable action;
        volatile boolean fired;
        volatile AddressSpace onlySpace; // null: any
        volatile long onlyVa = -1; // -1: any

        void arm(Point p, Runnable a) {
            arm(p, null, -1, a);
        }

        /** Fires at {@code p} in {@code s} at {@code va} only (a fork's child shares its parent's hooks). */
        void arm(Point p, AddressSpace s, long va, Runnable a) {
            onlySpace = s;
            onlyVa = va;
            point = p;
            action = a;
            fired = false;
        }

        @Override
        public void at(Point p, AddressSpace s, long va) {
            final Runnable a = action;
            final AddressSpace only = onlySpace;
            if (p == point && a != null && !fired && (only == null || only == s) && (onlyVa < 0 || onlyVa == va)) {
                fired = true;
                action = null;
                a.run();
            }
        }
    }

    void build(Arch arch, Set<FaultBug> bugs, Set<VmaBug> vmaBugs) {
        build(arch, bugs, vmaBugs, false);
    }

    void build(Arch arch, Set<FaultBug> bugs, Set<VmaBug> vmaBugs, boolean stack) {
        build(arch, bugs, vmaBugs, Set.of(), stack);
    }

    void build(Arch arch, Set<FaultBug> bugs, Set<VmaBug> vmaBugs, Set<PmapBug> pmapBugs, boolean stack) {
        stop(); // a test that builds more than once: the previous build's CPU threads
        machine = Machine.builder(arch).frameLimit(512).cpus(2).prefetchPercent(0).bugs(pmapBugs).build();
        space = (SpeculativeSpace) Spaces.create(new SpaceOptions(Design.SPECULATIVE, machine).name("s")
                .config(SpaceConfig.defaults(arch).withInitialStack(stack)).bugs(bugs).vmaBugs(vmaBugs)
                .hooks(hook).driver(GracePeriodDriver.inline()).vmaQuarantine(0));
        threads = new ExecutorService[2];
        for (int i = 0; i < 2; i++) {
            final int id = i;
            threads[i] = Executors.newSingleThreadExecutor(r -> new Thread(r, "cpu" + id));
            on(i, () -> {
                machine.cpu(id).bind();
                return null;
            });
        }
    }

    @AfterEach
    void stop() {
        if (threads != null) {
            for (ExecutorService t : threads) {
                t.shutdownNow();
            }
        }
    }

    <T> T on(int cpu, Callable<T> body) {
        try {
            return threads[cpu].submit(body).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int store(int cpu, long va, long v) {
        return on(cpu, () -> space.store(machine.cpu(cpu), va, v));
    }

    long load(int cpu, long va) {
        return on(cpu, () -> {
            final Cpu c = machine.cpu(cpu);
            final int r = space.load(c, va);
            return r == AccessResult.OK ? c.value() : -1000 - r;
        });
    }

    static final long SEGV = -1000 - AccessResult.SIGSEGV;

    /**
     * From a writer's hook: starts an access on another CPU and returns once it has finished or is
     * blocked behind the writer on the mmap lock (a fault that fell back). No timing involved.
     */
    Future<Integer> raceStore(int cpu, long va, long v) {
        final Future<Integer> f = threads[cpu].submit(() -> space.store(machine.cpu(cpu), va, v));
        waitUntil(() -> f.isDone() || space.mmapLockWaiters() > 0);
        return f;
    }

    static void waitUntil(BooleanSupplier c) {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached in 30 s");
            }
            Thread.yield();
        }
    }

    static <T> T get(Future<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

}
