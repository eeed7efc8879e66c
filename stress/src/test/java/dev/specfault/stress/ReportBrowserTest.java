package dev.specfault.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.specfault.stress.SpecfaultCliTest.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report.html} opened in a real headless browser (Debian's {@code chromium}, which
 * {@code .ci/run} installs): the page loads without errors and every chart decodes. The page's own
 * script writes what it found into {@code #selfcheck}; the browser dumps the DOM after load.
 * Skipped, saying so, where no chromium is installed.
 */
class ReportBrowserTest {
    private static final Pattern SELFCHECK = Pattern.compile("<p id=\"selfcheck\"([^>]*)>([^<]*)");

    static Path chromium() {
        final Path deb = Path.of("/usr/bin/chromium");
        if (Files.isExecutable(deb)) {
            return deb;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (String name : new String[] {"chromium", "chromium-browser"}) {
                final Path p = Path.of(dir, name);
                if (!dir.isEmpty() && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** The page's self-check element after load, as chromium dumps it. */
    static String selfcheck(Path browser, Path page, Path profile) throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom",
                page.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s");
        }
        final Matcher m = SELFCHECK.matcher(dom);
        assertTrue(m.find(), "no #selfcheck in the dumped DOM (exit " + p.exitValue() + "): "
                + dom.substring(0, Math.min(300, dom.length())));
        return m.group(1) + " " + m.group(2);
    }

    @Test
    void theReportLoadsWithoutErrorsAndEveryChartDecodes(@TempDir Path dir) throws Exception {
        final Path browser = chromium();
        if (browser == null) {
            System.out.println("ReportBrowserTest: chromium not installed (/usr/bin/chromium or on PATH): skipped");
        }
        Assumptions.assumeTrue(browser != null,
                "chromium not installed (/usr/bin/chromium or on PATH): the browser test is skipped");
        final Path out = dir.resolve("report");
        final Result r = SpecfaultCliTest.run(CompareCommandTest.tiny(out, "--arch", "x86", "--workload", "page_fault1",
                "--threads", "1"));
        assertEquals(0, r.code(), r.out() + r.err());
        final Path page = out.resolve("report.html");
        final int charts;
        try (Stream<Path> s = Files.list(out)) {
            charts = (int) s.filter(f -> f.toString().endsWith(".png")).count();
        }
        assertEquals(3, charts);

        final String ok = selfcheck(browser, page, dir.resolve("profile"));
        assertTrue(ok.contains("data-status=\"done\""), "the page's script ran to the end: " + ok);
        assertTrue(ok.contains("data-charts=\"" + charts + "\"") && ok.contains("data-decoded=\"" + charts + "\""),
                "every chart decoded: " + ok);
        assertTrue(ok.contains("data-errors=\"0\""), "no errors: " + ok);

        // The check can fail: the same page with one chart's bytes corrupted and a script error.
        final String html = Files.readString(page);
        // The first chart's data is cut to a PNG signature and half a header: no decoder accepts
        // that (overwriting a few bytes inside the data could land in a chunk a browser skips).
        final int at = html.indexOf("base64,") + "base64,".length();
        final int end = html.indexOf('"', at);
        final Path bad = out.resolve("broken.html");
        Files.writeString(bad, html.substring(0, at) + "iVBORw0KGgoAAAANSUhEUgAA" + html.substring(end)
                .replace("</body>", "<script>undefinedFunction();</script></body>"));
        final String broken = selfcheck(browser, bad, dir.resolve("profile2"));
        assertTrue(broken.contains("data-decoded=\"" + (charts - 1) + "\""), "a corrupted chart is not decoded: " + broken);
        assertTrue(!broken.contains("data-errors=\"0\""), "errors are counted: " + broken);
        List.of(page, bad).forEach(p -> assertTrue(Files.exists(p)));
    }
}
