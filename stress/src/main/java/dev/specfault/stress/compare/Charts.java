package dev.specfault.stress.compare;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.ChartEncoder;
import org.knowm.xchart.style.Styler;

/**
 * The report's charts, drawn with XChart and written as PNG and SVG (headless AWT; SVG through
 * VectorGraphics2D):
 * <ul>
 *   <li>{@code throughput-ARCH}: pages/s of every design for each group, groups in order of threads;</li>
 *   <li>{@code latency-ARCH-GROUP}: p50, p99, p99.9 and max of every design, a line each (log scale);</li>
 *   <li>{@code causes-ARCH}: retries and fallbacks by cause per 1,000 faults, stacked, one bar per
 *       design and group.</li>
 * </ul>
 */
public final class Charts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 480;

    /** One chart as written: its title, its files' base name, and the PNG's bytes (for the HTML). */
    public record Chart(String name, String title, byte[] png) {
    }

    private Charts() {
    }

    /** The files {@link #write} writes for a comparison of {@code groups}: NAME.png and NAME.svg each. */
    public static List<String> files(List<Group> groups) {
        final List<String> l = new ArrayList<>();
        for (Arch a : groups.stream().map(Group::arch).distinct().toList()) {
            final List<String> names = new ArrayList<>(List.of(throughputName(a), causesName(a)));
            groups.stream().filter(g -> g.arch() == a).forEach(g -> names.add(latencyName(g)));
            names.forEach(n -> l.addAll(List.of(n + ".png", n + ".svg")));
        }
        return l;
    }

    private static String throughputName(Arch a) {
        return "throughput-" + a.cliName();
    }

    private static String causesName(Arch a) {
        return "causes-" + a.cliName();
    }

    private static String latencyName(Group g) {
        return "latency-" + g.arch().cliName() + "-" + g.load().replace(' ', '-').replace('+', '-');
    }

    /** Draws every chart of {@code c} and writes {@code NAME.png} and {@code NAME.svg} into {@code dir}. */
    public static List<Chart> write(Comparison c, Path dir) throws IOException {
        if (!Boolean.getBoolean("java.awt.headless")) {
            System.setProperty("java.awt.headless", "true"); // before XChart loads AWT's toolkit
        }
        Files.createDirectories(dir);
        final List<Chart> out = new ArrayList<>();
        for (Arch a : c.archs()) {
            final List<Group> gs = c.groups().stream().filter(g -> g.arch() == a)
                    .sorted(java.util.Comparator.comparingInt(Group::threads).thenComparing(Group::writers)
                            .thenComparing(g -> g.workload().ordinal()))
                    .toList();
            out.add(save(dir, throughputName(a), throughput(c, a, gs)));
            for (Group g : c.groups()) {
                if (g.arch() == a) {
                    out.add(save(dir, latencyName(g), latency(c, g)));
                }
            }
            out.add(save(dir, causesName(a), causes(c, a)));
        }
        return out;
    }

    private static CategoryChart chart(String title, String x, String y) {
        return chart(title, x, y, HEIGHT);
    }

    private static CategoryChart chart(String title, String x, String y, int height) {
        final CategoryChart ch = new CategoryChartBuilder().width(WIDTH).height(height).title(title)
                .xAxisTitle(x).yAxisTitle(y).build();
        final var st = ch.getStyler();
        st.setLegendPosition(Styler.LegendPosition.OutsideS);
        st.setLegendLayout(Styler.LegendLayout.Horizontal);
        st.setChartBackgroundColor(java.awt.Color.WHITE);
        st.setPlotGridVerticalLinesVisible(false);
        return ch;
    }

    static CategoryChart throughput(Comparison c, Arch a, List<Group> gs) {
        final CategoryChart ch = chart("Throughput by workload and threads, " + a.cliName(),
                "workload, faulting threads (+ writers)", "pages touched per second");
        final List<String> xs = gs.stream().map(Group::load).toList();
        for (Design d : c.designs()) {
            ch.addSeries(d.cliName(), xs, gs.stream().map(g -> c.value(g, d, "pages_per_sec").orElse(0)).toList());
        }
        ch.getStyler().setYAxisDecimalPattern("#,###");
        return ch;
    }

    static CategoryChart latency(Comparison c, Group g) {
        final CategoryChart ch = chart("Touch latency, " + g.label(), "percentile", "ns (log scale)");
        final List<String> xs = List.of("p50", "p99", "p99.9", "max");
        final List<String> cols = List.of("p50_ns", "p99_ns", "p999_ns", "max_ns");
        for (Design d : c.designs()) {
            if (c.value(g, d, "max_ns").orElse(0) > 0) { // a design without a single touch has no line
                ch.addSeries(d.cliName(), xs, cols.stream().map(k -> Math.max(1, c.value(g, d, k).orElse(1))).toList());
            }
        }
        if (ch.getSeriesCollection().isEmpty()) {
            ch.addSeries("no touches", xs, List.of(1, 1, 1, 1));
        }
        // Lines with markers, a percentile profile: XChart cannot draw bars on a log axis (they start at 0).
        ch.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        ch.getStyler().setYAxisLogarithmic(true);
        return ch;
    }

    static CategoryChart causes(Comparison c, Arch a) {
        // taller: the bars' labels (design / workload) are long and drawn upright
        final CategoryChart ch = chart("Retries and fallbacks by cause, " + a.cliName(), "design, workload",
                "per 1,000 faults", HEIGHT + 220);
        final List<String> xs = new ArrayList<>();
        final List<Map<String, Object>> rows = new ArrayList<>();
        final TreeSet<String> causes = new TreeSet<>();
        for (Group g : c.groups()) {
            if (g.arch() != a) {
                continue;
            }
            for (Design d : c.designs()) {
                final Map<String, Object> r = c.aggregate(g, d);
                if (r == null) {
                    continue;
                }
                xs.add(d.cliName() + " / " + g.load());
                rows.add(r);
                r.keySet().stream().filter(k -> k.startsWith("retries.") || k.startsWith("fallbacks.")).forEach(causes::add);
            }
        }
        if (causes.isEmpty()) {
            causes.add("retries (none)"); // XChart needs one series; every bar is 0
        }
        for (String k : causes) {
            final List<Double> ys = new ArrayList<>();
            for (Map<String, Object> r : rows) {
                final double faults = ((Number) r.getOrDefault("faults", 0L)).doubleValue();
                final double n = r.get(k) instanceof Number x ? x.doubleValue() : 0;
                ys.add(faults == 0 ? 0 : 1000 * n / faults);
            }
            ch.addSeries(k, xs, ys);
        }
        ch.getStyler().setStacked(true);
        ch.getStyler().setXAxisLabelRotation(90);
        return ch;
    }

    /**
     * An axis whose data are all one value (every cell measured nothing: all 0, or the latency
     * chart's placeholder 1 on its log axis) gets a range around it: XChart scales by max - min and
     * wrote NaN coordinates into the SVG.
     */
    private static void rangeIfFlat(CategoryChart ch) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (CategorySeries se : ch.getSeriesCollection()) {
            for (double y : se.getYData()) {
                min = Math.min(min, y);
                max = Math.max(max, y);
            }
        }
        if (min >= max) {
            final double v = Double.isFinite(min) ? min : 0;
            ch.getStyler().setYAxisMin(ch.getStyler().isYAxisLogarithmic() ? Math.max(1, v) : Math.min(0, v));
            ch.getStyler().setYAxisMax(ch.getStyler().isYAxisLogarithmic() ? Math.max(1, v) * 10 : Math.max(0, v) + 1);
        }
    }

    private static Chart save(Path dir, String name, CategoryChart ch) throws IOException {
        rangeIfFlat(ch);
        // ChartEncoder (XChart 4): PNG through ImageIO, SVG through VectorGraphics2D.
        final byte[] png = ChartEncoder.getBytes(ch, "png");
        Files.write(dir.resolve(name + ".png"), png);
        Files.write(dir.resolve(name + ".svg"), ChartEncoder.getBytes(ch, "svg"));
        return new Chart(name, ch.getTitle(), png);
    }
}
