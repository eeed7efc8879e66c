package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.FileObject;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.HdrHistogram.Recorder;

/**
 * What every thread of one cell shares: the space (and its machine), the file object of the file
 * workloads, each faulting thread's region size, the touch-latency recorders (faulting threads', writers'), where violations and
 * counted events go, and the workload's own shared state ({@link Workload#start}).
 *
 * <p>Thread ids: faulting threads are {@code 0 .. threads-1}, writer threads
 * {@code threads .. threads+writers-1}; each thread's id is also its CPU's.
 */
public final class WorkloadContext {
    private final AddressSpace space;
    private final FileObject file;
    private final long bytes;
    private final Recorder latency;
    /** The writer threads' own touches: kept apart, so that the faulting threads' figures are theirs. */
    private final Recorder writerLatency = new Recorder(3);
    private final Consumer<String> violation;
    private final int threads;
    private final int writers;
    private final Supplier<AddressSpace> spawn;
    /** Per faulting thread: the address it is storing to now (fork_storm reads it in the child). */
    private final AtomicLongArray cursor;
    private final LongAdder sigsegv = new LongAdder();
    private final LongAdder sigbus = new LongAdder();
    private final LongAdder forks = new LongAdder();
    private final LongAdder forkFailures = new LongAdder();
    private final LongAdder exits = new LongAdder();
    private volatile Object state;
    /**
     * When the cell ends ({@link System#nanoTime()}): a faulting thread stops its round there, so
     * that a large region (1 GiB per thread) does not run the cell seconds past its time, or past
     * the watchdog's 10 s, which would call it a hang. Set before the threads start.
     */
    private volatile long deadline = Long.MAX_VALUE;

    /**
     * @param space     the cell's space
     * @param file      the file object of page_fault2/3 (or {@code null})
     * @param bytes     each faulting thread's region per round
     * @param latency   touch latencies in ns
     * @param violation where a broken invariant is reported (one line)
     */
    public WorkloadContext(AddressSpace space, FileObject file, long bytes, Recorder latency,
                           Consumer<String> violation) {
        this(space, file, bytes, latency, violation, 1, 0, null);
    }

    /**
     * @param threads faulting threads
     * @param writers writer threads
     * @param spawn   builds a fresh space like the cell's (same design, machine, bugs) for the
     *                workloads that need spaces of their own (stack_growth); may be null
     */
    public WorkloadContext(AddressSpace space, FileObject file, long bytes, Recorder latency,
                           Consumer<String> violation, int threads, int writers, Supplier<AddressSpace> spawn) {
        this.space = space;
        this.file = file;
        this.bytes = bytes;
        this.latency = latency;
        this.violation = violation;
        this.threads = threads;
        this.writers = writers;
        this.spawn = spawn;
        this.cursor = new AtomicLongArray(Math.max(1, threads));
    }

    public AddressSpace space() {
        return space;
    }

    /** Sets when the cell ends (before its threads start). */
    public void deadline(long nanoTime) {
        deadline = nanoTime;
    }

    /** Whether the cell's time is up: a round stops where it is (checked every 64 pages). */
    public boolean timeUp() {
        return System.nanoTime() - deadline >= 0;
    }

    public Machine machine() {
        return space.machine();
    }

    public FileObject file() {
        return file;
    }

    public long bytes() {
        return bytes;
    }

    /** The faulting threads' touch latencies (ns). */
    public Recorder latency() {
        return latency;
    }

    /** The writer threads' own touch latencies (ns), e.g. mmap_churn's one store per step. */
    public Recorder writerLatency() {
        return writerLatency;
    }

    /**
     * Where a touch made on {@code cpu} is recorded: a cell binds thread {@code i} to CPU
     * {@code i}, faulting threads first, so a CPU at or past {@link #threads()} is a writer's.
     */
    public Recorder latency(Cpu cpu) {
        return cpu.id() < threads ? latency : writerLatency;
    }

    /** Faulting threads of the cell. */
    public int threads() {
        return threads;
    }

    /** Writer threads of the cell. */
    public int writers() {
        return writers;
    }

    /** A fresh space like the cell's, or null if the cell gave no factory. */
    public AddressSpace spawn() {
        return spawn == null ? null : spawn.get();
    }

    /** Faulting thread {@code t}'s current store address (0: none). */
    public long cursor(int t) {
        return cursor.get(t);
    }

    void setCursor(int t, long va) {
        if (t < threads) {
            cursor.lazySet(t, va);
        }
    }

    /** The workload's shared state ({@link Workload#start}), or null. */
    public Object state() {
        return state;
    }

    void state(Object s) {
        this.state = s;
    }

    /** Reports a broken invariant. */
    public void violation(String what) {
        violation.accept(what);
    }

    /** Counts an expected SIGSEGV (a workload that probes past a limit). */
    public void sigsegv() {
        sigsegv.increment();
    }

    /** Counts an expected SIGBUS. */
    public void sigbus() {
        sigbus.increment();
    }

    /** Counts a fork. */
    public void fork() {
        forks.increment();
    }

    /** Counts a fork that returned ENOMEM (no frame for the child's tables). */
    public void forkFailed() {
        forkFailures.increment();
    }

    /** Counts an exit of a space other than the cell's. */
    public void exit() {
        exits.increment();
    }

    public long sigsegvCount() {
        return sigsegv.sum();
    }

    public long sigbusCount() {
        return sigbus.sum();
    }

    public long forkCount() {
        return forks.sum();
    }

    public long forkFailureCount() {
        return forkFailures.sum();
    }

    public long exitCount() {
        return exits.sum();
    }
}
