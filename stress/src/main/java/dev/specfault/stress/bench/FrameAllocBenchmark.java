package dev.specfault.stress.bench;

import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.FrameCache;
import dev.specfault.pmap.phys.PhysicalMemory;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Allocate + zero + free one 4 KiB frame ({@code ./specfault bench FrameAlloc}), ns per cycle per
 * thread, 1 and 2 threads:
 * <ul>
 *   <li>{@code cache}: {@code FrameAllocator.alloc(cache, DATA, zero)} + {@code put(f, cache)}
 *   through the thread's own per-CPU {@code FrameCache} (the fast path: no lock; the limit
 *   counter is the one shared atomic);</li>
 *   <li>{@code global}: the same with no cache: the global free stack's monitor each way;</li>
 *   <li>{@code cachePoison_1t}: {@code cache} with poisoning of freed frames on (the machine's
 *   default, for tests: a second 4 KiB write per cycle);</li>
 *   <li>peers: {@code direct}, {@code ByteBuffer.allocateDirect(4096)} (zeroed by the JDK) freed
 *   at once with Agrona's {@code BufferUtil.free}; {@code pool}, an Agrona {@code UnsafeBuffer}
 *   over a preallocated pool with a plain per-thread free stack and {@code setMemory}: zeroing and
 *   nothing else, the floor.</li>
 * </ul>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class FrameAllocBenchmark {
    static final int LIMIT = 1024;
    static final int THREADS = 2;
    static final int POOL = 64;

    private FrameAllocator frames;
    private FrameAllocator poisoning;

    @Setup(Level.Trial)
    public void setup() {
        frames = new FrameAllocator(new PhysicalMemory(FrameAllocator.framesNeeded(LIMIT, THREADS)), LIMIT, false);
        poisoning = new FrameAllocator(new PhysicalMemory(FrameAllocator.framesNeeded(LIMIT, THREADS)), LIMIT, true);
    }

    @TearDown(Level.Trial)
    public void check() {
        if (frames.inUse() != 0 || poisoning.inUse() != 0) {
            throw new IllegalStateException("frames leaked: " + frames.inUse() + ", " + poisoning.inUse());
        }
    }

    /**
     * One thread's frame cache (a CPU's) and its own peer pool. Frames left in the caches at the end
     * are free, not in use, so the allocator's check holds without a drain; the pool is an aligned
     * slice, left to the GC.
     */
    @State(Scope.Thread)
    public static class Local {
        final FrameCache cache = new FrameCache();
        final FrameCache poisonCache = new FrameCache();
        UnsafeBuffer pool;
        final int[] free = new int[POOL];
        int top;

        @Setup(Level.Trial)
        public void setup() {
            pool = new UnsafeBuffer(BufferUtil.allocateDirectAligned(POOL * PhysicalMemory.PAGE_SIZE,
                    PhysicalMemory.PAGE_SIZE));
            for (int i = POOL - 1; i >= 0; i--) {
                free[top++] = i;
            }
        }

    }

    private long cache(Local l) {
        final long f = frames.alloc(l.cache, FrameAllocator.DATA, true);
        frames.put(f, l.cache);
        return f;
    }

    private long global() {
        final long f = frames.alloc(null, FrameAllocator.DATA, true);
        frames.put(f);
        return f;
    }

    private static int direct() {
        final ByteBuffer bb = ByteBuffer.allocateDirect(PhysicalMemory.PAGE_SIZE);
        final int c = bb.capacity();
        BufferUtil.free(bb);
        return c;
    }

    private static int pool(Local l) {
        final int f = l.free[--l.top];
        l.pool.setMemory(f * PhysicalMemory.PAGE_SIZE, PhysicalMemory.PAGE_SIZE, (byte) 0);
        l.free[l.top++] = f;
        return f;
    }

    @Benchmark
    @Group("cache_1t")
    @GroupThreads(1)
    public long cache1(Local l) {
        return cache(l);
    }

    @Benchmark
    @Group("global_1t")
    @GroupThreads(1)
    public long global1() {
        return global();
    }

    @Benchmark
    @Group("cachePoison_1t")
    @GroupThreads(1)
    public long cachePoison1(Local l) {
        final long f = poisoning.alloc(l.poisonCache, FrameAllocator.DATA, true);
        poisoning.put(f, l.poisonCache);
        return f;
    }

    @Benchmark
    @Group("direct_1t")
    @GroupThreads(1)
    public int direct1() {
        return direct();
    }

    @Benchmark
    @Group("pool_1t")
    @GroupThreads(1)
    public int pool1(Local l) {
        return pool(l);
    }

    @Benchmark
    @Group("cache_2t")
    @GroupThreads(2)
    public long cache2(Local l) {
        return cache(l);
    }

    @Benchmark
    @Group("global_2t")
    @GroupThreads(2)
    public long global2() {
        return global();
    }

    @Benchmark
    @Group("direct_2t")
    @GroupThreads(2)
    public int direct2() {
        return direct();
    }

    @Benchmark
    @Group("pool_2t")
    @GroupThreads(2)
    public int pool2(Local l) {
        return pool(l);
    }
}
