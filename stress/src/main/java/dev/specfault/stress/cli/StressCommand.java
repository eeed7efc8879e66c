package dev.specfault.stress.cli;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.Design;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.Arch;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PmapBug;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.stress.Specfault;
import dev.specfault.stress.workload.Workload;
import dev.specfault.vma.VmaBug;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;
import org.HdrHistogram.Recorder;
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
    @Option(names = "--workload", description = "page_fault1, page_fault2, page_fault3 or mmap_churn (default page_fault1; with --inject, the bug's)")
    String workload;

    @Option(names = "--design", description = "speculative, locked, kernel-lock, all, or a comma list (default all built; with --inject, the bug's)")
    String design;

    @Option(names = "--arch", defaultValue = "x86", description = "x86, x86-la57, arm64, all, or a comma list (default ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--threads", defaultValue = "2", description = "faulting threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--writers", description = "writer threads for mmap_churn (default 1)")
    Integer writers;

    @Option(names = "--duration", converter = DurationConverter.class,
            description = "per cell (ms, s or m; default 3s, with --inject 10s)")
    Duration duration;

    @Option(names = "--region", defaultValue = "4", description = "MiB each faulting thread maps per round (default ${DEFAULT-VALUE})")
    int regionMiB;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "write the results as JSON")
    Path json;

    @Option(names = "--csv", description = "write the results as CSV")
    Path csv;

    @Option(names = "--hgrm", description = "write each cell's touch latencies as an HdrHistogram log in DIR")
    Path hgrm;

    @Option(names = "--inject", paramLabel = "BUG", description = "turn on a seeded bug; 'list' prints every one")
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A seeded bug of any layer: its name, the design it breaks, the workload that exercises it. */
    record Bug(String name, String design, String workload, String description, Enum<?> value) {
    }

    /** Every seeded bug of the project. */
    static List<Bug> allBugs() {
        final List<Bug> l = new ArrayList<>();
        for (SrcuBug b : SrcuBug.values()) {
            l.add(new Bug(b.cliName(), "all", "mmap_churn", "srcu: " + b.description(), b));
        }
        for (PmapBug b : PmapBug.values()) {
            l.add(new Bug(b.cliName(), "all", "mmap_churn", "pmap: " + b.description(), b));
        }
        for (VmaBug b : VmaBug.values()) {
            l.add(new Bug(b.cliName(), "speculative", "mmap_churn", "vma: " + b.description(), b));
        }
        for (FaultBug b : FaultBug.values()) {
            final String d = b.design().equals("all") ? "speculative" : b.design();
            l.add(new Bug(b.cliName(), d, "mmap_churn", "fault: " + b.description(), b));
        }
        return l;
    }

    @Override
    public Integer call() throws InterruptedException, IOException {
        final CommandLine cl = spec.commandLine();
        final PrintWriter out = cl.getOut();
        if ("list".equals(inject)) {
            for (Bug b : allBugs()) {
                out.println(b.name() + "\t" + b.design() + "\t" + b.workload() + "\t" + b.description());
            }
            return 0;
        }
        Bug bug = null;
        if (inject != null) {
            bug = allBugs().stream().filter(b -> b.name().equals(inject)).findFirst().orElseThrow(
                    () -> new CommandLine.ParameterException(cl, "unknown seeded bug '" + inject + "' (--inject list)"));
        }
        final Workload w = Workload.byCliName(workload != null ? workload : bug != null ? bug.workload() : "page_fault1");
        if (w == null) {
            throw new CommandLine.ParameterException(cl, "unknown workload '" + workload
                    + "' (page_fault1, page_fault2, page_fault3, mmap_churn)");
        }
        final List<Design> designs = designs(cl, design != null ? design : bug != null ? bug.design() : "all");
        final List<Arch> archs = archs(cl, arch);
        if (threads < 1 || threads > 64) {
            throw new CommandLine.ParameterException(cl, "--threads must be 1..64");
        }
        final int nWriters = writers != null ? writers : w.hasWriters() ? 1 : 0;
        if (nWriters < 0 || nWriters > 64) {
            throw new CommandLine.ParameterException(cl, "--writers must be 0..64");
        }
        if (regionMiB < 1 || regionMiB > 1024) {
            throw new CommandLine.ParameterException(cl, "--region must be 1..1024 MiB");
        }
        final Duration d = duration != null ? duration : bug != null ? Duration.ofSeconds(10) : Duration.ofSeconds(3);
        if (d.isZero() || d.isNegative()) {
            throw new CommandLine.ParameterException(cl, "--duration must be positive");
        }
        final List<Map<String, Object>> rows = new ArrayList<>();
        boolean violated = false;
        out.printf("%-12s %-8s %-12s %14s %10s %10s %10s %9s %9s%n", "design", "arch", "workload", "pages/s",
                "p50 ns", "p99 ns", "p99.9 ns", "retries", "fallbacks");
        for (Design de : designs) {
            for (Arch a : archs) {
                final Cell c = new Cell(de, a, w, nWriters, d, bug);
                final Map<String, Object> row = c.run();
                rows.add(row);
                out.printf("%-12s %-8s %-12s %,14.0f %10d %10d %10d %9d %9d%n", de.cliName(), a.cliName(), w.cliName(),
                        (double) row.get("pages_per_s"), row.get("p50_ns"), row.get("p99_ns"), row.get("p999_ns"),
                        row.get("retries"), row.get("fallbacks"));
                for (String v : c.violations) {
                    out.println("VIOLATION " + v + " [" + de.cliName() + "/" + a.cliName() + "/" + w.cliName()
                            + (bug == null ? "" : " +" + bug.name()) + "]");
                    violated = true;
                }
            }
        }
        if (json != null) {
            Files.writeString(json, Results.json(rows));
        }
        if (csv != null) {
            Files.writeString(csv, Results.csv(rows));
        }
        return violated ? Specfault.EXIT_VIOLATION : 0;
    }

    static List<Design> designs(CommandLine cl, String s) {
        final List<Design> l = new ArrayList<>();
        for (String x : s.split(",")) {
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

    static List<Arch> archs(CommandLine cl, String s) {
        final List<Arch> l = new ArrayList<>();
        for (String x : s.split(",")) {
            if (x.equals("all")) {
                l.addAll(List.of(Arch.values()));
            } else {
                l.add(CheckCommand.arch(cl, x));
            }
        }
        return l;
    }

    /** One design × architecture run. */
    private final class Cell {
        final Design design;
        final Arch arch;
        final Workload w;
        final int nWriters;
        final Duration d;
        final Bug bug;
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();

        Cell(Design design, Arch arch, Workload w, int nWriters, Duration d, Bug bug) {
            this.design = design;
            this.arch = arch;
            this.w = w;
            this.nWriters = nWriters;
            this.d = d;
            this.bug = bug;
        }

        Map<String, Object> run() throws InterruptedException, IOException {
            final long bytes = (long) regionMiB << 20;
            final long pagesPerThread = bytes >>> 12;
            final Machine.Builder mb = Machine.builder(arch).cpus(threads + nWriters)
                    .frameLimit(Math.max(4096, (threads + 1) * (pagesPerThread + pagesPerThread / 256 + 64) + nWriters * 64L
                            + 1024))
                    .seed(seed);
            if (bug != null && bug.value() instanceof PmapBug pb) {
                mb.bugs(EnumSet.of(pb));
            }
            final SpaceOptions o = new SpaceOptions(design, mb.build()).name("stress");
            if (bug != null) {
                if (bug.value() instanceof FaultBug fb) {
                    o.bugs(EnumSet.of(fb));
                } else if (bug.value() instanceof VmaBug vb) {
                    o.vmaBugs(EnumSet.of(vb));
                } else if (bug.value() instanceof SrcuBug sb) {
                    o.srcuBugs(EnumSet.of(sb));
                }
            }
            final Machine m = o.machine();
            final AddressSpace space = Spaces.create(o);
            final long baseline = m.frames().inUse();
            final FileObject file = w == Workload.PAGE_FAULT2 || w == Workload.PAGE_FAULT3
                    ? new FileObject("stress", bytes, m.frames()) : null;
            final Recorder latency = new Recorder(3);
            final AtomicLong pages = new AtomicLong();
            final AtomicLong writerOps = new AtomicLong();
            final long deadline = System.nanoTime() + d.toNanos();
            final List<Thread> ts = new ArrayList<>();
            for (int i = 0; i < threads + nWriters; i++) {
                final int id = i;
                final boolean isWriter = i >= threads;
                ts.add(new Thread(() -> {
                    final dev.specfault.pmap.Cpu cpu = m.cpu(id);
                    cpu.bind();
                    try {
                        final SplittableRandom rnd = new SplittableRandom(seed + id);
                        long round = 0;
                        while (System.nanoTime() < deadline && violations.isEmpty()) {
                            if (isWriter) {
                                writerOps.addAndGet(Workload.writer(space, cpu, rnd, violations::add));
                            } else {
                                pages.addAndGet(w.faulter(space, cpu, file, bytes, id, round++, latency, violations::add));
                            }
                            if (m.useAfterFree().count() > 0) {
                                violations.add("P3: " + m.useAfterFree().reports().get(0));
                            }
                        }
                    } catch (IllegalStateException | AssertionError e) {
                        // The emulator's own consistency checks (frame and map counts, lock
                        // assertions) tripped: an invariant broke, reported as such.
                        violations.add("invariant: " + e);
                    } finally {
                        cpu.unbind();
                    }
                }, "stress-" + (isWriter ? "writer-" : "faulter-") + id));
            }
            final long t0 = System.nanoTime();
            ts.forEach(t -> {
                t.setDaemon(true); // a thread stuck under a seeded bug must not keep the tool alive
                t.start();
            });
            // Watchdog: a thread that has not finished 10 s after the deadline is stuck (a lock held
            // forever, a loop that cannot end: what a seeded bug can do to the machine's state).
            final long joinBy = deadline + TimeUnit.SECONDS.toNanos(10);
            boolean stuck = false;
            for (Thread t : ts) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
                if (t.isAlive()) {
                    violations.add("hang: " + t.getName() + " did not finish 10 s after the run's end");
                    stuck = true;
                }
            }
            final double secs = (System.nanoTime() - t0) / 1e9;
            try {
                if (stuck) {
                    throw new IllegalStateException("threads stuck: the space is not quiet, no checks after the run");
                }
                violations.addAll(space.checkQuiet());
                space.exit();
                if (file != null) {
                    file.close();
                }
                space.quiesce();
                final long leaked = m.frames().inUse() - (baseline - 1);
                if (leaked != 0) {
                    violations.add("P6: " + leaked + " frames still in use after exit (baseline " + baseline + ")");
                }
            } catch (IllegalStateException | AssertionError e) {
                violations.add("invariant: " + e + " (during the checks after the run)");
            }
            if (m.useAfterFree().count() > 0 && violations.stream().noneMatch(v -> v.startsWith("P3"))) {
                violations.add("P3: " + m.useAfterFree().reports().get(0));
            }
            final Histogram h = latency.getIntervalHistogram();
            if (hgrm != null) {
                Files.createDirectories(hgrm);
                try (PrintStream ps = new PrintStream(Files.newOutputStream(
                        hgrm.resolve(design.cliName() + "-" + arch.cliName() + "-" + w.cliName() + ".hlog")))) {
                    final HistogramLogWriter lw = new HistogramLogWriter(ps);
                    lw.outputLogFormatVersion();
                    lw.outputLegend();
                    lw.outputIntervalHistogram(h);
                }
            }
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("design", design.cliName());
            row.put("arch", arch.cliName());
            row.put("workload", w.cliName());
            row.put("threads", threads);
            row.put("writers", nWriters);
            row.put("seconds", secs);
            row.put("pages", pages.get());
            row.put("pages_per_s", pages.get() / secs);
            row.put("faults_per_s", space.stats().totalFaults() / secs);
            row.put("writer_ops", writerOps.get());
            row.put("p50_ns", h.getValueAtPercentile(50));
            row.put("p99_ns", h.getValueAtPercentile(99));
            row.put("p999_ns", h.getValueAtPercentile(99.9));
            row.put("retries", space.stats().totalRetries());
            row.put("fallbacks", space.stats().totalFallbacks());
            space.stats().snapshot().forEach(row::put);
            row.put("violations", violations.size());
            return row;
        }
    }
}
