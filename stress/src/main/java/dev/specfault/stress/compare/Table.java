package dev.specfault.stress.compare;

import dev.specfault.fault.Design;
import dev.specfault.stress.workload.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The comparison table: per group, each design's pages/s, latency percentiles, retries and
 * fallbacks, with pages/s and p99 as ratios against the locked design of the same group (the
 * speculative/locked and kernel-lock/locked ratios). As plain text (ASCII only) and as HTML.
 */
public final class Table {
    /** The columns: heading and how to render a cell. */
    private static final String[] HEAD = {"design", "pages/s", "vs locked", "faults/s", "p50 ns", "p99 ns",
        "p99 vs locked", "p99.9 ns", "max ns", "retries", "fallbacks", "violations"};

    private Table() {
    }

    /** One design's cells in one group, rendered. */
    static List<String> cells(Comparison c, Group g, Design d) {
        final Map<String, Object> r = c.aggregate(g, d);
        final List<String> l = new ArrayList<>();
        l.add(d.cliName());
        l.add(num(r, "pages_per_sec"));
        l.add(ratio(c.ratio(g, d, Design.LOCKED, "pages_per_sec")));
        l.add(num(r, "faults_per_sec"));
        l.add(num(r, "p50_ns"));
        l.add(num(r, "p99_ns"));
        l.add(ratio(c.ratio(g, d, Design.LOCKED, "p99_ns")));
        l.add(num(r, "p999_ns"));
        l.add(num(r, "max_ns"));
        l.add(num(r, "retries"));
        l.add(num(r, "fallbacks"));
        l.add(num(r, "violations"));
        return l;
    }

    private static String num(Map<String, Object> r, String k) {
        final Object o = r.get(k);
        return o instanceof Number n ? String.format(Locale.ROOT, "%,.0f", n.doubleValue()) : "-";
    }

    private static String ratio(OptionalDouble r) {
        return r.isPresent() ? String.format(Locale.ROOT, "%.2fx", r.getAsDouble()) : "-";
    }

    /** The table as text, one block per group. */
    public static String text(Comparison c) {
        final StringBuilder b = new StringBuilder();
        final String fmt = "  %-12s %12s %9s %12s %9s %10s %13s %10s %11s %9s %9s %10s%n";
        for (Group g : c.groups()) {
            b.append(g.label()).append('\n');
            b.append(String.format(Locale.ROOT, fmt, (Object[]) HEAD));
            for (Design d : c.designs()) {
                if (c.aggregate(g, d) != null) {
                    b.append(String.format(Locale.ROOT, fmt, cells(c, g, d).toArray()));
                }
            }
        }
        return b.toString();
    }

    /**
     * Where the run has both mmap_churn and churn_apart with the same threads and writers on one
     * architecture: each design's pages/s in mmap_churn over its pages/s in churn_apart, one line
     * per such pair. churn_apart's writers load the machine as mmap_churn's do but change nothing in
     * the faulting threads' space, so the quotient is what the writers cost through the design (its
     * lock, retries and shootdowns) rather than through the machine. Empty if the run has no pair.
     */
    public static String designShare(Comparison c) {
        final StringBuilder b = new StringBuilder();
        for (Group g : c.groups()) {
            if (g.workload() != Workload.MMAP_CHURN) {
                continue;
            }
            final Optional<Group> apart = c.find(g.arch(), Workload.CHURN_APART, g.threads(), g.writers());
            if (apart.isEmpty()) {
                continue;
            }
            b.append("  ").append(g.label()).append(" / churn_apart:");
            for (Design d : c.designs()) {
                final OptionalDouble with = c.value(g, d, "pages_per_sec");
                final OptionalDouble without = c.value(apart.get(), d, "pages_per_sec");
                if (with.isPresent() && without.isPresent() && without.getAsDouble() > 0) {
                    b.append(String.format(Locale.ROOT, " %s %.2f", d.cliName(), with.getAsDouble() / without.getAsDouble()));
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The targets as text, one line each. */
    public static String text(List<Target> targets) {
        final StringBuilder b = new StringBuilder();
        for (Target t : targets) {
            b.append(String.format(Locale.ROOT, "  %-4s %s: %s%n", t.status().text(), t.goal(), t.measured()));
        }
        return b.toString();
    }

    /** The table as an HTML {@code <table>}: a heading row per group. */
    static String html(Comparison c) {
        final StringBuilder b = new StringBuilder("<table class=\"results\">\n<thead><tr>");
        for (String h : HEAD) {
            b.append("<th>").append(Html.esc(h)).append("</th>");
        }
        b.append("</tr></thead>\n<tbody>\n");
        for (Group g : c.groups()) {
            b.append("<tr class=\"group\"><th colspan=\"").append(HEAD.length).append("\">")
                    .append(Html.esc(g.label())).append("</th></tr>\n");
            for (Design d : c.designs()) {
                if (c.aggregate(g, d) == null) {
                    continue;
                }
                b.append("<tr>");
                final List<String> cs = cells(c, g, d);
                for (int i = 0; i < cs.size(); i++) {
                    b.append(i == 0 ? "<td>" : "<td class=\"n\">").append(Html.esc(cs.get(i))).append("</td>");
                }
                b.append("</tr>\n");
            }
        }
        return b.append("</tbody></table>\n").toString();
    }
}
