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
        } catch (CommandLineOptionException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "bad JMH option: " + e.getMessage());
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
                spec.commandLine().getErr().println("bench: no benchmark matches " + opts.getIncludes());
                return Specfault.EXIT_ERROR;
            }
            return 0;
        } catch (org.openjdk.jmh.runner.NoBenchmarksException e) {
            spec.commandLine().getErr().println("bench: no benchmark matches " + opts.getIncludes() + " (bench -l lists them)");
            return Specfault.EXIT_ERROR;
        } catch (RunnerException | java.io.IOException e) {
            spec.commandLine().getErr().println("bench: " + (e.getMessage() != null ? Specfault.firstLine(e.getMessage())
                    : e.getClass().getSimpleName()));
            return Specfault.EXIT_ERROR;
        }
    }
}
