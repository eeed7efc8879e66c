package dev.specfault.stress.bench;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.stress.workload.PageFault1;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One page fault end to end — the store that traps, the fault path, the retried store — per
 * design and architecture: a zero-fill fault and a COW fault, and the page_fault1 loop (map
 * 16 MiB, touch every page, unmap) whose score × 4096 is pages touched per second, the figure to
 * hold beside {@code shared/tools/kernel-pagefault -t 1 -s 5 -m 16}. {@code ./specfault bench Fault}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FaultBenchmark {
    /** Pages per invocation of the per-fault benchmarks. */
    static final int PAGES = 512;

    /** A machine, one space, one CPU bound to the benchmark thread. */
    @State(Scope.Thread)
    public static class Space {
        @Param({"speculative", "locked", "kernel-lock"})
        public String design;
        @Param({"x86", "arm64"})
        public String arch;

        Machine machine;
        AddressSpace space;
        Cpu cpu;
        long region;
        AddressSpace child;

        @Setup(Level.Trial)
        public void boot() {
            // Freed frames are not poisoned: a debugging aid (like Linux's page poisoning) that the
            // kernel reference does not pay either.
            machine = Machine.builder(Arch.byCliName(arch)).frameLimit(16384).cpus(2).poisonFreedFrames(false).build();
            cpu = machine.cpu(0);
            cpu.bind();
            space = Spaces.create(new SpaceOptions(Design.byCliName(design), machine).name("bench"));
        }

        @TearDown(Level.Trial)
        public void shutdown() {
            space.exit();
            cpu.unbind();
        }

        void map() {
            region = space.mmap(0, PAGES * Mman.PAGE_SIZE, Mman.PROT_READ | Mman.PROT_WRITE,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS);
        }

        void unmap() {
            space.munmap(region, PAGES * Mman.PAGE_SIZE);
        }

        int touchAll() {
            int bad = 0;
            for (int i = 0; i < PAGES; i++) {
                bad += space.store(cpu, region + i * Mman.PAGE_SIZE, i) == AccessResult.OK ? 0 : 1;
            }
            if (bad != 0) {
                throw new IllegalStateException(bad + " stores failed");
            }
            return bad;
        }
    }

    /** A fresh region per invocation: every store is a zero-fill fault. */
    @State(Scope.Thread)
    public static class ZeroFill extends Space {
        @Setup(Level.Invocation)
        public void before() {
            map();
        }

        @TearDown(Level.Invocation)
        public void after() {
            unmap();
        }
    }

    /** A populated region shared with a forked child per invocation: every store is a COW copy. */
    @State(Scope.Thread)
    public static class Cow extends Space {
        @Setup(Level.Invocation)
        public void before() {
            map();
            touchAll();
            child = space.fork();
        }

        @TearDown(Level.Invocation)
        public void after() {
            child.exit();
            unmap();
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int zeroFillFault(ZeroFill s) {
        return s.touchAll();
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int cowFault(Cow s) {
        return s.touchAll();
    }

    /** page_fault1 with 16 MiB, per page (map and unmap included, as in will-it-scale). */
    @State(Scope.Thread)
    public static class Loop extends Space {
        PageFault1 loop;

        @Override
        @Setup(Level.Trial)
        public void boot() {
            super.boot();
            loop = new PageFault1(space, cpu, 16L << 20);
        }
    }

    @Benchmark
    @OperationsPerInvocation(4096)
    public long pageFault1(Loop s) {
        return s.loop.iteration();
    }
}
