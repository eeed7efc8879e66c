package dev.specfault.stress.run;

import dev.specfault.fault.AddressSpace;
import dev.specfault.fault.FaultBug;
import dev.specfault.fault.FileObject;
import dev.specfault.fault.SpaceOptions;
import dev.specfault.fault.Spaces;
import dev.specfault.pmap.Cpu;
import dev.specfault.pmap.Machine;
import dev.specfault.pmap.PmapBug;
import dev.specfault.pmap.phys.FrameAllocator;
import dev.specfault.pmap.phys.PhysicalMemory;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.srcu.SrcuStats;
import dev.specfault.srcu.pool.UseAfterFreeLog;
import dev.specfault.stress.workload.Workload;
import dev.specfault.stress.workload.WorkloadContext;
import dev.specfault.vma.VmaBug;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one {@link CellSpec} on a machine and space of its own with the invariant checks on: P4 on
 * every touch (the tagged value reads back), P3 (the use-after-free log) during and after, P0/P1/P5
 * in the quiet state after the run ({@link AddressSpace#checkQuiet()}), P6 after exit (every frame
 * back). Threads still running 10 s after the run's end are a {@code hang} violation (a seeded bug
 * can leave a lock held forever); they are daemons, so they never keep the tool alive. The exit and
 * SRCU barrier after the run are bounded too ({@value #TEARDOWN_SECONDS} s): a grace period that
 * never ends is a {@code hang} violation, not a hung tool.
 *
 * <p>The workload's life: {@link Workload#config} sets the space's limits, {@link Workload#start}
 * makes its shared state (a workload may fork spaces or build more on the same machine: they share
 * the cell's options and bugs), each thread calls {@link Workload#leave} when it stops, and
 * {@link Workload#finish} exits and reclaims the workload's spaces before P6 is checked. The frame
 * limit is sized from {@link Workload#faulterFrames} and {@link Workload#writerFrames}.
 */
public final class Cell {
    /** How often the main thread samples the running rate, the SRCU backlog and frames in use. */
    private static final long SAMPLE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Violation lines kept beside the one that stops a run that goes on past violations. */
    private static final int KEPT_GOING = 200;
    /** How long exit and the SRCU barrier after the run may take before they count as a hang. */
    private static final long TEARDOWN_SECONDS = 5;

    /** Told the elapsed time and pages touched so far, a few times a second. */
    @FunctionalInterface
    public interface Progress {
        void update(long elapsedNanos, long pages);

        /**
         * Told the machine's frames in use, the SRCU backlog (callbacks queued, not yet run) and the
         * callbacks queued so far at every sample, every {@link #sampleNanos()}; by default ignored
         * ({@code compare --soak} records them).
         */
        default void sample(long elapsedNanos, long framesInUse, long srcuBacklog, long srcuQueued) {
        }

        /** How often the cell samples frames in use and the SRCU backlog: by default every 20 ms. */
        default long sampleNanos() {
            return SAMPLE_NANOS;
        }
    }

    private Cell() {
    }

    /** Runs {@code spec} until its first violation; {@code progress} may be {@code null}. */
    public static CellResult run(CellSpec spec, Progress progress) throws InterruptedException {
        return run(spec, progress, v -> true);
    }

    /**
     * The emulated machine's frame limit for a cell: each faulting thread's region, its tables, what
     * the writers hold and what exit_race's children pin, slack.
     */
    private static long frameLimit(Workload w, int threads, int writers, long pagesPerThread) {
        return Math.max(4096, (threads + 1) * (w.faulterFrames(pagesPerThread) + pagesPerThread / 256 + 64)
                + writers * w.writerFrames() + w.pinnedFrames(threads, writers, pagesPerThread) + 1024);
    }

    /**
     * Bytes of off-heap memory a cell's emulated machine allocates (its frames, the per-CPU caches'
     * slack included): what the command line checks against the JVM's direct-memory limit first.
     */
    public static long emulatedBytes(Workload w, int threads, int writers, int regionMiB) {
        final long pagesPerThread = ((long) regionMiB << 20) >>> 12;
        return FrameAllocator.framesNeeded(frameLimit(w, threads, writers, pagesPerThread), threads + writers)
                * PhysicalMemory.PAGE_SIZE;
    }

    /**
     * Runs {@code spec} until the first violation that {@code stopAt} accepts, or for the whole
     * duration: the differential proofs of the seeded bugs with a companion run on past the
     * violations they expect and stop only at the one that would attribute the catch. Violations
     * that do not stop the run are kept up to {@value #KEPT_GOING} lines (the one that stops it is
     * always kept); a use-after-free kind ({@link UseAfterFreeLog#kindOf}) is reported once, at its
     * first report (the row's {@code use_after_free} counts them all).
     */
    public static CellResult run(CellSpec spec, Progress progress, Predicate<String> stopAt)
            throws InterruptedException {
        final Workload w = spec.workload();
        final int threads = spec.threads();
        final int nWriters = spec.writers();
        final long bytes = (long) spec.regionMiB() << 20;
        final long pagesPerThread = bytes >>> 12;
        final Machine.Builder mb = Machine.builder(spec.arch()).cpus(threads + nWriters)
                .frameLimit(frameLimit(w, threads, nWriters, pagesPerThread))
                .seed(spec.seed());
        final EnumSet<PmapBug> pmapBugs = EnumSet.noneOf(PmapBug.class);
        final EnumSet<FaultBug> faultBugs = EnumSet.noneOf(FaultBug.class);
        final EnumSet<VmaBug> vmaBugs = EnumSet.noneOf(VmaBug.class);
        final EnumSet<SrcuBug> srcuBugs = EnumSet.noneOf(SrcuBug.class);
        for (SeededBug b : spec.bugs()) {
            if (b.value() instanceof PmapBug pb) {
                pmapBugs.add(pb);
            } else if (b.value() instanceof FaultBug fb) {
                faultBugs.add(fb);
            } else if (b.value() instanceof VmaBug vb) {
                vmaBugs.add(vb);
            } else if (b.value() instanceof SrcuBug sb) {
                srcuBugs.add(sb);
            }
        }
        mb.bugs(pmapBugs);
        final SpaceOptions o = new SpaceOptions(spec.design(), mb.build()).name("stress")
                .bugs(faultBugs).vmaBugs(vmaBugs).srcuBugs(srcuBugs);
        o.config(w.config(o.config(), bytes));
        if (spec.vmaQuarantine() >= 0) {
            o.vmaQuarantine(spec.vmaQuarantine());
        }
        final Machine m = o.machine();
        final AddressSpace space = Spaces.create(o);
        final SrcuDomain domain = space.pmap().domain();
        final long baseline = m.frames().inUse();
        final FileObject file = w.usesFile() ? new FileObject("stress", threads * bytes, m.frames(), o.bugs()) : null;
        final Violations violations = new Violations(stopAt);
        final Recorder latency = new Recorder(3);
        final AtomicLong spawned = new AtomicLong();
        final WorkloadContext ctx = new WorkloadContext(space, file, bytes, latency, violations::add, threads, nWriters,
                () -> Spaces.create(copy(o, "stress-" + spawned.incrementAndGet())));
        w.start(ctx);
        final AtomicLong pages = new AtomicLong();
        final AtomicLong writerOps = new AtomicLong();
        final long deadline = System.nanoTime() + spec.duration().toNanos();
        ctx.deadline(deadline);
        final List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads + nWriters; i++) {
            final int id = i;
            final boolean isWriter = i >= threads;
            ts.add(new Thread(() -> {
                final Cpu cpu = m.cpu(id);
                cpu.bind();
                try {
                    final SplittableRandom rnd = new SplittableRandom(spec.seed() * 1_000_003L + id);
                    long round = 0;
                    while (System.nanoTime() < deadline && !violations.stopped()) {
                        if (isWriter) {
                            writerOps.addAndGet(w.writer(ctx, cpu, id, rnd));
                        } else {
                            pages.addAndGet(w.faulter(ctx, cpu, id, round++, rnd));
                        }
                        violations.poll(m);
                    }
                } catch (RuntimeException | AssertionError e) {
                    // The emulator's own consistency checks (frame and map counts, lock
                    // assertions) tripped, or the emulated kernel oopsed on a structure a bug
                    // corrupted: an invariant broke, reported as such (the thread ended silently
                    // on anything but IllegalStateException, and the run could exit 0).
                    violations.add("invariant: " + e);
                } finally {
                    w.leave(ctx, id);
                    cpu.unbind();
                }
            }, "stress-" + (isWriter ? "writer-" : "faulter-") + id));
        }
        final long t0 = System.nanoTime();
        ts.forEach(t -> {
            t.setDaemon(true); // a thread stuck under a seeded bug must not keep the tool alive
            t.start();
        });
        final long every = progress == null ? SAMPLE_NANOS : Math.max(1, progress.sampleNanos());
        long framesMax = 0;
        long nextProgress = t0;
        final List<CellResult.Second> timeline = new ArrayList<>();
        long secEnd = t0 + TimeUnit.SECONDS.toNanos(1);
        long n = 0;
        long backlogSum = 0;
        long backlogSecMax = 0;
        long framesSum = 0;
        long framesSecMax = 0;
        long pagesAtSecStart = 0;
        long writerOpsAtSecStart = 0;
        long callbacksAtSecStart = domain.stats().callbacksQueued();
        long gcAtSecStart = JvmTime.gcMillis();
        long jitAtSecStart = JvmTime.jitMillis();
        for (long now = t0; now < deadline && anyAlive(ts); now = System.nanoTime()) {
            final long frames = m.frames().inUse();
            final SrcuStats srcu = domain.stats();
            final long backlog = srcu.backlog();
            framesMax = Math.max(framesMax, frames);
            n++;
            backlogSum += backlog;
            backlogSecMax = Math.max(backlogSecMax, backlog);
            framesSum += frames;
            framesSecMax = Math.max(framesSecMax, frames);
            if (progress != null) {
                progress.sample(now - t0, frames, backlog, srcu.callbacksQueued());
            }
            if (now >= secEnd) {
                final long p = pages.get();
                final long wo = writerOps.get();
                final long cb = srcu.callbacksQueued();
                final long gc = JvmTime.gcMillis();
                final long jit = JvmTime.jitMillis();
                timeline.add(new CellResult.Second(timeline.size() + 1, (double) backlogSum / n, backlogSecMax,
                        (double) framesSum / n, framesSecMax, p - pagesAtSecStart, wo - writerOpsAtSecStart,
                        cb - callbacksAtSecStart, gc - gcAtSecStart, jit < 0 ? -1 : jit - jitAtSecStart));
                pagesAtSecStart = p;
                writerOpsAtSecStart = wo;
                callbacksAtSecStart = cb;
                gcAtSecStart = gc;
                jitAtSecStart = jit;
                n = 0;
                backlogSum = 0;
                backlogSecMax = 0;
                framesSum = 0;
                framesSecMax = 0;
                secEnd += TimeUnit.SECONDS.toNanos(1);
            }
            if (progress != null && now >= nextProgress) {
                progress.update(now - t0, pages.get());
                nextProgress = now + TimeUnit.MILLISECONDS.toNanos(250);
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(every, Math.max(1, deadline - now)));
        }
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
        if (progress != null) {
            progress.update(System.nanoTime() - t0, pages.get());
        }
        final long backlogMax = domain.stats().backlogMax();
        final long faults = space.stats().totalFaults();
        final Map<String, Long> counters = space.stats().snapshot();
        final long retries = space.stats().totalRetries();
        final long fallbacks = space.stats().totalFallbacks();
        long leaked = -1;
        try {
            if (stuck) {
                throw new IllegalStateException("threads stuck: the space is not quiet, no checks after the run");
            }
            space.checkQuiet().forEach(violations::add);
            // exit and the SRCU barrier, bounded: a seeded bug in the reclaimer can stall grace
            // periods for ever (a reader counted on the wrong index), which is a violation too.
            final Thread teardown = new Thread(() -> {
                w.finish(ctx); // the spaces the workload made
                space.exit();
                if (file != null) {
                    file.close();
                }
                space.quiesce();
            }, "stress-teardown");
            teardown.setDaemon(true);
            final Throwable[] failed = new Throwable[1];
            teardown.setUncaughtExceptionHandler((t, e) -> failed[0] = e);
            teardown.start();
            teardown.join(TimeUnit.SECONDS.toMillis(TEARDOWN_SECONDS));
            if (teardown.isAlive()) {
                violations.add("hang: exit and the SRCU barrier did not finish within " + TEARDOWN_SECONDS
                        + " s after the run (a grace period that never ends)");
            } else if (failed[0] != null) {
                violations.add("invariant: " + failed[0] + " (at exit)");
            } else {
                leaked = m.frames().inUse() - (baseline - 1);
                if (leaked != 0) {
                    violations.add("P6: " + leaked + " frames still in use after exit (baseline " + baseline + ")");
                }
            }
        } catch (RuntimeException | AssertionError e) {
            violations.add("invariant: " + e + " (during the checks after the run)");
        }
        violations.poll(m); // reports made during the teardown (the last grace periods)
        final long uaf = m.useAfterFree().count();
        final Histogram h = latency.getIntervalHistogram();
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("design", spec.design().cliName());
        row.put("arch", spec.arch().cliName());
        row.put("workload", w.cliName());
        row.put("threads", threads);
        row.put("writers", nWriters);
        row.put("seconds", secs);
        row.put("pages", pages.get());
        row.put("pages_per_sec", pages.get() / secs);
        row.put("faults", faults);
        row.put("faults_per_sec", faults / secs);
        row.put("p50_ns", h.getValueAtPercentile(50));
        row.put("p99_ns", h.getValueAtPercentile(99));
        row.put("p999_ns", h.getValueAtPercentile(99.9));
        row.put("max_ns", h.getMaxValue());
        final Histogram wh = ctx.writerLatency().getIntervalHistogram();
        row.put("writer_touches", wh.getTotalCount());
        row.put("writer_p99_ns", wh.getTotalCount() == 0 ? 0 : wh.getValueAtPercentile(99));
        row.put("retries", retries);
        row.put("fallbacks", fallbacks);
        row.put("sigsegv", ctx.sigsegvCount());
        row.put("sigbus", ctx.sigbusCount());
        row.put("violations", violations.count());
        row.put("use_after_free", uaf);
        row.put("freed_tables_with_entries", m.pageTableCheck().count());
        row.put("leaked_frames", Math.max(0, leaked));
        row.put("srcu_backlog_max", backlogMax);
        row.put("frames_in_use_max", framesMax);
        row.put("writer_ops", writerOps.get());
        row.put("forks", ctx.forkCount());
        row.put("fork_enomem", ctx.forkFailureCount());
        row.put("exits", ctx.exitCount());
        row.put("inject", String.join(",", spec.bugs().stream().map(SeededBug::name).toList()));
        counters.forEach(row::put);
        return new CellResult(spec, row, violations.lines(), h, List.copyOf(timeline));
    }

    /** The cell's options for another space on its machine (same design, config, bugs, quarantine). */
    private static SpaceOptions copy(SpaceOptions o, String name) {
        return new SpaceOptions(o.design(), o.machine()).name(name).config(o.config()).bugs(o.bugs())
                .vmaBugs(o.vmaBugs()).srcuBugs(o.srcuBugs()).hooks(o.hooks()).vmaQuarantine(o.vmaQuarantine());
    }

    /**
     * A run's violations: the lines kept, whether one that stops the run came, and which
     * use-after-free kinds and freed-table reports have been turned into lines already.
     *
     * <pre>
     * Locks used to protect members:
     *   [I] immutable
     *   [a] atomic
     *   [this] synchronized on it
     * </pre>
     */
    private static final class Violations {
        private final Predicate<String> stopAt;                              // [I]
        private final ConcurrentLinkedQueue<String> kept = new ConcurrentLinkedQueue<>(); // [a]
        private final AtomicLong count = new AtomicLong();                   // [a]
        private volatile boolean stopped;                                    // [a]
        private final Set<String> uafKindsSeen = new HashSet<>();            // [this]
        private long uafSeen;                                                // [this] the log's count at the last poll
        private boolean tableCheckSeen;                                      // [this]

        Violations(Predicate<String> stopAt) {
            this.stopAt = stopAt;
        }

        void add(String v) {
            final boolean stops = stopAt.test(v);
            if (count.incrementAndGet() <= KEPT_GOING || stops) {
                kept.add(v);
            }
            if (stops) {
                stopped = true;
            }
        }

        long count() {
            return count.get();
        }

        boolean stopped() {
            return stopped;
        }

        /** Turns new kinds of use-after-free report (P3) and the first freed table with entries (P6) into lines. */
        void poll(Machine m) {
            final long uaf = m.useAfterFree().count();
            final boolean tables = m.pageTableCheck().count() > 0;
            if (uaf == 0 && !tables) {
                return;
            }
            final List<String> fresh = new ArrayList<>();
            synchronized (this) {
                if (uaf != uafSeen) {
                    uafSeen = uaf;
                    for (String r : m.useAfterFree().firstOfEachKind()) {
                        if (uafKindsSeen.add(UseAfterFreeLog.kindOf(r))) {
                            fresh.add("P3: " + r);
                        }
                    }
                }
                if (tables && !tableCheckSeen) {
                    final List<String> r = m.pageTableCheck().reports();
                    if (!r.isEmpty()) {
                        tableCheckSeen = true;
                        fresh.add("P6: " + r.get(0));
                    }
                }
            }
            fresh.forEach(this::add);
        }

        List<String> lines() {
            return List.copyOf(kept);
        }
    }

    private static boolean anyAlive(List<Thread> ts) {
        for (Thread t : ts) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
