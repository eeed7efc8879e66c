package dev.specfault.stress.compare;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.workload.Workload;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * The performance targets, evaluated on one comparison run. Informational: a missed target
 * is reported with its numbers, it never changes the exit code.
 *
 * <ol>
 *   <li>{@code mmap_churn}, 1 faulting thread + 1 writer, x86: speculative ≥ 3× locked in pages/s;</li>
 *   <li>the same cell: speculative p99 ≤ 1/10 of locked's;</li>
 *   <li>speculative p99 with the writer ≤ 2× its own p99 without it (the reference without the
 *       writer is {@code mmap_churn 1t+0w} if the run has it, else {@code page_fault1 1t}: the
 *       same faulting loop);</li>
 *   <li>{@code page_fault1/2/3} with no writer threads: speculative ≥ 0.95× locked, every group;</li>
 *   <li>60 s of {@code mmap_churn}: SRCU backlog and frames in use stay within 10% of their level
 *       after 10 s (only with {@code --soak}).</li>
 * </ol>
 */
public final class Targets {
    private static final Set<Workload> PAGE_FAULT = EnumSet.of(Workload.PAGE_FAULT1, Workload.PAGE_FAULT2,
            Workload.PAGE_FAULT3);

    private Targets() {
    }

    public static List<Target> evaluate(Comparison c, Soak soak) {
        final List<Target> l = new ArrayList<>();
        final Design s = Design.SPECULATIVE;
        final Design k = Design.LOCKED;
        final boolean both = c.designs().contains(s) && c.designs().contains(k);
        final Optional<Group> churn = c.find(Arch.X86_64, Workload.MMAP_CHURN, 1, 1);
        final String g1 = "mmap_churn 1t+1w x86: speculative >= 3x locked in pages/s";
        final String g2 = "mmap_churn 1t+1w x86: speculative p99 <= 1/10 of locked p99";
        if (both && churn.isPresent() && !(measured(c, churn.get(), s) && measured(c, churn.get(), k))) {
            l.add(Target.notMeasured(g1, NOTHING_MEASURED));
            l.add(Target.notMeasured(g2, NOTHING_MEASURED));
        } else if (both && churn.isPresent()) {
            final Group g = churn.get();
            final double r = c.ratio(g, s, k, "pages_per_sec").orElse(0);
            l.add(Target.of(g1, r >= 3, String.format(Locale.ROOT, "%s vs %s pages/s = %.2fx",
                    count(c.value(g, s, "pages_per_sec")), count(c.value(g, k, "pages_per_sec")), r)));
            final double sp = c.value(g, s, "p99_ns").orElse(0);
            final double lp = c.value(g, k, "p99_ns").orElse(0);
            l.add(Target.of(g2, sp * 10 <= lp, String.format(Locale.ROOT, "p99 %s vs %s ns = 1/%.1f",
                    count(sp), count(lp), sp == 0 ? Double.POSITIVE_INFINITY : lp / sp)));
        } else {
            l.add(Target.notMeasured(g1, "needs speculative and locked on x86 mmap_churn 1t+1w"));
            l.add(Target.notMeasured(g2, "needs speculative and locked on x86 mmap_churn 1t+1w"));
        }
        final String g3 = "speculative p99 with the writer <= 2x its p99 without it (x86)";
        final Optional<Group> quiet = c.find(Arch.X86_64, Workload.MMAP_CHURN, 1, 0)
                .or(() -> c.find(Arch.X86_64, Workload.PAGE_FAULT1, 1, 0));
        if (c.designs().contains(s) && churn.isPresent() && quiet.isPresent()
                && !(measured(c, churn.get(), s) && measured(c, quiet.get(), s))) {
            l.add(Target.notMeasured(g3, NOTHING_MEASURED));
        } else if (c.designs().contains(s) && churn.isPresent() && quiet.isPresent()) {
            final double with = c.value(churn.get(), s, "p99_ns").orElse(0);
            final double without = c.value(quiet.get(), s, "p99_ns").orElse(0);
            l.add(Target.of(g3, with <= 2 * without, String.format(Locale.ROOT,
                    "p99 %s ns with, %s ns without (%s) = %.2fx", count(with), count(without),
                    quiet.get().load(), without == 0 ? Double.POSITIVE_INFINITY : with / without)));
        } else {
            l.add(Target.notMeasured(g3, "needs speculative on x86 mmap_churn 1t+1w and page_fault1 1t"));
        }
        boolean any = false;
        for (Group g : c.groups()) {
            if (PAGE_FAULT.contains(g.workload()) && g.writers() == 0 && both) {
                any = true;
                if (!(measured(c, g, s) && measured(c, g, k))) {
                    l.add(Target.notMeasured(g.label() + ": speculative >= 0.95x locked in pages/s", NOTHING_MEASURED));
                    continue;
                }
                final double r = c.ratio(g, s, k, "pages_per_sec").orElse(0);
                l.add(Target.of(g.label() + ": speculative >= 0.95x locked in pages/s", r >= 0.95,
                        String.format(Locale.ROOT, "%s vs %s pages/s = %.2fx", count(c.value(g, s, "pages_per_sec")),
                                count(c.value(g, k, "pages_per_sec")), r)));
            }
        }
        if (!any) {
            l.add(Target.notMeasured("page_fault1/2/3, no writers: speculative >= 0.95x locked",
                    "needs speculative and locked on a page_fault group"));
        }
        final String g5 = "60 s of mmap_churn: SRCU backlog and frames in use within 10% of their level after 10 s";
        l.add(soak == null ? Target.notMeasured(g5, "not run (compare --soak 60s)") : soak.target(g5));
        return l;
    }

    private static final String NOTHING_MEASURED = "a cell measured no page (--duration too short for one round?)";

    /** Whether {@code d}'s cells of {@code g} touched pages and so have latencies: a ratio means something. */
    private static boolean measured(Comparison c, Group g, Design d) {
        return c.value(g, d, "pages_per_sec").orElse(0) > 0 && c.value(g, d, "p99_ns").orElse(0) > 0;
    }

    static String count(OptionalDouble v) {
        return v.isPresent() ? count(v.getAsDouble()) : "-";
    }

    static String count(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }
}
