package dev.specfault.stress.cli;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.Specfault;
import dev.specfault.stress.compare.Charts;
import dev.specfault.stress.compare.Comparison;
import dev.specfault.stress.compare.Group;
import dev.specfault.stress.compare.Html;
import dev.specfault.stress.compare.Soak;
import dev.specfault.stress.compare.Table;
import dev.specfault.stress.compare.Target;
import dev.specfault.stress.compare.Targets;
import dev.specfault.stress.run.Cell;
import dev.specfault.stress.run.CellResult;
import dev.specfault.stress.run.CellSpec;
import dev.specfault.stress.run.JvmTime;
import dev.specfault.stress.run.SeededBug;
import dev.specfault.stress.workload.Workload;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./specfault compare}: the designs side by side, the project's main job.
 *
 * <h2>The run</h2>
 * <pre>
 *   warm-up   every group's cell of every design, one short cell each (not reported)
 *   groups    for each (arch, workload, threads):   A B C   A B C   ...   (--rounds)
 *             a round's cells share one seed (seed + round): one event stream for every design
 *   soak      with --soak: one long mmap_churn cell, frames in use and SRCU backlog sampled
 * </pre>
 * Running the designs of a group one after the other, round after round, spreads the host's drift
 * (other processes, frequency, the JIT) over all of them; each design's row is the median across
 * rounds ({@link Comparison}). The default matrix — page_fault1 with 1 and 2 threads, mmap_churn
 * with 1 faulting thread and 1 writer, on x86 and arm64, 2 s cells, 3 rounds — takes about two
 * minutes on 2 cores (three rounds, so that a row is a true median: one round the host slowed down
 * cannot decide a ratio, as it could with two rounds of 3 s in the same time); {@code --full} runs every workload of {@link Workload#values()} with 1 and 2
 * threads on every architecture.
 *
 * <h2>Output</h2>
 * A progress line on a terminal (none off it); one line per cell as it ends; then the table with
 * ratios against the locked design and the targets (PASS/MISS, informational). The
 * directory {@code --out} gets {@code results.json}/{@code .csv} (the aggregated rows the table
 * shows), {@code rounds.json}/{@code .csv} (every cell, with its round), the charts as PNG and SVG
 * and {@code report.html}. A broken invariant in any cell is a {@code VIOLATION} line and exit 1.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the designs side by side, interleaved, and writes a report with charts.",
                "Default: speculative, locked, kernel-lock on x86 and arm64; page_fault1 with 1 and 2 threads,",
                "mmap_churn with 1 faulting thread + 1 writer; 2s cells, 3 rounds (about two minutes).",
                "Exit code 1 with VIOLATION lines if an invariant breaks in any cell."})
public final class CompareCommand implements Callable<Integer> {
    @Option(names = "--duration", converter = DurationConverter.class, defaultValue = "2s",
            description = "length of one cell (ms, s or m; default ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--rounds", defaultValue = "3", description = "rounds of every group, A B C A B C (default ${DEFAULT-VALUE}); rows are the median")
    int rounds;

    @Option(names = "--full", description = "every workload with 1 and 2 threads on every architecture")
    boolean full;

    @Option(names = "--design", defaultValue = "all", description = "speculative, locked, kernel-lock, all, or a comma list (default ${DEFAULT-VALUE})")
    String design;

    @Option(names = "--arch", description = "x86, x86-la57, arm64, all, or a comma list (default x86,arm64; with --full all)")
    String arch;

    @Option(names = "--workload", description = "a comma list of workloads, or all (default page_fault1,mmap_churn; with --full all)")
    String workload;

    @Option(names = "--threads", description = "a comma list of faulting thread counts (default 1,2; mmap_churn 1 in the default matrix)")
    String threads;

    @Option(names = "--writers", defaultValue = "1", description = "writer threads of a workload that has them (default ${DEFAULT-VALUE})")
    int writers;

    @Option(names = "--region", defaultValue = "16", description = "MiB each faulting thread maps per round (default ${DEFAULT-VALUE}: the issue's page_fault1)")
    int regionMiB;

    @Option(names = "--seed", defaultValue = "1", description = "random seed; round r uses seed + r - 1 (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--warmup", converter = DurationConverter.class, defaultValue = "1s",
            description = "warm-up cell per group and design, not reported (default ${DEFAULT-VALUE})")
    Duration warmup;

    @Option(names = "--soak", converter = DurationConverter.class,
            description = "after the matrix, one mmap_churn 1t+1w cell this long on x86 (speculative), sampling frames in use and SRCU backlog (the 60s target)")
    Duration soak;

    @Option(names = "--out", defaultValue = "report", description = "report directory (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--no-charts", description = "write no charts (results and report.html only)")
    boolean noCharts;

    @Option(names = "--inject", hidden = true, paramLabel = "BUG",
            description = "turn on a seeded bug in the cells of the design it breaks (tests)")
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException, IOException {
        final CommandLine cl = spec.commandLine();
        final PrintWriter pw = cl.getOut();
        if (rounds < 1 || rounds > 100) {
            throw new CommandLine.ParameterException(cl, "--rounds must be 1..100");
        }
        if (regionMiB < 1 || regionMiB > 1024) {
            throw new CommandLine.ParameterException(cl, "--region must be 1..1024 MiB");
        }
        if (writers < 0 || writers > 64) {
            throw new CommandLine.ParameterException(cl, "--writers must be 0..64");
        }
        if (soak != null && writers == 0) {
            // The soak is the "60 s of mmap_churn": its writer makes the SRCU backlog; it ran
            // one writer anyway, which --writers 0 did not ask for.
            throw new CommandLine.ParameterException(cl, "--soak runs mmap_churn with its writer threads: --writers 0"
                    + " would leave nothing to retire (give --writers 1 or more, or leave it out)");
        }
        final List<Design> designs = StressCommand.designs(cl, design);
        final List<Arch> archs = StressCommand.archs(cl, arch != null ? arch : full ? "all" : "x86,arm64");
        final List<Group> groups = groups(cl, archs);
        // Writers go only to the workloads that have them (and to --soak's mmap_churn); given for none, they would be ignored.
        if (cl.getParseResult().hasMatchedOption("--writers") && writers > 0 && soak == null
                && groups.stream().noneMatch(g -> g.workload().hasWriters())) {
            throw new CommandLine.ParameterException(cl, "--writers " + writers + ": none of the workloads compared ("
                    + String.join(", ", groups.stream().map(g -> g.workload().cliName()).distinct().toList())
                    + ") takes writer threads (" + Workload.withWriters() + " do)");
        }
        final SeededBug bug = inject == null ? null : SeededBug.byName(inject).orElseThrow(
                () -> new CommandLine.ParameterException(cl, "unknown seeded bug '" + inject + "' (stress --inject list)"));
        final Design buggy = bug == null ? null : bug.design().equals("all") ? designs.get(0) : Design.byCliName(bug.design());
        if (bug != null) {
            for (Arch a : archs) {
                if (!bug.appliesTo(a) && arch != null) {
                    throw new CommandLine.ParameterException(cl, "--inject " + bug.notOn(a));
                }
            }
        }
        if (bug != null && !designs.contains(buggy)) {
            throw new CommandLine.ParameterException(cl, "--inject " + inject + " breaks " + buggy.cliName()
                    + ", which is not among the designs compared");
        }
        Outputs.directory(cl, "--out", out); // before two minutes of cells, not after
        final List<String> files = new ArrayList<>(List.of("results.json", "results.csv", "rounds.json", "rounds.csv",
                "report.html"));
        if (soak != null) {
            files.add("soak.csv");
        }
        if (!noCharts) {
            files.addAll(Charts.files(groups));
        }
        Outputs.filesIn(cl, "--out", out, files);
        for (Group g : groups) {
            Outputs.memoryFits(cl, Cell.emulatedBytes(g.workload(), g.threads(), g.writers(), regionMiB),
                    "--region " + regionMiB + " with " + g.threads() + " thread(s) and " + g.writers() + " writer(s)");
        }
        final Map<String, String> machine = machine();
        final String commandLine = "specfault " + String.join(" ", cl.getParseResult().originalArgs());
        final long start = System.nanoTime();

        // Warm-up: every group's cell of every design once, in the group's own configuration, so
        // that no design pays for the JIT alone and no measured cell is the first to run its code
        // paths (the JIT compiled in bursts well into the measured cells when only mmap_churn warmed
        // up: a second burst came with the first two-thread cells).
        final Duration wu = warmup.compareTo(duration) < 0 ? warmup : duration;
        final List<String> warmupViolations = new ArrayList<>();
        final long jitBefore = JvmTime.jitMillis();
        for (Group g : groups) {
            for (Design d : designs) {
                final CellSpec cs = new CellSpec(d, g.arch(), g.workload(), g.threads(), g.writers(), wu, regionMiB, seed,
                        d == buggy ? bug : null);
                final CellResult r = Cell.run(cs, ProgressLine.forTerminal("warm-up " + cs.label()));
                ProgressLine.clear();
                r.violations().forEach(v -> warmupViolations.add(v + " [warm-up " + cs.label() + "]"));
            }
        }
        final long jitWarm = JvmTime.jitMillis();
        pw.printf(Locale.ROOT, "warm-up: %d cells of %s (every group's cell of every design); JIT compiler-thread time %s%n",
                groups.size() * designs.size(), DurationFormat.of(wu), jitWarm < 0 ? "not measured" : (jitWarm - jitBefore) + " ms");
        pw.flush();
        final long measuredFrom = System.nanoTime();

        final Comparison c = new Comparison(designs, groups);
        final int total = groups.size() * rounds * designs.size();
        int n = 0;
        for (Group g : groups) {
            for (int r = 1; r <= rounds; r++) {
                for (Design d : designs) {
                    final CellSpec cs = new CellSpec(d, g.arch(), g.workload(), g.threads(), g.writers(), duration,
                            regionMiB, seed + r - 1, d == buggy ? bug : null);
                    n++;
                    final String tag = String.format(Locale.ROOT, "[%" + String.valueOf(total).length() + "d/%d]", n, total);
                    final CellResult res = Cell.run(cs, ProgressLine.forTerminal(tag + " " + cs.label() + " round " + r));
                    ProgressLine.clear();
                    c.add(g, d, r, res);
                    pw.printf(Locale.ROOT, "%s %s round %d: %,.0f pages/s, p99 %,d ns, %d retries, %d fallbacks%s%n",
                            tag, cs.label(), r, res.pagesPerSec(), res.p99(), res.row().get("retries"),
                            res.row().get("fallbacks"), res.violations().isEmpty() ? "" : ", VIOLATIONS "
                                    + res.violations().size());
                    pw.flush();
                }
            }
        }

        Soak sk = null;
        if (soak != null) {
            final Design sd = designs.contains(Design.SPECULATIVE) ? Design.SPECULATIVE : designs.get(0);
            final CellSpec cs = new CellSpec(sd, Arch.X86_64, Workload.MMAP_CHURN, 1, writers, soak,
                    regionMiB, seed, sd == buggy ? bug : null);
            sk = new Soak(cs.label() + " for " + DurationFormat.of(soak), soak.toSeconds(), ProgressLine.forTerminal("soak " + cs.label()));
            final CellResult res = Cell.run(cs, sk);
            ProgressLine.clear();
            res.violations().forEach(v -> warmupViolations.add(v + " [soak " + cs.label() + "]"));
            pw.printf(Locale.ROOT, "soak %s: %,.0f pages/s, SRCU backlog max %s, frames in use max %s%n", cs.label(),
                    res.pagesPerSec(), res.row().get("srcu_backlog_max"), res.row().get("frames_in_use_max"));
        }

        final List<Target> targets = Targets.evaluate(c, sk);
        final List<String> violations = new ArrayList<>(warmupViolations);
        violations.addAll(c.violations());
        final String aggregation = "Each row: the median across " + rounds + " round" + (rounds == 1 ? "" : "s")
                + " of " + DurationFormat.of(duration) + " cells" + (rounds == 2 ? " (with two rounds, their mean)" : "")
                + "; violations, use-after-free, leaked frames and signals summed; max, SRCU backlog max and frames"
                + " in use max the maximum. Ratios are against the locked design in the same group.";
        pw.println();
        pw.println("compare: " + aggregation);
        pw.println();
        pw.print(Table.text(c));
        final String share = Table.designShare(c);
        if (!share.isEmpty()) {
            pw.println();
            pw.println("the writers' cost through the design (pages/s with the writers in the space over pages/s with them in spaces of their own):");
            pw.print(share);
        }
        pw.println();
        pw.println("targets (informational):");
        pw.print(Table.text(targets));
        for (String v : violations) {
            pw.println("VIOLATION " + v);
        }
        pw.flush();

        machine.put("load average at the end", loadAverage());
        final long jitEnd = JvmTime.jitMillis();
        if (jitEnd >= 0) {
            // The JIT's compiler threads share the cores with the cells: a measured cell that runs
            // beside a compilation burst is slower than its neighbours.
            machine.put("JIT compiler-thread time during the measured cells", String.format(Locale.ROOT, "%,d ms in %s",
                    jitEnd - jitWarm, DurationFormat.nanos(System.nanoTime() - measuredFrom)));
        }
        machine.put("wall time", DurationFormat.nanos(System.nanoTime() - start));
        Files.createDirectories(out);
        Outputs.write(out.resolve("results.json"), Results.json(c.aggregatedRows()));
        Outputs.write(out.resolve("results.csv"), Results.csv(c.aggregatedRows()));
        Outputs.write(out.resolve("rounds.json"), Results.json(c.roundRows()));
        Outputs.write(out.resolve("rounds.csv"), Results.csv(c.roundRows()));
        if (sk != null) {
            Outputs.write(out.resolve("soak.csv"), sk.csv());
        }
        final List<Charts.Chart> charts = noCharts ? List.of() : Charts.write(c, out);
        final Html.Context ctx = new Html.Context(commandLine, machine, aggregation);
        Outputs.write(out.resolve("report.html"), Html.page(c, targets, charts, ctx, violations));
        pw.println("report: " + out.resolve("report.html") + " (" + charts.size() + " charts, results.json, results.csv)");
        pw.flush();
        return violations.isEmpty() ? 0 : Specfault.EXIT_VIOLATION;
    }

    /** The matrix's groups, architecture by architecture. */
    private List<Group> groups(CommandLine cl, List<Arch> archs) {
        final List<Workload> ws = new ArrayList<>();
        if (workload != null) {
            for (String x : CommaList.split(cl, "--workload", workload, "all")) {
                if (x.equals("all")) {
                    ws.addAll(List.of(Workload.values()));
                } else {
                    final Workload w = Workload.byCliName(x);
                    if (w == null) {
                        throw new CommandLine.ParameterException(cl, "unknown workload '" + x + "' ("
                                + String.join(", ", java.util.Arrays.stream(Workload.values()).map(Workload::cliName).toList()) + ")");
                    }
                    ws.add(w);
                }
            }
        } else if (full) {
            ws.addAll(List.of(Workload.values()));
        } else {
            ws.addAll(List.of(Workload.PAGE_FAULT1, Workload.MMAP_CHURN));
        }
        final List<Integer> ts = new ArrayList<>();
        for (String x : CommaList.split(cl, "--threads", threads == null ? "1,2" : threads, null)) {
            final int t;
            try {
                t = Integer.parseInt(x);
                if (t < 1 || t > 64) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "--threads: '" + x + "' is not a thread count 1..64");
            }
            if (ts.contains(t)) {
                throw new CommandLine.ParameterException(cl, "--threads: " + t + " is given twice");
            }
            ts.add(t);
        }
        final boolean defaultMatrix = workload == null && !full && threads == null;
        final List<Group> gs = new ArrayList<>();
        for (Arch a : archs) {
            for (Workload w : ws) {
                for (int t : ts) {
                    if (defaultMatrix && w == Workload.MMAP_CHURN && t != 1) {
                        continue; // the matrix: mmap_churn with 1 faulting thread and 1 writer
                    }
                    final Group g = new Group(a, w, t, w.hasWriters() ? writers : 0);
                    if (!gs.contains(g)) {
                        gs.add(g);
                    }
                }
            }
        }
        return gs;
    }

    private static Map<String, String> machine() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        m.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vm.vendor") + ")");
        m.put("max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("load average at the start", loadAverage());
        return m;
    }

    private static String loadAverage() {
        final double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f (1 minute)", l);
    }
}
