package dev.specfault.stress.run;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.workload.Workload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * @param also      more seeded bugs to turn on beside it (a bug's companion: the reclamation bug
 *                  that makes a missing check observable); may be empty, and {@code bug} null
 * @param vmaQuarantine freed VMA records and tree nodes that wait before reuse ({@link
 *                  dev.specfault.fault.SpaceOptions#vmaQuarantine}); -1 for the space's default
 */
public record CellSpec(Design design, Arch arch, Workload workload, int threads, int writers, Duration duration,
                       int regionMiB, long seed, SeededBug bug, List<SeededBug> also, int vmaQuarantine) {
    /** A cell with at most one seeded bug and the default quarantine. */
    public CellSpec(Design design, Arch arch, Workload workload, int threads, int writers, Duration duration,
                    int regionMiB, long seed, SeededBug bug) {
        this(design, arch, workload, threads, writers, duration, regionMiB, seed, bug, List.of(), -1);
    }

    public CellSpec {
        also = List.copyOf(also);
        Objects.requireNonNull(design, "design");
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(duration, "duration");
        if (threads < 1 || writers < 0 || regionMiB < 1 || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("bad cell: " + threads + " threads, " + writers + " writers, "
                    + regionMiB + " MiB, " + duration);
        }
    }

    /** The same cell on {@code d} and {@code a}. */
    public CellSpec on(Design d, Arch a) {
        return new CellSpec(d, a, workload, threads, writers, duration, regionMiB, seed, bug, also, vmaQuarantine);
    }

    /** {@code design/arch/workload} with the thread counts, for messages. */
    public String label() {
        final StringBuilder b = new StringBuilder(design.cliName() + "/" + arch.cliName() + "/" + workload.cliName()
                + " " + threads + "t" + (writers > 0 ? "+" + writers + "w" : ""));
        for (SeededBug x : bugs()) {
            b.append(" +").append(x.name());
        }
        if (vmaQuarantine >= 0) {
            b.append(" quarantine=").append(vmaQuarantine);
        }
        return b.toString();
    }

    /** Every seeded bug the cell turns on: {@code bug} first, then {@code also}. */
    public List<SeededBug> bugs() {
        final List<SeededBug> l = new ArrayList<>();
        if (bug != null) {
            l.add(bug);
        }
        for (SeededBug x : also) {
            if (!l.contains(x)) {
                l.add(x);
            }
        }
        return l;
    }
}
