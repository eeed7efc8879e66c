package dev.specfault.stress.compare;

import dev.specfault.pmap.Arch;
import dev.specfault.stress.workload.Workload;
import java.util.Objects;

/**
 * One group of the matrix: a workload with its thread counts on one architecture. Every design of
 * the comparison runs every group, interleaved (A B C A B C …).
 *
 * @param arch     the architecture
 * @param workload the workload
 * @param threads  faulting threads
 * @param writers  writer threads
 */
public record Group(Arch arch, Workload workload, int threads, int writers) {
    public Group {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(workload, "workload");
    }

    /** {@code page_fault1 2t} or {@code mmap_churn 1t+1w}. */
    public String load() {
        return workload.cliName() + " " + threads + "t" + (writers > 0 ? "+" + writers + "w" : "");
    }

    /** {@code x86 page_fault1 2t}. */
    public String label() {
        return arch.cliName() + " " + load();
    }
}
