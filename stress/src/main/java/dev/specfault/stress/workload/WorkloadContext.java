package dev.specfault.stress.workload;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.FileObject;
import dev.specfault.pmap.Machine;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Recorder;

/**
 * What every thread of one cell shares: the space (and its machine), the file object of the file
 * workloads, each faulting thread's region size, the touch-latency recorder, and where violations
 * and counted events go.
 */
public final class WorkloadContext {
    private final AddressSpace space;
    private final FileObject file;
    private final long bytes;
    private final Recorder latency;
    private final Consumer<String> violation;
    private final LongAdder sigsegv = new LongAdder();
    private final LongAdder sigbus = new LongAdder();
    private final LongAdder forks = new LongAdder();

    /**
     * @param space     the cell's space
     * @param file      the file object of page_fault2/3 (or {@code null})
     * @param bytes     each faulting thread's region per round
     * @param latency   touch latencies in ns
     * @param violation where a broken invariant is reported (one line)
     */
    public WorkloadContext(AddressSpace space, FileObject file, long bytes, Recorder latency,
                           Consumer<String> violation) {
        this.space = space;
        this.file = file;
        this.bytes = bytes;
        this.latency = latency;
        this.violation = violation;
    }

    public AddressSpace space() {
        return space;
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

    public Recorder latency() {
        return latency;
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

    public long sigsegvCount() {
        return sigsegv.sum();
    }

    public long sigbusCount() {
        return sigbus.sum();
    }

    public long forkCount() {
        return forks.sum();
    }
}
