package dev.specfault.stress.bench;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The SRCU read side (lock + unlock, fence included) against the JDK's read locks, with 1 and 2
 * threads, in one run: {@code ./specfault bench SrcuRead}. Each group is one configuration; the
 * figure to compare is ns per lock+unlock pair, per thread.
 */
@State(Scope.Group)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class SrcuReadBenchmark {
    private SrcuDomain domain;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final StampedLock stamped = new StampedLock();

    @Setup
    public void setup() {
        domain = SrcuDomain.builder("bench").driver(GracePeriodDriver.shared()).build();
    }

    private int srcu() {
        final int t = domain.readLock();
        domain.readUnlock(t);
        return t;
    }

    private int rwlock() {
        rw.readLock().lock();
        rw.readLock().unlock();
        return 0;
    }

    private long stampedLock() {
        final long s = stamped.readLock();
        stamped.unlockRead(s);
        return s;
    }

    @Benchmark
    @Group("srcu_1t")
    @GroupThreads(1)
    public int srcu1() {
        return srcu();
    }

    @Benchmark
    @Group("srcu_2t")
    @GroupThreads(2)
    public int srcu2() {
        return srcu();
    }

    @Benchmark
    @Group("rwlock_1t")
    @GroupThreads(1)
    public int rwlock1() {
        return rwlock();
    }

    @Benchmark
    @Group("rwlock_2t")
    @GroupThreads(2)
    public int rwlock2() {
        return rwlock();
    }

    @Benchmark
    @Group("stamped_1t")
    @GroupThreads(1)
    public long stamped1() {
        return stampedLock();
    }

    @Benchmark
    @Group("stamped_2t")
    @GroupThreads(2)
    public long stamped2() {
        return stampedLock();
    }
}
