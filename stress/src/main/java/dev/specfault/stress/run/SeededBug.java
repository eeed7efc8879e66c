package dev.specfault.stress.run;

import dev.specfault.fault.FaultBug;
import dev.specfault.pmap.PmapBug;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.vma.VmaBug;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A seeded bug of any layer as the command line names it: the design it breaks, the workload that
 * exercises it, a one-line description, and the enum constant that turns it on.
 *
 * @param name        lower-case, words joined by {@code -}
 * @param design      the design it breaks ({@code speculative}, {@code locked}, {@code kernel-lock}, or {@code all})
 * @param workload    the workload {@code stress --inject} runs by default
 * @param description one line
 * @param value       a {@link SrcuBug}, {@link PmapBug}, {@link VmaBug} or {@link FaultBug}
 */
public record SeededBug(String name, String design, String workload, String description, Enum<?> value) {

    /** Every seeded bug of the project. */
    public static List<SeededBug> all() {
        final List<SeededBug> l = new ArrayList<>();
        for (SrcuBug b : SrcuBug.values()) {
            l.add(new SeededBug(b.cliName(), "all", "mmap_churn", "srcu: " + b.description(), b));
        }
        for (PmapBug b : PmapBug.values()) {
            l.add(new SeededBug(b.cliName(), "all", "mmap_churn", "pmap: " + b.description(), b));
        }
        for (VmaBug b : VmaBug.values()) {
            l.add(new SeededBug(b.cliName(), "speculative", "mmap_churn", "vma: " + b.description(), b));
        }
        for (FaultBug b : FaultBug.values()) {
            final String d = b.design().equals("all") ? "speculative" : b.design();
            l.add(new SeededBug(b.cliName(), d, "mmap_churn", "fault: " + b.description(), b));
        }
        return l;
    }

    /** The bug called {@code name}. */
    public static Optional<SeededBug> byName(String name) {
        return all().stream().filter(b -> b.name().equals(name)).findFirst();
    }
}
