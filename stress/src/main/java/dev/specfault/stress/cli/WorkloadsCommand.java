package dev.specfault.stress.cli;

import dev.specfault.stress.workload.Workload;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./specfault workloads}: the workloads of {@code stress}, one line each: name, tab, description. */
@Command(name = "workloads", mixinStandardHelpOptions = true,
        description = "Lists the workloads of 'stress', one line each: name, tab, description.")
public final class WorkloadsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        final java.io.PrintWriter out = spec.commandLine().getOut();
        for (Workload w : Workload.values()) {
            out.println(w.cliName() + "\t" + w.description());
        }
        out.flush();
        return 0;
    }
}
