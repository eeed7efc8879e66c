package dev.specfault.stress.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.fault.Design;
import dev.specfault.pmap.Arch;
import dev.specfault.stress.run.CellResult;
import dev.specfault.stress.run.CellSpec;
import dev.specfault.stress.workload.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Aggregation across rounds, ratios, the targets' arithmetic and the soak's windows, on made-up rows. */
class ComparisonTest {
    static final Group CHURN = new Group(Arch.X86_64, Workload.MMAP_CHURN, 1, 1);
    static final Group PF1 = new Group(Arch.X86_64, Workload.PAGE_FAULT1, 1, 0);

    static CellResult cell(Group g, Design d, double pps, long p99, long maxNs, long violations, Long retriesDead) {
        final Map<String, Object> row = new LinkedHashMap<>();
        row.put("design", d.cliName());
        row.put("threads", g.threads());
        row.put("writers", g.writers());
        row.put("pages_per_sec", pps);
        row.put("faults", 1000L);
        row.put("p99_ns", p99);
        row.put("max_ns", maxNs);
        row.put("violations", violations);
        if (retriesDead != null) {
            row.put("retries.dead", retriesDead);
        }
        final CellSpec spec = new CellSpec(d, g.arch(), g.workload(), g.threads(), g.writers(), Duration.ofMillis(1), 1, 1, null);
        return new CellResult(spec, row, List.of(), new Histogram(3), List.of());
    }

    @Test
    void rowsAreMediansExceptSumsAndMaxima() {
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(CHURN));
        c.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 100, 10, 50, 0, 4L));
        c.add(CHURN, Design.SPECULATIVE, 2, cell(CHURN, Design.SPECULATIVE, 400, 30, 90, 1, null));
        c.add(CHURN, Design.SPECULATIVE, 3, cell(CHURN, Design.SPECULATIVE, 200, 20, 70, 2, 6L));
        final Map<String, Object> r = c.aggregate(CHURN, Design.SPECULATIVE);
        assertEquals(200.0, r.get("pages_per_sec"), "median");
        assertEquals(20L, r.get("p99_ns"), "median, an integer stays one");
        assertEquals(90L, r.get("max_ns"), "maximum");
        assertEquals(3L, r.get("violations"), "sum");
        assertEquals(4L, r.get("retries.dead"), "a cause missing from a round counts as 0: median of 4, 0, 6");
        assertEquals(3, r.get("rounds"));
        assertEquals(List.of("design", "threads", "writers", "rounds"), List.copyOf(r.keySet()).subList(0, 4));
        assertNull(c.aggregate(CHURN, Design.LOCKED));
        assertTrue(c.ratio(CHURN, Design.SPECULATIVE, Design.LOCKED, "pages_per_sec").isEmpty());
        assertEquals(3, c.roundRows().size());
        assertEquals(2, c.roundRows().get(1).get("round"));
        assertEquals(2.5, Comparison.median(new double[] {4, 1, 2, 3}));
    }

    /** mmap_churn over churn_apart, per design, for each pair of groups with the same loads; nothing without a pair. */
    @Test
    void designShareDividesMmapChurnByChurnApart() {
        final Group apart = new Group(Arch.X86_64, Workload.CHURN_APART, 1, 1);
        final Group arm = new Group(Arch.ARM64, Workload.MMAP_CHURN, 1, 1);
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(PF1, CHURN, apart, arm));
        c.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 300, 1, 1, 0, null));
        c.add(CHURN, Design.LOCKED, 1, cell(CHURN, Design.LOCKED, 100, 1, 1, 0, null));
        c.add(apart, Design.SPECULATIVE, 1, cell(apart, Design.SPECULATIVE, 400, 1, 1, 0, null));
        c.add(apart, Design.LOCKED, 1, cell(apart, Design.LOCKED, 250, 1, 1, 0, null));
        c.add(arm, Design.SPECULATIVE, 1, cell(arm, Design.SPECULATIVE, 300, 1, 1, 0, null));
        assertEquals("  x86 mmap_churn 1t+1w / churn_apart: speculative 0.75 locked 0.40\n", Table.designShare(c));
        final Comparison none = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(CHURN));
        none.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 300, 1, 1, 0, null));
        assertEquals("", Table.designShare(none));
    }

    @Test
    void targetsPassAndMissOnTheirThresholds() {
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(PF1, CHURN));
        c.add(PF1, Design.SPECULATIVE, 1, cell(PF1, Design.SPECULATIVE, 95, 1000, 1, 0, null));
        c.add(PF1, Design.LOCKED, 1, cell(PF1, Design.LOCKED, 100, 1000, 1, 0, null));
        c.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 299, 2001, 1, 0, null));
        c.add(CHURN, Design.LOCKED, 1, cell(CHURN, Design.LOCKED, 100, 20010, 1, 0, null));
        final List<Target> t = Targets.evaluate(c, null);
        assertEquals(Target.Status.MISS, t.get(0).status(), t.get(0).toString()); // 2.99x < 3x
        assertEquals(Target.Status.PASS, t.get(1).status(), t.get(1).toString()); // 2001 * 10 <= 20010
        assertEquals(Target.Status.MISS, t.get(2).status(), t.get(2).toString()); // 2001 > 2 x 1000
        assertEquals(Target.Status.PASS, t.get(3).status(), t.get(3).toString()); // 0.95x
        assertTrue(t.get(3).goal().startsWith("x86 page_fault1 1t"), t.get(3).goal());
        assertEquals(Target.Status.NA, t.get(4).status());
    }

    @Test
    void soakLevelsAreFiveSecondMediansWithinTenPercentOfTheLevelAtTenSeconds() {
        final Soak flat = new Soak("flat", 20, null);
        final Soak growing = new Soak("growing", 20, null);
        final Soak stopped = new Soak("stopped", 60, null);
        final Soak spiky = new Soak("spiky", 20, null);
        final Soak raised = new Soak("raised", 20, null);
        for (long t = 0; t < 20_000; t += 20) {
            final long ns = t * 1_000_000L;
            final long swing = (t / 20) % 2 == 0 ? 100 : 300; // mean and median 200 in every window
            flat.sample(ns, 1000 + swing, swing, t * 40);
            growing.sample(ns, 1000 + swing, t < 10_000 ? swing : swing + (t - 10_000) / 100, t * 40);
            stopped.sample(ns, 1000 + swing, swing, t * 40);
            // 100..300 spread evenly over every window's 250 samples
            final long spread = 100 + (t / 20 % 250) * 200 / 249;
            // a late grace period: 12 of one window's samples at 5,000 (its mean +110%, its median +2%)
            spiky.sample(ns, 1000 + swing, t >= 12_000 && t < 12_240 ? 5000 : spread, t * 40);
            // the backlog raised by a quarter after 10 s: the median moves
            raised.sample(ns, 1000 + swing, t < 10_000 ? spread : spread + 50, t * 40);
        }
        assertEquals(3, flat.windowMeans(1).length, "whole windows only: the one holding the last sample may be cut short");
        assertEquals(200.0, flat.windowMeans(2)[1], 1e-9);
        assertEquals(200.0, flat.windowMedians(2)[1], 1e-9);
        assertEquals(Target.Status.PASS, flat.target("g").status(), flat.target("g").measured());
        assertEquals(Target.Status.MISS, growing.target("g").status(), growing.target("g").measured());
        assertTrue(spiky.windowMeans(2)[2] > 1.2 * spiky.windowMeans(2)[1], "the spike moves the mean");
        assertEquals(Target.Status.PASS, spiky.target("g").status(), spiky.target("g").measured());
        assertEquals(Target.Status.MISS, raised.target("g").status(), raised.target("g").measured());
        assertEquals(Target.Status.MISS, stopped.target("g").status(), "15 s of 60: " + stopped.target("g").measured());
        assertTrue(stopped.target("g").measured().contains("stopped after 15 s of 60"), stopped.target("g").measured());
        assertTrue(flat.csv().startsWith("window_start_s,window_end_s,frames_in_use_median"), flat.csv());
        assertEquals(40_000.0, flat.windowCallbackRates()[1], 1e-6, "40 callbacks queued per ms");
        assertEquals(5.0, flat.windowWaitsMillis()[1], 1e-9, "Little's law: 200 waiting at 40,000/s");
        assertTrue(flat.csv().contains("\n5,10,1200.0,1200.0,200.0,200.0,40000,5.000\n"), flat.csv());
        final Soak shortRun = new Soak("short", 60, null);
        shortRun.sample(5_000_000_000L, 1, 1, 1);
        assertEquals(Target.Status.NA, shortRun.target("g").status());
    }

    // Found by mutation testing (2026-11-29, docs/mutation-testing.md, third round): each of the
    // following fails on a one-line change of main code the rest of the default run let through.

    @Test
    void theWriterTargetPrefersMmapChurnWithoutWritersOverPageFault1() {
        final Group churn0 = new Group(Arch.X86_64, Workload.MMAP_CHURN, 1, 0);
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE), List.of(PF1, churn0, CHURN));
        c.add(PF1, Design.SPECULATIVE, 1, cell(PF1, Design.SPECULATIVE, 100, 500, 1, 0, null));
        c.add(churn0, Design.SPECULATIVE, 1, cell(churn0, Design.SPECULATIVE, 100, 1000, 1, 0, null));
        c.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 100, 2000, 1, 0, null));
        final Target t = Targets.evaluate(c, null).get(2);
        assertEquals(Target.Status.PASS, t.status(), t.toString()); // 2000 <= 2 x 1000 (mmap_churn 1t), not 2 x 500
        assertTrue(t.measured().contains("mmap_churn 1t"), t.measured());
    }

    @Test
    void everyCorrectnessCountIsSummedAndEveryHighWaterMarkMaxed() {
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE), List.of(CHURN));
        final long[][] rounds = {{0, 0, 0}, {0, 0, 0}, {5, 3, 7}}; // one bad round of three
        for (int i = 0; i < rounds.length; i++) {
            final CellResult r = cell(CHURN, Design.SPECULATIVE, 100, 10, 10, 0, null);
            int k = 0;
            for (String col : List.of("use_after_free", "leaked_frames", "sigsegv")) {
                r.row().put(col, rounds[i][k++]);
            }
            r.row().put("sigbus", rounds[i][0]);
            r.row().put("srcu_backlog_max", 10L * (i + 1));
            r.row().put("frames_in_use_max", 100L - i);
            c.add(CHURN, Design.SPECULATIVE, i + 1, r);
        }
        final Map<String, Object> row = c.aggregate(CHURN, Design.SPECULATIVE);
        assertEquals(5L, row.get("use_after_free"));
        assertEquals(3L, row.get("leaked_frames"), "summed, not the median 0 of one bad round");
        assertEquals(7L, row.get("sigsegv"));
        assertEquals(5L, row.get("sigbus"));
        assertEquals(30L, row.get("srcu_backlog_max"));
        assertEquals(100L, row.get("frames_in_use_max"));
    }

    @Test
    void targetsPassExactlyOnTheirThresholds() {
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(PF1, CHURN));
        c.add(PF1, Design.SPECULATIVE, 1, cell(PF1, Design.SPECULATIVE, 100, 1000, 1, 0, null));
        c.add(PF1, Design.LOCKED, 1, cell(PF1, Design.LOCKED, 100, 1000, 1, 0, null));
        c.add(CHURN, Design.SPECULATIVE, 1, cell(CHURN, Design.SPECULATIVE, 300, 2000, 1, 0, null));
        c.add(CHURN, Design.LOCKED, 1, cell(CHURN, Design.LOCKED, 100, 20000, 1, 0, null));
        final List<Target> t = Targets.evaluate(c, null);
        assertEquals(Target.Status.PASS, t.get(0).status(), t.get(0).toString()); // 3.00x >= 3x
        assertEquals(Target.Status.PASS, t.get(1).status(), t.get(1).toString()); // 2000 * 10 <= 20000
        assertEquals(Target.Status.PASS, t.get(2).status(), t.get(2).toString()); // 2000 <= 2 x 1000
        assertEquals(Target.Status.PASS, t.get(3).status(), t.get(3).toString()); // 1.00x >= 0.95x
    }

    /**
     * Cells that measured nothing (all zero): the targets are "not measured", not a 0/0 ratio that
     * misses, and every chart is a valid drawing: XChart scaled a flat axis into NaN coordinates in
     * the SVG (found in review with compare --duration 1ms, 2026-11-30).
     */
    @Test
    void cellsThatMeasuredNothingHaveNoRatioAndValidCharts(@TempDir Path dir) throws Exception {
        final Comparison c = new Comparison(List.of(Design.SPECULATIVE, Design.LOCKED), List.of(CHURN, PF1));
        for (Group g : List.of(CHURN, PF1)) {
            for (Design d : List.of(Design.SPECULATIVE, Design.LOCKED)) {
                c.add(g, d, 1, cell(g, d, 0, 0, 0, 0, null));
            }
        }
        for (Target t : Targets.evaluate(c, null)) {
            assertFalse(t.toString().contains("0.00x"), t.toString());
        }
        assertTrue(Targets.evaluate(c, null).stream().anyMatch(t -> t.toString().contains("a cell measured no page")),
                Targets.evaluate(c, null).toString());
        final List<Charts.Chart> charts = Charts.write(c, dir);
        assertFalse(charts.isEmpty());
        try (java.util.stream.Stream<Path> l = Files.list(dir)) {
            for (Path svg : l.filter(p -> p.toString().endsWith(".svg")).toList()) {
                assertFalse(Files.readString(svg).contains("NaN"), svg + " has NaN coordinates");
            }
        }
    }
}
