package dev.specfault.fault.check;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.PmapBug;
import dev.specfault.vma.VmaBug;
import java.util.EnumSet;
import java.util.Set;

/**
 * What one linearizability check runs: a design on an architecture, with seeded bugs (fault, vma
 * and pmap layers) or none, and where SRCU callbacks run: at the end of their grace period on the
 * thread that ended it ({@link dev.specfault.srcu.GracePeriodDriver#inline()}), or, with
 * {@code deferredCallbacks}, at the next system call of the thread that queued them, as the
 * production driver places them ({@link dev.specfault.srcu.GracePeriodDriver#inlineDeferring()}).
 */
public record CheckConfig(Design design, Arch arch, Set<FaultBug> bugs, Set<VmaBug> vmaBugs, Set<PmapBug> pmapBugs,
                          boolean deferredCallbacks) {
    public CheckConfig {
        bugs = bugs.isEmpty() ? EnumSet.noneOf(FaultBug.class) : EnumSet.copyOf(bugs);
        vmaBugs = vmaBugs.isEmpty() ? EnumSet.noneOf(VmaBug.class) : EnumSet.copyOf(vmaBugs);
        pmapBugs = pmapBugs.isEmpty() ? EnumSet.noneOf(PmapBug.class) : EnumSet.copyOf(pmapBugs);
    }

    public static CheckConfig of(Design design, Arch arch) {
        return new CheckConfig(design, arch, Set.of(), Set.of(), Set.of(), false);
    }

    /** The same check with callbacks deferred to the threads that queued them. */
    public CheckConfig withDeferredCallbacks() {
        return new CheckConfig(design, arch, bugs, vmaBugs, pmapBugs, true);
    }

    public CheckConfig with(FaultBug b) {
        final EnumSet<FaultBug> s = EnumSet.noneOf(FaultBug.class);
        s.addAll(bugs);
        s.add(b);
        return new CheckConfig(design, arch, s, vmaBugs, pmapBugs, deferredCallbacks);
    }

    public CheckConfig with(VmaBug b) {
        final EnumSet<VmaBug> s = EnumSet.noneOf(VmaBug.class);
        s.addAll(vmaBugs);
        s.add(b);
        return new CheckConfig(design, arch, bugs, s, pmapBugs, deferredCallbacks);
    }

    public CheckConfig with(PmapBug b) {
        final EnumSet<PmapBug> s = EnumSet.noneOf(PmapBug.class);
        s.addAll(pmapBugs);
        s.add(b);
        return new CheckConfig(design, arch, bugs, vmaBugs, s, deferredCallbacks);
    }

    @Override
    public String toString() {
        final StringBuilder b = new StringBuilder(design.cliName()).append('/').append(arch.cliName());
        bugs.forEach(x -> b.append(" +").append(x.cliName()));
        vmaBugs.forEach(x -> b.append(" +").append(x.cliName()));
        pmapBugs.forEach(x -> b.append(" +").append(x.cliName()));
        if (deferredCallbacks) {
            b.append(" (deferred callbacks)");
        }
        return b.toString();
    }
}
