package dev.specfault.stress.bench;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.Errno;
import dev.specfault.fault.Mman;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
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
 * What a writer on the other CPU costs one zero-fill fault: the faulting thread (the benchmark's)
 * stores to every page of a fresh 2 MiB region while a writer thread loops beside it, and the score
 * is ns per fault. The writers, from least to most shared state:
 * <ul>
 *   <li>{@code none}: no second thread (the page_fault1 baseline);</li>
 *   <li>{@code spin}: a busy thread that touches nothing of the machine (the cost of a second
 *       runnable thread on the host);</li>
 *   <li>{@code other-space}: mmap 64 KiB and munmap it, in a second space on the same machine
 *       (what is left in common: the machine, the SRCU driver's grace-period thread, the JVM's heap
 *       and collector);</li>
 *   <li>{@code churn}: the same in the faulting thread's space (its VMA tree, its SRCU domain, its
 *       map lock);</li>
 *   <li>{@code churn-touch}: mmap_churn's writer: mmap, store to one page, munmap (a page table and
 *       a frame per step, a TLB shootdown of the faulting CPU).</li>
 * </ul>
 * Each is held against {@code none} of the same design in the same run: the ratio is the writer's
 * cost, which the p99 target of {@code compare} sees through a noisier window.
 * {@code ./specfault bench WriterInterference}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class WriterInterferenceBenchmark {
    /** Pages per invocation: one 2 MiB leaf table's worth. */
    static final int PAGES = 512;
    static final long CHURN = 16 * Mman.PAGE_SIZE;
    static final int RW = Mman.PROT_READ | Mman.PROT_WRITE;
    static final int ANON = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS;

    @State(Scope.Thread)
    public static class Faulting {
        @Param({"speculative", "locked"})
        public String design;
        @Param({"none", "spin", "other-space", "churn", "churn-touch"})
        public String writer;

        Machine machine;
        AddressSpace space;
        AddressSpace other;
        Cpu cpu;
        long region;
        Thread writerThread;
        volatile boolean stop;
        volatile String writerFailure;

        @Setup(Level.Trial)
        public void boot() {
            machine = Machine.builder(Arch.X86_64).frameLimit(16384).cpus(2).poisonFreedFrames(false).build();
            cpu = machine.cpu(0);
            cpu.bind();
            space = Spaces.create(new SpaceOptions(Design.byCliName(design), machine).name("bench"));
            if (writer.equals("other-space")) {
                other = Spaces.create(new SpaceOptions(Design.byCliName(design), machine).name("other"));
            }
            if (!writer.equals("none")) {
                writerThread = new Thread(this::writerLoop, "bench-writer");
                writerThread.setDaemon(true);
                writerThread.start();
            }
        }

        private void writerLoop() {
            final Cpu wcpu = machine.cpu(1);
            wcpu.bind();
            try {
                final AddressSpace s = other != null ? other : space;
                // mmap_churn's slot: 1 GiB below the mmap base, away from the faulting thread's areas
                final long hint = (s.config().mmapBase() - (1L << 30)) & ~((2L << 20) - 1);
                long spins = 0;
                while (!stop) {
                    if (writer.equals("spin")) {
                        spins++;
                        Thread.onSpinWait();
                        continue;
                    }
                    final long a = s.mmap(hint, CHURN, RW, ANON);
                    if (Errno.isError(a)) {
                        writerFailure = "mmap: " + Errno.format(a);
                        return;
                    }
                    if (writer.equals("churn-touch") && s.store(wcpu, a + 5 * Mman.PAGE_SIZE, spins) != AccessResult.OK) {
                        writerFailure = "store failed";
                        return;
                    }
                    final long u = s.munmap(a, CHURN);
                    if (u != 0) {
                        writerFailure = "munmap: " + Errno.format(u);
                        return;
                    }
                }
            } finally {
                wcpu.unbind();
            }
        }

        @Setup(Level.Invocation)
        public void map() {
            region = space.mmap(0, PAGES * Mman.PAGE_SIZE, RW, ANON);
            if (Errno.isError(region)) {
                throw new IllegalStateException("mmap: " + Errno.format(region));
            }
        }

        @TearDown(Level.Invocation)
        public void unmap() {
            space.munmap(region, PAGES * Mman.PAGE_SIZE);
            if (writerFailure != null) {
                throw new IllegalStateException("writer: " + writerFailure);
            }
        }

        @TearDown(Level.Trial)
        public void shutdown() throws InterruptedException {
            stop = true;
            if (writerThread != null) {
                writerThread.join();
            }
            if (other != null) {
                other.exit();
            }
            space.exit();
            cpu.unbind();
        }
    }

    @Benchmark
    @OperationsPerInvocation(PAGES)
    public int zeroFillFault(Faulting f) {
        int bad = 0;
        for (int i = 0; i < PAGES; i++) {
            bad += f.space.store(f.cpu, f.region + (long) i * Mman.PAGE_SIZE, i) == AccessResult.OK ? 0 : 1;
        }
        if (bad != 0) {
            throw new IllegalStateException(bad + " stores failed");
        }
        return bad;
    }
}
