package dev.specfault.stress.bench;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuDomain;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The SRCU update side: {@code synchronize()} latency and {@code call()} throughput, with no reader
 * and with 2 reader threads running short read sections ({@code ./specfault bench SrcuGracePeriod}).
 * The readers' own rows show what the update side costs them.
 */
@State(Scope.Group)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
public class SrcuGracePeriodBenchmark {
    private static final Runnable NOOP = () -> { };

    private SrcuDomain domain;

    @Setup(Level.Trial)
    public void setup() {
        domain = SrcuDomain.builder("bench").driver(GracePeriodDriver.shared()).build();
    }

    @TearDown(Level.Iteration)
    public void drain() {
        domain.barrier();
    }

    private void readSection() {
        final int t = domain.readLock();
        Blackhole.consumeCPU(20);
        domain.readUnlock(t);
    }

    @Benchmark
    @Group("synchronize_0r")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void synchronize0() {
        domain.synchronize();
    }

    @Benchmark
    @Group("synchronize_2r")
    @GroupThreads(1)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void synchronize2() {
        domain.synchronize();
    }

    @Benchmark
    @Group("synchronize_2r")
    @GroupThreads(2)
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void synchronize2reader() {
        readSection();
    }

    @Benchmark
    @Group("call_0r")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void call0() {
        domain.call(NOOP);
    }

    @Benchmark
    @Group("call_2r")
    @GroupThreads(1)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void call2() {
        domain.call(NOOP);
    }

    @Benchmark
    @Group("call_2r")
    @GroupThreads(2)
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public void call2reader() {
        readSection();
    }
}
