package dev.specfault.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.stress.SpecfaultCliTest.Result;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ./specfault compare} end to end, in process, with tiny cells. */
class CompareCommandTest {
    /** The columns: every result row (JSON and CSV) has at least these. */
    static final List<String> COLUMNS = List.of("design", "arch", "workload", "threads", "writers", "seconds",
            "pages_per_sec", "faults", "faults_per_sec", "p50_ns", "p99_ns", "p999_ns", "max_ns", "retries",
            "fallbacks", "sigsegv", "violations", "use_after_free", "leaked_frames", "srcu_backlog_max");

    /** Short cells: 200 ms, 100 ms warm-up, one round, 1 MiB regions. */
    static String[] tiny(Path out, String... more) {
        return cells(out, "200ms", more);
    }

    /** Cells of {@code duration}, 100 ms warm-up, one round, 1 MiB regions. */
    static String[] cells(Path out, String duration, String... more) {
        return Stream.concat(Stream.of("compare", "--duration", duration, "--warmup", "100ms", "--rounds", "1",
                "--region", "1", "--out", out.toString()), Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void writesTheTableTheTargetsAndEveryFileOfTheReport(@TempDir Path dir) throws Exception {
        final Path out = dir.resolve("report");
        final Result r = SpecfaultCliTest.run(tiny(out, "--arch", "x86"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("VIOLATION"), r.out());
        // off a terminal: no progress line, no control characters
        assertTrue((r.out() + r.err()).chars().noneMatch(ch -> ch == '\r' || ch == 0x1b), "control characters");
        // the table: three groups, every design, ratios against locked; then the targets
        for (String g : new String[] {"x86 page_fault1 1t", "x86 page_fault1 2t", "x86 mmap_churn 1t+1w"}) {
            assertTrue(r.out().lines().anyMatch(g::equals), g + " in\n" + r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+locked\\s.*\\s1\\.00x\\s.*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+speculative\\s.*\\d\\.\\d\\dx\\s.*")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("\\s+kernel-lock\\s.*\\d\\.\\d\\dx\\s.*")), r.out());
        assertTrue(r.out().contains("targets") && r.out().lines().anyMatch(l -> l.matches("\\s+(PASS|MISS) mmap_churn 1t\\+1w x86: .*")),
                r.out());
        // the warm-up ran every group's cell of every design (3 groups x 3 designs), not one workload
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("warm-up: 9 cells of 100.00 ms (every group's cell of every design)")),
                r.out());

        // results.json parses; 3 groups x 3 designs, each row with the columns
        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> rows = (List<Map<String, Object>>) Json.parse(Files.readString(out.resolve("results.json")));
        assertEquals(9, rows.size());
        for (Map<String, Object> row : rows) {
            assertTrue(row.keySet().containsAll(COLUMNS), row.keySet().toString());
        }
        assertEquals(9, ((List<?>) Json.parse(Files.readString(out.resolve("rounds.json")))).size());
        // results.csv: a header with the columns, one line per row, as many fields as the header
        final List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        final List<String> head = List.of(csv.get(0).split(","));
        assertTrue(head.containsAll(COLUMNS), head.toString());
        assertEquals(10, csv.size());
        csv.forEach(l -> assertEquals(head.size(), l.split(",", -1).length, l));
        assertTrue(Files.readAllLines(out.resolve("rounds.csv")).get(0).contains(",round,"));

        // charts: throughput, 3 latency, causes; every PNG decodes, every SVG is well-formed XML
        final List<Path> pngs;
        try (Stream<Path> s = Files.list(out)) {
            pngs = s.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertEquals(5, pngs.size(), pngs.toString());
        final DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        for (Path png : pngs) {
            final BufferedImage img = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(png)));
            assertNotNull(img, png + " decodes");
            assertTrue(img.getWidth() > 100 && img.getHeight() > 100, png.toString());
            final Path svg = Path.of(png.toString().replace(".png", ".svg"));
            assertEquals("svg", f.newDocumentBuilder().parse(svg.toFile()).getDocumentElement().getNodeName(), svg.toString());
        }

        // report.html: self-contained (no external fetch), shows the charts, table, targets, command, machine
        final String html = Files.readString(out.resolve("report.html"));
        assertFalse(html.matches("(?s).*\\b(src|href)\\s*=\\s*[\"']?(https?:)?//.*"), "an external reference");
        assertFalse(html.contains("@import") || html.contains("url("), "an external stylesheet resource");
        assertEquals(5, html.split("<img class=\"chart\"", -1).length - 1);
        assertEquals(5, html.split("src=\"data:image/png;base64,", -1).length - 1);
        assertTrue(html.contains("x86 mmap_churn 1t+1w") && html.contains("Targets") && html.contains("specfault compare --duration 200ms"));
        assertTrue(html.contains("<th>cores</th>") && html.contains("<th>JVM</th>"), "machine info");
        assertTrue(html.contains("<th>JIT compiler-thread time during the measured cells</th>"), "the JIT's share of the cores");
    }

    @Test
    void aSeededBugInsideCompareIsAViolationWithExitCode1(@TempDir Path dir) throws Exception {
        // skip-shootdown: a CPU keeps a stale translation (P0/P1/P4); page_fault1 on 2 threads finds it
        // in its first rounds. The bug is turned on in the speculative cells only.
        final Path out = dir.resolve("r");
        final Result r = SpecfaultCliTest.run(cells(out, "500ms", "--inject", "skip-shootdown", "--design", "speculative,locked",
                "--arch", "x86", "--workload", "page_fault1", "--threads", "2", "--no-charts"));
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("VIOLATION ") && l.contains("speculative/x86")), r.out());
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("VIOLATION ") && l.contains("locked/x86")), r.out());
        assertTrue(Files.readString(out.resolve("report.html")).contains("VIOLATION "), "the report lists it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"compare --duration 0s", "compare --duration 3x", "compare --rounds 0", "compare --rounds x",
        "compare --design fast", "compare --arch sparc", "compare --workload nope", "compare --threads 0",
        "compare --threads 1,x", "compare --region 0", "compare --writers -1", "compare --warmup 0s", "compare --soak 1y",
        "compare --inject no-such-bug", "compare --inject upgrade-without-restart --design speculative", "compare --bogus",
        "compare extra"})
    void badArgumentsGiveOneLineAndExitCode2(String line) {
        final Result r = SpecfaultCliTest.run(line.split(" "));
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertFalse(r.err().contains("at dev.") || r.err().contains("Exception"), "no stack trace: " + r.err());
        assertEquals("", r.out());
    }

    @Test
    void anOutThatIsAFileIsABadArgument(@TempDir Path dir) throws Exception {
        final Path file = Files.writeString(dir.resolve("f"), "x");
        final Result r = SpecfaultCliTest.run("compare", "--out", file.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /**
     * A file of the report that exists and cannot take it (a FIFO: the write at the end blocked for
     * ever; a directory: the run was lost at its end) is a one-line error before any cell runs.
     * Found in review (2026-11-30).
     */
    @Test
    void aReportFileThatCannotBeWrittenIsABadArgumentAtOnce(@TempDir Path dir) throws Exception {
        final Path out = Files.createDirectories(dir.resolve("report"));
        Files.createDirectory(out.resolve("results.json"));
        final Result r = SpecfaultCliTest.run(tiny(out, "--workload", "page_fault1", "--arch", "x86", "--threads", "1"));
        SpecfaultCliTest.assertOneLineError(r, "results.json is a directory");
        assertEquals("", r.out(), "nothing ran");
        Files.delete(out.resolve("results.json"));
        if (new ProcessBuilder("mkfifo", out.resolve("throughput-x86.svg").toString()).start().waitFor() == 0) {
            SpecfaultCliTest.assertOneLineError(SpecfaultCliTest.run(tiny(out, "--workload", "page_fault1", "--arch", "x86",
                    "--threads", "1")), "throughput-x86.svg is not a regular file (a FIFO)");
            Files.createDirectory(out.resolve("unrelated.svg"));
            assertEquals(0, SpecfaultCliTest.run(tiny(out, "--workload", "page_fault1", "--arch", "x86", "--threads", "1",
                    "--design", "speculative", "--no-charts")).code(), "no charts: the FIFO is not written; other entries are left alone");
        }
    }

    /** --writers for a matrix with no workload that has writers (and no --soak) would be ignored: an error. */
    @Test
    void writersForNoWorkloadWithWritersAreABadArgument(@TempDir Path dir) {
        final Result r = SpecfaultCliTest.run(tiny(dir.resolve("report"), "--workload", "page_fault1,ebizzy", "--arch", "x86",
                "--threads", "1", "--design", "speculative", "--writers", "2"));
        SpecfaultCliTest.assertOneLineError(r, "--writers 2: none of the workloads compared (page_fault1, ebizzy) takes writer threads");
        assertFalse(Files.exists(dir.resolve("report")), "nothing ran");
    }

    /** The soak is mmap_churn with its writers: --writers 0 with --soak is an error (it ran one writer anyway). */
    @Test
    void aSoakWithoutWritersIsABadArgument(@TempDir Path dir) {
        final Result r = SpecfaultCliTest.run(tiny(dir.resolve("report"), "--soak", "1s", "--writers", "0"));
        SpecfaultCliTest.assertOneLineError(r, "--soak runs mmap_churn with its writer threads: --writers 0");
        assertFalse(Files.exists(dir.resolve("report")), "nothing ran");
    }

    @Test
    void helpNamesTheDefaults() {
        final Result r = SpecfaultCliTest.run("compare", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--full") && r.out().contains("--duration") && r.out().contains("default 2s") && r.out().contains("default 3)"), r.out());
        assertFalse(r.out().contains("--inject"), "--inject is for tests: " + r.out());
        assertTrue(SpecfaultCliTest.run("--help").out().contains("compare"));
    }

    // Found by mutation testing (2026-11-29, docs/mutation-testing.md, third round): each of the
    // following fails on a one-line change of main code the rest of the default run let through.

    @Test
    void aViolationFoundInTheWarmUpIsReportedWithExitCode1(@TempDir Path dir) throws Exception {
        // skip-shootdown on page_fault1 2t is found within the first few hundred ms: the 2 s warm-up finds it
        final Path out = dir.resolve("r");
        final Result r = SpecfaultCliTest.run("compare", "--duration", "200ms", "--warmup", "2s", "--rounds", "1",
                "--region", "1", "--out", out.toString(), "--inject", "skip-shootdown", "--design", "speculative",
                "--arch", "x86", "--workload", "page_fault1", "--threads", "2", "--no-charts");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("VIOLATION ") && l.contains("[warm-up speculative/x86")), r.out());
    }

    @Test
    void roundsInterleaveTheDesignsABAB(@TempDir Path dir) throws Exception {
        final Path out = dir.resolve("r");
        final Result r = speculativeAgainstLockedOnX86(out, "page_fault1", "100ms", "2");
        @SuppressWarnings("unchecked")
        final List<Map<String, Object>> rows = (List<Map<String, Object>>) Json.parse(Files.readString(out.resolve("rounds.json")));
        assertEquals(List.of("speculative 1", "locked 1", "speculative 2", "locked 2"),
                rows.stream().map(m -> m.get("design") + " " + ((Number) m.get("round")).intValue()).toList());
    }

    /** With mmap_churn and churn_apart in one run, the table is followed by each design's quotient of the two, in text and HTML. */
    @Test
    void mmapChurnWithChurnApartPrintsTheDesignsShare(@TempDir Path dir) throws Exception {
        final Path out = dir.resolve("r");
        final Result r = speculativeAgainstLockedOnX86(out, "mmap_churn,churn_apart", "200ms", "1");
        assertTrue(r.out().lines().anyMatch(l -> l.matches("  x86 mmap_churn 1t\\+1w / churn_apart: speculative \\d+\\.\\d\\d locked \\d+\\.\\d\\d")),
                r.out());
        assertTrue(Files.readString(out.resolve("report.html")).contains("x86 mmap_churn 1t+1w / churn_apart: speculative "));
    }

    /** compare of speculative against locked on x86, one faulting thread, 1 MiB regions, no charts; exit code 0 checked. */
    private static Result speculativeAgainstLockedOnX86(Path out, String workloads, String duration, String rounds) {
        final Result r = SpecfaultCliTest.run("compare", "--duration", duration, "--warmup", "100ms", "--rounds", rounds,
                "--region", "1", "--out", out.toString(), "--design", "speculative,locked", "--arch", "x86",
                "--workload", workloads, "--threads", "1", "--no-charts");
        assertEquals(0, r.code(), r.out() + r.err());
        return r;
    }
}
