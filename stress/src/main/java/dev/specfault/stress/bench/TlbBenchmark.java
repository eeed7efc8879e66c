package dev.specfault.stress.bench;

import dev.specfault.pmap.AccessResult;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.phys.PhysicalMemory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * An emulated 8-byte load ({@code Cpu.load}) that hits the TLB, and one that misses and walks the
 * tables (x86 4-level, x86 5-level LA57, arm64 4-level), against the JDK/Agrona peers of the same
 * read: a plain {@code long[]} element and the Agrona acquire read of the same word of physical
 * memory that the emulated load ends in ({@code ./specfault bench Tlb}).
 *
 * <h2>Rows</h2>
 * <ul>
 *   <li>{@code hit}: the same word again and again; the TLB always hits (checked after every
 *   iteration: no walk happened).</li>
 *   <li>{@code miss}: the same word, its TLB entry invalidated before every load
 *   ({@code invalidatePage}, one 4-way set), so every load walks; the host caches stay hot, so this
 *   is the emulator's walk cost. {@code invalidateOnly} is that invalidation alone, to subtract.</li>
 *   <li>{@code missWorkingSet}: one word in each of 1024 pages in turn (64 per TLB set, 4 ways), so
 *   every load misses without any invalidation (checked: one walk per load). Words sit at different
 *   offsets so that they do not alias in the host's caches. Its peer is
 *   {@code peerWorkingSet}: the same 1024 words read directly.</li>
 * </ul>
 * Prefetch is off (a speculative neighbour fill would turn misses into hits). The CPU is bound to
 * the benchmark thread in the thread-scoped state's setup, which JMH runs on that thread.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class TlbBenchmark {
    static final long BASE = 0x7f00_0000_0000L;
    static final int PAGES = 1024;
    static final long PAGE = PhysicalMemory.PAGE_SIZE;
    /** The word of the single-word rows: page 0, byte 192. */
    static final long VA = BASE + 192;

    /** The i-th word of the working set: page i, a cache line that moves with i. */
    static long wsVa(int i) {
        return BASE + i * PAGE + (i % 64) * 64L;
    }

    /** Stores {@code va} at {@code va} (so that every word read is known). */
    static void store(Cpu cpu, long va) {
        final int r = cpu.store(va, va);
        if (r != AccessResult.OK) {
            throw new IllegalStateException("store 0x" + Long.toHexString(va) + ": " + AccessResult.name(r));
        }
    }

    /** One machine of the architecture, one CPU bound to the benchmark thread, 1024 pages mapped. */
    @State(Scope.Thread)
    public static class Emulated {
        @Param({"x86", "x86-la57", "arm64"})
        public String arch;

        Machine machine;
        Cpu cpu;
        BenchSpace space;
        int tag;
        long vpn;
        final long[] ws = new long[PAGES];
        int next;
        private long walks0;
        private long accesses0;

        @Setup(Level.Trial)
        public void setup() {
            final Arch a = Arch.byCliName(arch);
            machine = BenchSpace.machine(a, 1, 4 * PAGES);
            space = new BenchSpace(machine, BASE, BASE + PAGES * PAGE);
            cpu = machine.cpu(0);
            cpu.bind();
            cpu.switchTo(space.pmap);
            space.populate(cpu);
            for (int i = 0; i < PAGES; i++) {
                ws[i] = wsVa(i);
                store(cpu, ws[i]);
            }
            store(cpu, VA);
            tag = cpu.tag();
            vpn = VA >>> PhysicalMemory.PAGE_SHIFT;
            if (cpu.load(VA) != AccessResult.OK || cpu.value() != VA) {
                throw new IllegalStateException("the populated word reads back wrong: " + cpu.value());
            }
        }

        @Setup(Level.Iteration)
        public void mark(BenchmarkParams params) {
            if (params.getBenchmark().endsWith(".missWorkingSet")) {
                cpu.tlb().invalidateAll(); // the setup's last loads are still cached
            }
            walks0 = cpu.stats().walks();
            accesses0 = cpu.stats().accesses();
        }

        /** Fails the run if a row did not do what its name says (JMH runs with -foe true). */
        @TearDown(Level.Iteration)
        public void check(BenchmarkParams params) {
            final long walks = cpu.stats().walks() - walks0;
            final long accesses = cpu.stats().accesses() - accesses0;
            final String b = params.getBenchmark();
            if (b.endsWith(".hit") && walks != 0) {
                throw new IllegalStateException("hit row walked " + walks + " times in " + accesses + " accesses");
            }
            if ((b.endsWith(".miss") || b.endsWith(".missWorkingSet")) && walks != accesses) {
                throw new IllegalStateException("miss row walked " + walks + " times in " + accesses + " accesses");
            }
        }

        @TearDown(Level.Trial)
        public void teardown() {
            cpu.enterLazy();
            cpu.unbind();
        }
    }

    /** The peers: a long[] and the physical memory of an x86 machine with the same pages mapped. */
    @State(Scope.Thread)
    public static class Peer {
        final long[] array = new long[512];
        int index = 24;
        PhysicalMemory mem;
        long frame;
        int word;
        final long[] wsFrame = new long[PAGES];
        final int[] wsWord = new int[PAGES];
        int next;

        @Setup(Level.Trial)
        public void setup() {
            final Machine m = BenchSpace.machine(Arch.X86_64, 1, 4 * PAGES);
            final BenchSpace space = new BenchSpace(m, BASE, BASE + PAGES * PAGE);
            final Cpu cpu = m.cpu(0);
            cpu.bind();
            cpu.switchTo(space.pmap);
            space.populate(cpu);
            mem = m.memory();
            frame = space.frameOf(VA);
            word = (int) (VA & (PAGE - 1)) >>> 3;
            for (int i = 0; i < PAGES; i++) {
                store(cpu, wsVa(i));
                wsFrame[i] = space.frameOf(wsVa(i));
                wsWord[i] = (int) (wsVa(i) & (PAGE - 1)) >>> 3;
            }
            store(cpu, VA);
            array[index] = VA;
            if (mem.getAcquire(frame, word) != VA) {
                throw new IllegalStateException("the peer reads another word than the emulated load");
            }
            cpu.enterLazy();
            cpu.unbind();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Emulated loads

    @Benchmark
    public long hit(Emulated e) {
        return e.cpu.load(VA) + e.cpu.value();
    }

    @Benchmark
    public long miss(Emulated e) {
        e.cpu.tlb().invalidatePage(e.tag, e.vpn);
        return e.cpu.load(VA) + e.cpu.value();
    }

    @Benchmark
    public int invalidateOnly(Emulated e) {
        return e.cpu.tlb().invalidatePage(e.tag, e.vpn);
    }

    @Benchmark
    public long missWorkingSet(Emulated e) {
        final int i = e.next;
        e.next = (i + 1) & (PAGES - 1);
        return e.cpu.load(e.ws[i]) + e.cpu.value();
    }

    // ------------------------------------------------------------------------------------------
    // Peers

    @Benchmark
    public long peerLongArray(Peer p) {
        return p.array[p.index];
    }

    @Benchmark
    public long peerAgronaAcquire(Peer p) {
        return p.mem.getAcquire(p.frame, p.word);
    }

    @Benchmark
    public long peerWorkingSet(Peer p) {
        final int i = p.next;
        p.next = (i + 1) & (PAGES - 1);
        return p.mem.getAcquire(p.wsFrame[i], p.wsWord[i]);
    }
}
