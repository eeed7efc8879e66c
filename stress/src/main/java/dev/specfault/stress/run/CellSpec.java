package dev.specfault.stress.run;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.workload.Workload;
import java.time.Duration;
import java.util.Objects;

/**
 * One cell of a run: a design on an architecture under a workload.
 *
 * @param design    the design
 * @param arch      the architecture
 * @param workload  the workload
 * @param threads   faulting threads
 * @param writers   writer threads (0 for a workload without them)
 * @param duration  how long the threads run
 * @param regionMiB each faulting thread's region per round
 * @param seed      the random seed
 * @param bug       a seeded bug to turn on, or {@code null}
 */
public record CellSpec(Design design, Arch arch, Workload workload, int threads, int writers, Duration duration,
                       int regionMiB, long seed, SeededBug bug) {
    public CellSpec {
        Objects.requireNonNull(design, "design");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(duration, "duration");
        if (threads < 1 || writers < 0 || regionMiB < 1 || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("bad cell: " + threads + " threads, " + writers + " writers, "
                    + regionMiB + " MiB, " + duration);
        }
    }

    /** {@code design/arch/workload} with the thread counts, for messages. */
    public String label() {
        return design.cliName() + "/" + arch.cliName() + "/" + workload.cliName() + " " + threads + "t"
                + (writers > 0 ? "+" + writers + "w" : "") + (bug == null ? "" : " +" + bug.name());
    }
}
