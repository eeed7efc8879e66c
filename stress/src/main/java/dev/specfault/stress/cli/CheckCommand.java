package dev.specfault.stress.cli;

import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.check.CheckConfig;
import dev.specfault.fault.check.LinearizabilityCheck;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.PmapBug;
import dev.specfault.stress.Specfault;
import dev.specfault.vma.VmaBug;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.jetbrains.lincheck.LincheckAssertionError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./specfault check}: the P8 linearizability harness (the tests' own) on one design and
 * architecture, by model checking or in stress mode, optionally with a seeded bug. A violation is
 * a {@code VIOLATION} line, then Lincheck's report, and exit code 1.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Checks linearizability (P8) of one address space with Lincheck, and P0/P1/P5 between operations.",
                "Exit code 1 with a VIOLATION line if an execution is not linearizable or an invariant breaks."})
public final class CheckCommand implements Callable<Integer> {
    @Option(names = "--design", defaultValue = "speculative", description = "speculative, locked or kernel-lock (default ${DEFAULT-VALUE})")
    String design;

    @Option(names = "--arch", defaultValue = "x86", description = "x86, x86-la57 or arm64 (default ${DEFAULT-VALUE})")
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

    @Option(names = "--inject", paramLabel = "BUG", description = "a seeded bug (see ./specfault stress --inject list)")
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final CommandLine cl = spec.commandLine();
        final PrintWriter out = cl.getOut();
        final Design d = design(cl, design);
        final Arch a = arch(cl, arch);
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
        CheckConfig c = CheckConfig.of(d, a);
        if (inject != null) {
            c = withBug(cl, c, inject);
        }
        final LinearizabilityCheck.Budget b = new LinearizabilityCheck.Budget(iterations, invocations, threads, actors, true);
        final long t0 = System.nanoTime();
        try {
            if (mode.equals("model")) {
                LinearizabilityCheck.modelCheck(c, b);
            } else {
                LinearizabilityCheck.stress(c, b);
            }
        } catch (LincheckAssertionError e) {
            out.println("VIOLATION P8 " + c + " (" + mode + "): " + Specfault.firstLine(e.getMessage()));
            out.println(e.getMessage());
            return Specfault.EXIT_VIOLATION;
        }
        out.printf("check %s (%s, %d x %d invocations, %d threads x %d actors): linearizable, invariants held (%.1f s)%n",
                c, mode, iterations, invocations, threads, actors, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** An architecture by its command-line name, or a one-line parameter error. */
    public static Arch arch(CommandLine cl, String name) {
        final Arch a = Arch.byCliName(name);
        if (a == null) {
            throw new CommandLine.ParameterException(cl, "unknown architecture '" + name + "' (x86, x86-la57, arm64)");
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

    static CheckConfig withBug(CommandLine cl, CheckConfig c, String name) {
        for (FaultBug b : FaultBug.values()) {
            if (b.cliName().equals(name)) {
                return c.with(b);
            }
        }
        for (VmaBug b : VmaBug.values()) {
            if (b.cliName().equals(name)) {
                return c.with(b);
            }
        }
        for (PmapBug b : PmapBug.values()) {
            if (b.cliName().equals(name)) {
                return c.with(b);
            }
        }
        throw new CommandLine.ParameterException(cl, "unknown seeded bug '" + name + "'");
    }
}
