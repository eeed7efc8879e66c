package dev.specfault.stress.cli;

import dev.specfault.stress.Specfault;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code ./specfault bench [regex] [JMH options]}: the JMH benchmarks of every module, through JMH's
 * runner API, with JMH's own options passed through ({@code -wi}, {@code -i}, {@code -f},
 * {@code -t}, {@code -p}, {@code -rf json}, {@code -l} to list, {@code -h} for JMH's help).
 * {@code -foe true} is the default: a benchmark that throws fails the run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Runs the JMH benchmarks (package dev.specfault.stress.bench).",
                "Arguments are JMH's: a benchmark regex and options such as -wi 1 -i 3 -f 1 -t 2,",
                "-l to list the benchmarks (-lp with their parameters), -rf json -rff FILE to save results. -foe true is the default."})
public final class BenchCommand implements Callable<Integer> {

    @Parameters(arity = "0..*", paramLabel = "JMH_ARG", description = "a benchmark regex and JMH options")
    List<String> jmhArgs = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final List<String> args = new ArrayList<>(jmhArgs);
        if (!args.contains("-foe")) {
            args.add("-foe");
            args.add("true");
        }
        final CommandLineOptions opts;
        try {
            opts = new CommandLineOptions(args.toArray(String[]::new));
        } catch (CommandLineOptionException | IllegalStateException | IllegalArgumentException e) {
            // JMH's parser says what is wrong in its message (an unknown -bm is an IllegalStateException
            // whose second line lists the modes): the message, on one line, not the exception's class.
            throw new CommandLine.ParameterException(spec.commandLine(), "bad JMH option: " + optionMessage(e));
        }
        final CommandLine cl = spec.commandLine();
        for (String re : opts.getIncludes()) {
            try {
                java.util.regex.Pattern.compile(re);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new CommandLine.ParameterException(cl, "bad benchmark regex '" + quoted(re) + "': "
                        + Specfault.oneLine(e.getDescription()));
            }
        }
        // JMH writes these after the run: a path that cannot take them is an error now, not a lost
        // run (a directory) or a false success (/dev/full).
        if (opts.getResult().hasValue()) {
            Outputs.file(cl, "-rff", java.nio.file.Path.of(opts.getResult().get()));
        }
        if (opts.getOutput().hasValue()) {
            Outputs.file(cl, "-o", java.nio.file.Path.of(opts.getOutput().get()));
        }
        try {
            if (opts.shouldHelp()) {
                opts.showHelp();
                return 0;
            }
            final Runner runner = new Runner(opts);
            if (opts.shouldList()) {
                runner.list();
                return 0;
            }
            if (opts.shouldListWithParams()) {
                runner.listWithParams(opts);
                return 0;
            }
            final Collection<RunResult> results = runner.run();
            if (results.isEmpty()) {
                spec.commandLine().getErr().println("bench: no benchmark matches " + quoted(opts.getIncludes().toString()));
                return Specfault.EXIT_ERROR;
            }
            return 0;
        } catch (org.openjdk.jmh.runner.NoBenchmarksException e) {
            spec.commandLine().getErr().println("bench: no benchmark matches " + quoted(opts.getIncludes().toString())
                    + " (bench -l lists them)");
            return Specfault.EXIT_ERROR;
        } catch (RunnerException | java.io.IOException e) {
            spec.commandLine().getErr().println("bench: " + Specfault.oneLine(reasons(e)));
            return Specfault.EXIT_ERROR;
        }
    }

    /** A JMH option error's message on one line; an unknown enum value with the values it may take. */
    static String optionMessage(Exception e) {
        final String m = e.getMessage() == null ? "" : e.getMessage().strip();
        if (m.startsWith("No enum constant ")) { // Enum.valueOf's message: "No enum constant pkg.Type.VALUE"
            final String q = m.substring("No enum constant ".length());
            final int dot = q.lastIndexOf('.');
            try {
                final Class<?> c = Class.forName(q.substring(0, Math.max(dot, 0)));
                if (c.isEnum()) {
                    return "unknown value '" + q.substring(dot + 1).toLowerCase(java.util.Locale.ROOT) + "' (one of "
                            + String.join(", ", java.util.Arrays.stream(c.getEnumConstants())
                            .map(x -> x.toString().toLowerCase(java.util.Locale.ROOT)).toList()) + ")";
                }
            } catch (ClassNotFoundException | LinkageError ex) {
                // the message as it is
            }
        }
        return String.join("; ", m.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }

    /**
     * A failed run's message and the reasons under it, from its causes and the errors JMH collected
     * as suppressed exceptions ("Benchmark caught the exception: Forked VM failed with exit code 1"),
     * each once; a reason without a message is its exception's name.
     */
    static String reasons(Throwable e) {
        final List<String> parts = new ArrayList<>();
        collect(e, parts, java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>()));
        return parts.isEmpty() ? e.getClass().getSimpleName() : String.join(": ", parts);
    }

    private static void collect(Throwable t, List<String> parts, java.util.Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        final String m = Specfault.firstLine(t.getMessage());
        final boolean wrapper = t.getCause() != null && t.getMessage() != null && t.getMessage().equals(t.getCause().toString());
        if (!wrapper && !m.equals("Benchmark error")) { // BenchmarkException's own words say nothing
            final String p = m.isEmpty() ? t.getClass().getSimpleName() : m;
            if (!parts.contains(p)) {
                parts.add(p);
            }
        }
        for (Throwable s : t.getSuppressed()) {
            collect(s, parts, seen);
        }
        collect(t.getCause(), parts, seen);
    }

    /** An argument quoted in an error line: its line breaks shown as '?' too, not cut at. */
    private static String quoted(String arg) {
        return Specfault.oneLine(arg.replace('\n', '?').replace('\r', '?'));
    }
}
