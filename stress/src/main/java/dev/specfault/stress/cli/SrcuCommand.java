package dev.specfault.stress.cli;

import dev.specfault.srcu.GracePeriodDriver;
import dev.specfault.srcu.SrcuBug;
import dev.specfault.srcu.SrcuDomain;
import dev.specfault.srcu.SrcuStats;
import dev.specfault.srcu.pool.PoisoningPool;
import dev.specfault.srcu.pool.PoolStats;
import dev.specfault.srcu.pool.Pooled;
import dev.specfault.stress.Specfault;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.HdrHistogram.Recorder;
import org.jctools.util.PaddedAtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./specfault srcu}: a short demonstration of the reclaimer. Reader threads walk a table of
 * pooled records inside read sections and validate every record they read; writer threads replace
 * records and retire the old ones through the pool, which poisons them after a grace period; one
 * writer in eight also times a {@code synchronize()}. Prints rates, grace periods, the backlog and
 * use-after-free detections; {@code --inject} turns on a seeded bug of the SRCU layer, and a
 * detection is a {@code VIOLATION} line with exit code 1.
 */
@Command(name = "srcu", mixinStandardHelpOptions = true,
        description = {"Demonstrates the SRCU reclaimer: readers traverse, writers retire through a poisoning pool.",
                "Exit code 1 if a use-after-free is detected (e.g. with --inject grace-period-no-wait)."})
public final class SrcuCommand implements Callable<Integer> {
    private static final long POISON = 0xdead_beef_dead_beefL;

    @Option(names = "--duration", defaultValue = "3s", converter = DurationConverter.class,
            description = "how long to run (ms, s or m suffix; default ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--readers", defaultValue = "2", description = "reader threads (default ${DEFAULT-VALUE})")
    int readers;

    @Option(names = "--writers", defaultValue = "1", description = "writer threads (default ${DEFAULT-VALUE})")
    int writers;

    @Option(names = "--records", defaultValue = "1024", description = "records in the table (default ${DEFAULT-VALUE})")
    int records;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--inject", paramLabel = "BUG",
            description = "turn on a seeded bug of the SRCU layer; 'list' prints them")
    String inject;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** A pooled record, immutable while live ({@code b == ~a}). */
    static final class Rec extends Pooled {
        long a;
        long b;

        @Override
        protected void poison() {
            a = POISON;
            b = POISON;
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        if ("list".equals(inject)) {
            for (SrcuBug b : SrcuBug.values()) {
                out.println(b.cliName() + "\tsrcu\tsrcu\t" + b.description());
            }
            return 0;
        }
        final EnumSet<SrcuBug> bugs = EnumSet.noneOf(SrcuBug.class);
        if (inject != null) {
            bugs.add(parseBug(inject));
        }
        check(readers >= 1 && readers <= 256, "--readers must be between 1 and 256: " + readers);
        check(writers >= 1 && writers <= 256, "--writers must be between 1 and 256: " + writers);
        check(records >= 1 && records <= 1 << 24, "--records must be between 1 and 16777216: " + records);

        final Run run = new Run(bugs);
        run.execute(out);
        return run.report(out);
    }

    private SrcuBug parseBug(String name) {
        for (SrcuBug b : SrcuBug.values()) {
            if (b.cliName().equals(name)) {
                return b;
            }
        }
        throw new CommandLine.ParameterException(spec.commandLine(),
                "unknown seeded bug '" + name + "' (--inject list shows them)");
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    /** One run of the demonstration. */
    private final class Run {
        final SrcuDomain domain;
        final PoisoningPool<Rec> pool;
        final AtomicReferenceArray<Rec> table;
        final PaddedAtomicLong sections = new PaddedAtomicLong();
        final PaddedAtomicLong retired = new PaddedAtomicLong();
        final Recorder syncLatency = new Recorder(3);
        volatile boolean stop;
        long elapsedNanos;

        Run(EnumSet<SrcuBug> bugs) {
            domain = SrcuDomain.builder("srcu-demo").driver(GracePeriodDriver.shared()).bugs(bugs).build();
            pool = PoisoningPool.builder("records", domain, Rec::new).quarantine(64).build();
            table = new AtomicReferenceArray<>(records);
            for (int i = 0; i < records; i++) {
                final Rec r = pool.allocate();
                r.a = i;
                r.b = ~i;
                table.set(i, r);
            }
        }

        void execute(PrintWriter out) throws InterruptedException {
            final List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < readers; i++) {
                threads.add(new Thread(this::read, "srcu-reader-" + i));
            }
            for (int i = 0; i < writers; i++) {
                final int w = i;
                threads.add(new Thread(() -> write(w), "srcu-writer-" + i));
            }
            out.printf("srcu demo: %d reader(s), %d writer(s), %d records, %s, driver %s%s%n",
                    readers, writers, records, DurationFormat.of(duration), domain.driver().name(),
                    domain.bugs().isEmpty() ? "" : ", seeded bug " + domain.bugs());
            final int cpus = Runtime.getRuntime().availableProcessors();
            if (readers + writers > 4 * cpus) {
                // Every thread spins: the grace-period thread and the stop wait for the host to
                // schedule them (256 readers and 256 writers on 2 CPUs took 98 s for 300 ms).
                out.printf("note: %d busy threads on %d CPUs: the writers inside synchronize() finish their grace"
                        + " periods after the run's time, which may take much longer than %s%n", readers + writers, cpus,
                        DurationFormat.of(duration));
            }
            final long start = System.nanoTime();
            threads.forEach(Thread::start);
            final long end = start + duration.toNanos();
            long lastSections = 0;
            long lastPrint = start;
            while (System.nanoTime() < end) {
                final long left = end - System.nanoTime();
                Thread.sleep(Math.max(1, Math.min(1000, left / 1_000_000)));
                final long now = System.nanoTime();
                if (now - lastPrint >= 1_000_000_000L || now >= end) {
                    final long s = sections.get();
                    final SrcuStats st = domain.stats();
                    out.printf("  %5.1fs  read sections/s %,12.0f  grace periods %,8d  backlog %,7d  use-after-free %d%n",
                            (now - start) / 1e9, (s - lastSections) * 1e9 / (now - lastPrint),
                            st.gracePeriods(), st.backlog(), pool.log().count());
                    lastSections = s;
                    lastPrint = now;
                }
            }
            stop = true;
            for (Thread t : threads) {
                t.join();
            }
            elapsedNanos = System.nanoTime() - start;
            if (elapsedNanos > duration.toNanos() + 1_000_000_000L) {
                out.printf("note: the threads stopped %s after the run's time (rates are over the %s they ran)%n",
                        DurationFormat.nanos(elapsedNanos - duration.toNanos()), DurationFormat.nanos(elapsedNanos));
            }
            domain.barrier();
        }

        private void read() {
            final SplittableRandom rnd = new SplittableRandom(seed ^ Thread.currentThread().getId());
            long n = 0;
            while (!stop) {
                final int tok = domain.readLock();
                try {
                    for (int k = 0; k < 16; k++) {
                        final Rec r = table.get(rnd.nextInt(records));
                        final long inc = r.incarnation();
                        final long a = r.a;
                        // Live records are immutable (b == ~a); a poisoned or reused one is reported.
                        pool.validate(r, inc, "a", a);
                    }
                } finally {
                    domain.readUnlock(tok);
                }
                if ((++n & 1023) == 0) {
                    sections.addAndGet(1024);
                }
            }
            sections.addAndGet(n & 1023);
        }

        private void write(int w) {
            final SplittableRandom rnd = new SplittableRandom(seed * 31 + w);
            long n = 0;
            while (!stop) {
                domain.poll(); // the writer's safe point, as both designs' writers have one per operation
                final Rec r = pool.allocate();
                r.a = rnd.nextLong();
                r.b = ~r.a;
                pool.retire(table.getAndSet(rnd.nextInt(records), r));
                if ((++n & 7) == 0) {
                    final long t0 = System.nanoTime();
                    domain.synchronize();
                    syncLatency.recordValue(System.nanoTime() - t0);
                }
            }
            retired.addAndGet(n);
        }

        int report(PrintWriter out) {
            final SrcuStats st = domain.stats();
            final PoolStats ps = pool.stats();
            final org.HdrHistogram.Histogram h = syncLatency.getIntervalHistogram();
            final double secs = elapsedNanos / 1e9;
            out.printf("read sections      %,14d  (%,.0f /s)%n", sections.get(), sections.get() / secs);
            out.printf("records retired    %,14d  (%,.0f /s)%n", retired.get(), retired.get() / secs);
            out.printf("grace periods      %,14d  longest %s, mean %s%n", st.gracePeriods(),
                    DurationFormat.nanos(st.longestGracePeriodNanos()),
                    DurationFormat.nanos(st.gracePeriods() == 0 ? 0 : st.totalGracePeriodNanos() / st.gracePeriods()));
            out.printf("callbacks          %,14d queued, %,d run, backlog max %,d%n",
                    st.callbacksQueued(), st.callbacksRun(), st.backlogMax());
            out.printf("synchronize()      p50 %s  p99 %s  max %s  (%,d timed)%n",
                    DurationFormat.nanos(h.getValueAtPercentile(50)), DurationFormat.nanos(h.getValueAtPercentile(99)),
                    DurationFormat.nanos(h.getMaxValue()), h.getTotalCount());
            out.printf("pool               created %,d, reused %,d, live %,d, quarantined %,d%n",
                    ps.created(), ps.reused(), ps.live(), ps.quarantined());
            final long uaf = pool.log().count();
            out.printf("use-after-free     %,14d%n", uaf);
            if (uaf > 0) {
                out.println("VIOLATION use-after-free (P3): " + uaf + " detections; first: " + pool.log().reports().get(0));
                return Specfault.EXIT_VIOLATION;
            }
            return 0;
        }
    }
}
