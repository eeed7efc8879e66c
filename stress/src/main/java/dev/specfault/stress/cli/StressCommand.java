package dev.specfault.stress.cli;

import dev.specfault.fault.Design;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.Specfault;
import dev.specfault.stress.run.Cell;
import dev.specfault.stress.run.CellResult;
import dev.specfault.stress.run.CellSpec;
import dev.specfault.stress.run.SeededBug;
import dev.specfault.stress.workload.Workload;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./specfault stress}: a workload on every chosen design × architecture, one cell after the
 * other, each on its own machine and space, with the invariant checks on: P4 on every touch (the
 * tagged value reads back), P3 (the use-after-free log), P0/P1/P5 in the quiet state after the
 * run, P6 after exit. A violation is a {@code VIOLATION} line and exit code 1.
 */
@Command(name = "stress", mixinStandardHelpOptions = true,
        description = {"Runs a workload on designs x architectures with the invariant checks on.",
                "Exit code 1 with VIOLATION lines if an invariant breaks; --inject list prints every seeded bug."})
public final class StressCommand implements Callable<Integer> {
    @Option(names = "--workload", description = "one of: page_fault1, page_fault2, page_fault3, mmap_churn, churn_apart, merge_churn, mprotect_churn, "
            + "stack_growth, fork_storm, exit_race, unmap_race, madv_free, file_race, truncate_race, ebizzy ('./specfault workloads' says what each does; default page_fault1; "
            + "with --inject, the bug's)")
    String workload;

    @Option(names = "--design", description = "speculative, locked, kernel-lock, all, or a comma list (default all built; with --inject, the bug's)")
    String design;

    @Option(names = "--arch", description = "x86, x86-la57, arm64, all, or a comma list (default x86; with --inject, the bug's)")
    String arch;

    @Option(names = "--threads", description = "faulting threads (default 2; with --inject, the bug's)")
    Integer threads;

    @Option(names = "--writers", description = "writer threads of mmap_churn, churn_apart, merge_churn, mprotect_churn, fork_storm, exit_race, unmap_race, "
            + "madv_free and truncate_race; the other workloads take none (default 1 where there are writers; with --inject, the bug's)")
    Integer writers;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "per cell (ms, s or m; default 3s; with --inject, long enough to hit the bug reliably)")
    Duration duration;

    @Option(names = "--region", description = "MiB each faulting thread maps per round (default 16, as page_fault1; with --inject, the bug's)")
    Integer regionMiB;

    @Option(names = "--vma-quarantine", paramLabel = "N",
            description = "freed VMA records and tree nodes that wait before reuse (default the space's, 64; with --inject, the bug's)")
    Integer vmaQuarantine;

    @Option(names = "--until", paramLabel = "KIND[,KIND...]",
            description = "stop a cell at the first violation of these kinds: P0..P8 (a VIOLATION's text before its first "
                    + "':'; P4/P7 is both), invariant, hang, or other (the workloads' own failures); other violations "
                    + "are printed and the run goes on (default: stop at any)")
    List<String> until;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "write the results as JSON")
    Path json;

    @Option(names = "--csv", description = "write the results as CSV")
    Path csv;

    @Option(names = "--hgrm",
            description = "write each cell's touch latencies (faulting threads') as an HdrHistogram log in DIR")
    Path hgrm;

    @Option(names = "--timeline", paramLabel = "FILE",
            description = "write one CSV line per cell and second: SRCU backlog and frames in use (mean, max), pages, "
                    + "writer steps, SRCU callbacks queued, the JVM's GC and JIT ms")
    Path timeline;

    @Option(names = "--jfr", paramLabel = "FILE",
            description = "record JDK Flight Recorder events (specfault.Fault, FaultRetry, FaultFallback, GracePeriod) to FILE")
    Path jfr;

    @Option(names = "--inject", paramLabel = "BUG[,BUG...]",
            description = {"turn on a seeded bug (and its companions, if it has any); its design, workload and settings "
                    + "are the defaults. More bugs after a comma are turned on beside it. 'list' prints every seeded bug: "
                    + "name, design, workload, description."})
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException, IOException {
        final CommandLine cl = spec.commandLine();
        final java.io.PrintWriter out = cl.getOut();
        if ("list".equals(inject)) {
            for (SeededBug b : SeededBug.all()) {
                out.println(b.name() + "\t" + b.design() + "\t" + b.workload() + "\t" + b.description());
            }
            return 0;
        }
        SeededBug bug = null;
        final List<SeededBug> also = new ArrayList<>();
        if (inject != null) {
            for (String n : CommaList.split(cl, "--inject", inject, "list")) {
                final SeededBug b = SeededBug.byName(n).orElseThrow(
                        () -> new CommandLine.ParameterException(cl, "unknown seeded bug '" + n + "' (--inject list)"));
                if (bug == null) {
                    bug = b;
                    also.addAll(b.companions());
                } else if (!also.contains(b)) { // a companion named again is on once
                    also.add(b);
                }
            }
        }
        final Workload w = Workload.byCliName(workload != null ? workload : bug != null ? bug.workload() : "page_fault1");
        if (w == null) {
            throw new CommandLine.ParameterException(cl, "unknown workload '" + workload + "' (" + Workload.names() + ")");
        }
        final List<Design> designs = designs(cl, design != null ? design : bug != null ? bug.design() : "all");
        for (SeededBug b : bugsOf(bug, also)) {
            for (Design de : designs) {
                if (!b.appliesTo(de)) {
                    throw new CommandLine.ParameterException(cl, b.name() + " breaks only the " + b.design()
                            + " design, not " + de.cliName() + " (--inject list)");
                }
            }
        }
        final List<Arch> archs = archs(cl, arch != null ? arch : bug != null ? bug.arch().cliName() : "x86");
        for (SeededBug b : bugsOf(bug, also)) {
            for (Arch a : archs) {
                if (!b.appliesTo(a)) {
                    throw new CommandLine.ParameterException(cl, b.notOn(a) + " (--inject list)");
                }
            }
        }
        final int nThreads = threads != null ? threads : bug != null ? bug.threads() : 2;
        if (nThreads < 1 || nThreads > 64) {
            throw new CommandLine.ParameterException(cl, "--threads must be 1..64");
        }
        final int nWriters = writers != null ? writers : bug != null && w == bug.defaultWorkload() ? bug.writers()
                : w.hasWriters() ? 1 : 0;
        if (nWriters < 0 || nWriters > 64) {
            throw new CommandLine.ParameterException(cl, "--writers must be 0..64");
        }
        if (nWriters > 0 && !w.allowsWriters()) {
            throw new CommandLine.ParameterException(cl, w.cliName()
                    + " takes no writer threads (their mappings would sit in the stacks' guard gaps)");
        }
        if (nWriters > 0 && !w.hasWriters()) {
            // The cell would run mmap_churn's writer beside it, and its row would name the workload wrongly.
            throw new CommandLine.ParameterException(cl, w.cliName() + " takes no writer threads (--writers is for "
                    + Workload.withWriters() + (w == Workload.PAGE_FAULT1 ? "; mmap_churn is page_fault1 with writers)" : ")"));
        }
        final int region = regionMiB != null ? regionMiB : bug != null ? bug.regionMiB() : 16;
        if (region < 1 || region > 1024) {
            throw new CommandLine.ParameterException(cl, "--region must be 1..1024 MiB");
        }
        final int quarantine = vmaQuarantine != null ? vmaQuarantine : bug != null ? bug.vmaQuarantine() : -1;
        if (vmaQuarantine != null && (vmaQuarantine < 0 || vmaQuarantine > 1 << 20)) {
            throw new CommandLine.ParameterException(cl, "--vma-quarantine must be 0..1048576");
        }
        final java.util.Set<String> stopKinds = until == null ? java.util.Set.of() : stopKinds(cl, until);
        final Duration d = duration != null ? duration : bug != null ? bug.duration() : Duration.ofSeconds(3);
        if (d.isZero() || d.isNegative()) {
            throw new CommandLine.ParameterException(cl, "--duration must be positive");
        }
        Outputs.file(cl, "--json", json);
        Outputs.file(cl, "--csv", csv);
        Outputs.file(cl, "--jfr", jfr);
        Outputs.file(cl, "--timeline", timeline);
        Outputs.distinct(cl, "--json", json, "--csv", csv, "--jfr", jfr, "--timeline", timeline, "--hgrm", hgrm);
        Outputs.directory(cl, "--hgrm", hgrm);
        final List<String> logs = new ArrayList<>();
        designs.forEach(de -> archs.forEach(a -> logs.add(de.cliName() + "-" + a.cliName() + "-" + w.cliName() + ".hlog")));
        Outputs.filesIn(cl, "--hgrm", hgrm, logs);
        Outputs.memoryFits(cl, Cell.emulatedBytes(w, nThreads, nWriters, region),
                "--region " + region + " with " + nThreads + " thread(s) and " + nWriters + " writer(s)");
        final List<Map<String, Object>> rows = new ArrayList<>();
        final boolean violated;
        try (FlightRecording rec = FlightRecording.startIf(jfr)) {
            violated = runCells(out, designs, archs, new CellSpec(Design.SPECULATIVE, Arch.X86_64, w, nThreads, nWriters,
                    d, region, seed, bug, also, quarantine), stopKinds, rows);
            if (json != null) {
                Outputs.write(json, Results.json(rows));
            }
            if (csv != null) {
                Outputs.write(csv, Results.csv(rows));
            }
            rec.dumpTo(jfr); // after the results: a recording that cannot be written does not lose them
        }
        return violated ? Specfault.EXIT_VIOLATION : 0;
    }

    /**
     * Runs {@code template} on every design × architecture and prints each cell's line; returns
     * whether an invariant broke.
     */
    private boolean runCells(java.io.PrintWriter out, List<Design> designs, List<Arch> archs, CellSpec template,
                             java.util.Set<String> stopKinds, List<Map<String, Object>> rows) throws InterruptedException, IOException {
        final Workload w = template.workload();
        boolean violated = false;
        out.printf("%-12s %-8s %-12s %14s %10s %10s %10s %9s %9s%n", "design", "arch", "workload", "pages/s",
                "p50 ns", "p99 ns", "p99.9 ns", "retries", "fallbacks");
        out.flush();
        for (Design de : designs) {
            for (Arch a : archs) {
                final CellSpec cs = template.on(de, a);
                final CellResult c = until == null ? Cell.run(cs, ProgressLine.forTerminal(cs.label()))
                        : Cell.run(cs, ProgressLine.forTerminal(cs.label()), v -> kindsOf(v).stream().anyMatch(stopKinds::contains));
                ProgressLine.clear();
                final Map<String, Object> row = c.row();
                rows.add(row);
                out.printf("%-12s %-8s %-12s %,14.0f %10d %10d %10d %9d %9d%n", de.cliName(), a.cliName(), w.cliName(),
                        c.pagesPerSec(), row.get("p50_ns"), row.get("p99_ns"), row.get("p999_ns"),
                        row.get("retries"), row.get("fallbacks"));
                for (String v : c.violations()) {
                    out.println("VIOLATION " + v + " [" + cs.label() + "]");
                    violated = true;
                }
                out.flush();
                if (timeline != null) {
                    appendTimeline(timeline, c, rows.size() == 1);
                }
                if (hgrm != null) {
                    writeHistogramLog(hgrm.resolve(de.cliName() + "-" + a.cliName() + "-" + w.cliName() + ".hlog"),
                            c.latency());
                }
            }
        }
        return violated;
    }

    /** A violation line's kind: the text before its first ':' ({@code P1}, {@code hang}, ...). */
    /** The kinds {@code --until} takes. */
    static final List<String> KINDS = List.of("P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "invariant", "hang",
            "other");

    /**
     * The kinds of a violation line: the property or properties before its first ':' ({@code P4/P7}
     * is both), {@code invariant} or {@code hang}; anything else (a workload's own failure, such as
     * an mmap that should have worked) is {@code other}.
     */
    public static List<String> kindsOf(String violation) {
        final int c = violation.indexOf(':');
        if (c > 0) {
            final List<String> parts = List.of(violation.substring(0, c).split("/"));
            if (KINDS.containsAll(parts) && !parts.contains("other")) {
                return parts;
            }
        }
        return List.of("other");
    }

    /** {@code --until}'s kinds, checked: an unknown one is a bad argument, not a run that never stops. */
    static java.util.Set<String> stopKinds(CommandLine cl, List<String> until) {
        final java.util.Set<String> kinds = new java.util.HashSet<>();
        // Split here, not by picocli: an empty kind (--until ,) is an error, not "never stop".
        for (String k : CommaList.split(cl, "--until", String.join(",", until), null)) {
            final String known = KINDS.stream().filter(x -> x.equalsIgnoreCase(k)).findFirst().orElseThrow(
                    () -> new CommandLine.ParameterException(cl, "--until: unknown kind '" + k + "' (one of "
                            + String.join(", ", KINDS) + ")"));
            kinds.add(known);
        }
        return kinds;
    }

    /** Appends the cell's seconds to {@code file} (with the header first when {@code first}). */
    static void appendTimeline(Path file, CellResult c, boolean first) throws IOException {
        final StringBuilder b = new StringBuilder();
        if (first) {
            b.append("design,arch,workload,second,srcu_backlog_mean,srcu_backlog_max,frames_in_use_mean,"
                    + "frames_in_use_max,pages,writer_ops,srcu_callbacks,gc_ms,jit_ms\n");
        }
        for (CellResult.Second s : c.timeline()) {
            b.append(String.format(java.util.Locale.ROOT, "%s,%s,%s,%d,%.1f,%d,%.1f,%d,%d,%d,%d,%d,%d%n",
                    c.spec().design().cliName(), c.spec().arch().cliName(), c.spec().workload().cliName(),
                    s.second(), s.backlogMean(), s.backlogMax(), s.framesMean(), s.framesMax(), s.pages(),
                    s.writerOps(), s.callbacks(), s.gcMillis(), s.jitMillis()));
        }
        if (first) {
            Outputs.write(file, b);
        } else {
            Outputs.write(file, b, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /** Writes {@code h} as an HdrHistogram log with one interval. */
    static void writeHistogramLog(Path file, Histogram h) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (PrintStream ps = new PrintStream(Files.newOutputStream(file))) {
            final HistogramLogWriter lw = new HistogramLogWriter(ps);
            lw.outputLogFormatVersion();
            lw.outputLegend();
            lw.outputIntervalHistogram(h);
        }
    }

    private static List<SeededBug> bugsOf(SeededBug bug, List<SeededBug> also) {
        final List<SeededBug> l = new ArrayList<>(also);
        if (bug != null) {
            l.add(0, bug);
        }
        return l;
    }

    /** {@code --design}'s designs, checked ({@link CommaList}): each once, {@code all} alone. */
    static List<Design> designs(CommandLine cl, String s) {
        final List<Design> l = new ArrayList<>();
        for (String x : CommaList.split(cl, "--design", s, "all")) {
            if (x.equals("all")) {
                for (Design d : Design.values()) {
                    if (Spaces.isBuilt(d) && !l.contains(d)) {
                        l.add(d);
                    }
                }
            } else {
                final Design d = CheckCommand.design(cl, x);
                if (!Spaces.isBuilt(d)) {
                    throw new CommandLine.ParameterException(cl, "the " + x + " design is not built yet");
                }
                l.add(d);
            }
        }
        return l;
    }

    /** {@code --arch}'s architectures, checked ({@link CommaList}): each once, {@code all} alone. */
    static List<Arch> archs(CommandLine cl, String s) {
        final List<Arch> l = new ArrayList<>();
        for (String x : CommaList.split(cl, "--arch", s, "all")) {
            if (x.equals("all")) {
                l.addAll(List.of(Arch.values()));
            } else {
                l.add(CheckCommand.arch(cl, x, "x86, x86-la57, arm64 or all"));
            }
        }
        return l;
    }
}
