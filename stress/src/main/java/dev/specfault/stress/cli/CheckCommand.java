package dev.specfault.stress.cli;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.check.CheckConfig;
import dev.specfault.fault.check.FileLinearizability;
import dev.specfault.fault.check.LazyFreeLinearizability;
import dev.specfault.fault.check.LinearizabilityCheck;
import dev.specfault.fault.check.SpaceLinearizability;
import dev.specfault.fault.check.WindowHarness;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.PmapBug;
import dev.specfault.stress.Specfault;
import dev.specfault.stress.run.SeededBug;
import dev.specfault.vma.VmaBug;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jetbrains.lincheck.LincheckAssertionError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./specfault check}: a P8 linearizability harness (the tests' own: anon, lazy-free, seal or file) on each design ×
 * architecture asked for, by model checking or in stress mode, optionally with a seeded bug. A
 * violation is a {@code VIOLATION} line, then Lincheck's report, and exit code 1 (the other
 * combinations still run).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Checks linearizability (P8) of an address space with Lincheck, and P0/P1/P5 between operations,",
                "on each design x architecture given.",
                "Exit code 1 with a VIOLATION line if an execution is not linearizable or an invariant breaks."})
public final class CheckCommand implements Callable<Integer> {
    @Option(names = "--design", description = "speculative, locked, kernel-lock or all; a comma list allowed"
            + " (default speculative; with --inject, the design the bug breaks)")
    String design;

    @Option(names = "--arch", description = "x86, x86-la57, arm64 or all; a comma list allowed"
            + " (default x86; with --inject, the bug's architecture)")
    String arch;

    @Option(names = "--mode", defaultValue = "model", description = "model (model checking) or stress (default ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--iterations", defaultValue = "2", description = "Lincheck iterations (default ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--invocations", defaultValue = "100", description = "invocations per iteration (default ${DEFAULT-VALUE})")
    int invocations;

    @Option(names = "--threads", defaultValue = "2", description = "parallel threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--actors", defaultValue = "3", description = "operations per thread (default ${DEFAULT-VALUE})")
    int actors;

    @Option(names = "--harness", paramLabel = "H", description = "anon (private anonymous memory: mmap, munmap, mprotect,"
            + " madvise, mremap, load, store), lazy-free (anon with MADV_FREE and reclaim), seal (anon with mseal) or file (shared and private"
            + " mappings of a file at any offset, mremap, pread, pwrite, ftruncate); default anon, with --inject the bug's")
    String harness;

    @Option(names = "--inject", paramLabel = "BUG", description = "a seeded bug (see ./specfault stress --inject list)")
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final CommandLine cl = spec.commandLine();
        final PrintWriter out = cl.getOut();
        if (System.getProperty("lincheck.logLevel") == null) {
            // Lincheck's transformer warns once per field it cannot take an offset of (static
            // constants, lambdas' captures): two dozen [WARN] lines on a run that passed. Its
            // errors and its report of a failure are kept; -Dlincheck.logLevel=WARN brings them back.
            System.setProperty("lincheck.logLevel", "ERROR");
        }
        final SeededBug bug = inject == null ? null : SeededBug.byName(inject).orElseThrow(
                () -> new CommandLine.ParameterException(cl, "unknown seeded bug '" + inject + "' (stress --inject list)"));
        final List<Design> designs = design != null ? StressCommand.designs(cl, design)
                : List.of(bug != null && !bug.design().equals("all") ? bug.defaultDesign() : Design.SPECULATIVE);
        final List<Arch> archs = StressCommand.archs(cl, arch != null ? arch : bug != null ? bug.arch().cliName() : "x86");
        if (!mode.equals("model") && !mode.equals("stress")) {
            throw new CommandLine.ParameterException(cl, "unknown mode '" + mode + "' (model, stress)");
        }
        if (iterations < 1 || invocations < 1) {
            throw new CommandLine.ParameterException(cl, "--iterations and --invocations must be positive");
        }
        if (threads < 1 || threads > 4) {
            throw new CommandLine.ParameterException(cl, "--threads must be 1..4");
        }
        if (actors < 1 || actors > 8) {
            throw new CommandLine.ParameterException(cl, "--actors must be 1..8");
        }
        if (bug != null) {
            for (Design d : designs) {
                if (!bug.appliesTo(d)) {
                    throw new CommandLine.ParameterException(cl, "--inject " + inject + " breaks the " + bug.design()
                            + " design, not " + d.cliName());
                }
            }
            for (Arch a : archs) {
                if (!bug.appliesTo(a)) {
                    throw new CommandLine.ParameterException(cl, "--inject " + bug.notOn(a));
                }
            }
            for (SeededBug sb : java.util.stream.Stream.concat(java.util.stream.Stream.of(bug), bug.companions().stream()).toList()) {
                final String needs = sb.beyondTheHarness();
                if (needs != null) {
                    throw new CommandLine.ParameterException(cl, "--inject " + sb.name() + " needs " + needs
                            + ", which the linearizability harnesses do not have (one space: mmap, munmap, mprotect,"
                            + " madvise, mremap, load, store, files): stress --inject " + bug.name() + " shows it");
                }
            }
        }
        final String h = harness != null ? harness : bug != null ? bug.harness() : "anon";
        final Class<? extends WindowHarness> harnessClass;
        switch (h) {
            case "anon": harnessClass = SpaceLinearizability.class; break;
            case "lazy-free": harnessClass = LazyFreeLinearizability.class; break;
            case "seal": harnessClass = dev.specfault.fault.check.SealLinearizability.class; break;
            case "file": harnessClass = FileLinearizability.class; break;
            default: throw new CommandLine.ParameterException(cl, "unknown harness '" + h + "' (anon, lazy-free, seal, file)");
        }
        final LinearizabilityCheck.Budget b = new LinearizabilityCheck.Budget(iterations, invocations, threads, actors, true);
        boolean violated = false;
        boolean failed = false;
        for (Design d : designs) {
            for (Arch a : archs) {
                CheckConfig c = CheckConfig.of(d, a);
                if (bug != null) {
                    c = withBug(cl, c, bug);
                }
                final long t0 = System.nanoTime();
                try {
                    if (mode.equals("model")) {
                        LinearizabilityCheck.modelCheck(c, b, harnessClass);
                    } else {
                        LinearizabilityCheck.stress(c, b, harnessClass);
                    }
                } catch (LincheckAssertionError e) {
                    out.println("VIOLATION P8 " + c + " (" + h + " harness, " + mode + "): " + Specfault.firstLine(e.getMessage()));
                    out.println(e.getMessage());
                    violated = true;
                    continue;
                } catch (RuntimeException e) {
                    // One combination failing (not a violation) does not hide another's violation.
                    cl.getErr().println("check: " + c + ": " + e.getClass().getSimpleName() + ": "
                            + Specfault.firstLine(e.getMessage()));
                    failed = true;
                    continue;
                }
                out.printf("check %s (%s harness, %s, %d x %d invocations, %d threads x %d actors): linearizable, invariants held (%.1f s)%s%n",
                        c, h, mode, iterations, invocations, threads, actors, (System.nanoTime() - t0) / 1e9,
                        bug == null ? "" : "; the seeded bug was not found in this budget (more --iterations or"
                                + " --invocations may find it; stress --inject " + bug.name() + " shows it)");
            }
        }
        return violated ? Specfault.EXIT_VIOLATION : failed ? Specfault.EXIT_ERROR : 0;
    }

    /**
     * An architecture by its command-line name, or a one-line parameter error. The error lists no
     * names: a command may take fewer than every architecture (replay refuses x86-la57) and its
     * --help, which the error points to, says which; {@link #arch(CommandLine, String, String)} lists them.
     */
    public static Arch arch(CommandLine cl, String name) {
        return arch(cl, name, null);
    }

    /** An architecture by its command-line name, or a one-line parameter error listing {@code known} (when set). */
    static Arch arch(CommandLine cl, String name, String known) {
        final Arch a = Arch.byCliName(name);
        if (a == null) {
            throw new CommandLine.ParameterException(cl, "unknown architecture '" + name + "'"
                    + (known == null ? "" : " (" + known + ")"));
        }
        return a;
    }

    /** A design by its command-line name, or a one-line parameter error. */
    public static Design design(CommandLine cl, String name) {
        try {
            return Design.byCliName(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
    }

    /** The configuration with {@code bug} and its companions on; an SRCU bug is not the harness's. */
    static CheckConfig withBug(CommandLine cl, CheckConfig c, SeededBug bug) {
        CheckConfig out = c;
        final List<SeededBug> all = new ArrayList<>(List.of(bug));
        all.addAll(bug.companions());
        for (SeededBug sb : all) {
            if (sb.value() instanceof FaultBug fb) {
                out = out.with(fb);
            } else if (sb.value() instanceof VmaBug vb) {
                out = out.with(vb);
            } else if (sb.value() instanceof PmapBug pb) {
                out = out.with(pb);
            } else {
                throw new CommandLine.ParameterException(cl, "--inject " + sb.name() + " is not a bug of the address"
                        + " space this harness checks (use stress --inject " + bug.name() + ")");
            }
        }
        return out;
    }
}
