package dev.specfault.stress.compare;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The self-contained {@code report.html}: CSS inline, every chart a PNG in a {@code data:} URI (the
 * SVGs are written beside it), no script or style fetched from anywhere. A small inline script
 * checks the page in the browser: it records {@code window} errors from the first moment, decodes
 * every chart image (drawn into a canvas and read back), and writes the outcome into the {@code #selfcheck} element's attributes
 * ({@code data-charts}, {@code data-decoded}, {@code data-errors}, {@code data-status="done"}),
 * which the browser test reads from the dumped DOM.
 */
public final class Html {
    private Html() {
    }

    /** What the report shows besides the results. */
    public record Context(String commandLine, Map<String, String> machine, String aggregation) {
    }

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:1100px;
            color:#222;padding:0 1em}
            h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc}
            code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
            pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
            table{border-collapse:collapse;font-size:.88em;margin:.5em 0}
            th,td{border:1px solid #ddd;padding:.25em .5em}td.n{text-align:right;font-variant-numeric:tabular-nums}
            tr.group th{background:#eef2f7;text-align:left}
            .PASS{color:#146c2e;font-weight:bold}.MISS{color:#b3261e;font-weight:bold}.na{color:#777}
            .violation{color:#b3261e}
            figure{margin:1.2em 0}figure img{max-width:100%;border:1px solid #eee}
            figcaption{font-size:.85em;color:#555}
            #selfcheck{font-size:.8em;color:#777}
            """;

    private static final String SCRIPT = """
            window.specfaultErrors = [];
            window.addEventListener('error', function (e) {
              window.specfaultErrors.push(String(e.message || (e.target && e.target.src
                  ? 'cannot load ' + String(e.target.src).slice(0, 40) : e.type)));
            }, true);
            window.addEventListener('unhandledrejection', function (e) {
              window.specfaultErrors.push('unhandled rejection: ' + String(e.reason));
            });
            // After load every image has loaded or failed. Drawing each chart into a canvas and
            // reading its pixels back forces a full decode, synchronously: a chart counts as
            // decoded if it has a size and its pixels are opaque (the charts' background is white).
            window.addEventListener('load', function () {
              var imgs = Array.prototype.slice.call(document.querySelectorAll('img.chart'));
              var decoded = 0;
              imgs.forEach(function (img) {
                try {
                  var w = img.naturalWidth, h = img.naturalHeight;
                  if (!img.complete || w === 0 || h === 0) { return; }
                  var cv = document.createElement('canvas');
                  cv.width = w; cv.height = h;
                  var cx = cv.getContext('2d');
                  cx.drawImage(img, 0, 0);
                  var px = cx.getImageData(0, 0, w, h).data;
                  var opaque = px[3] === 255 && px[px.length - 1] === 255
                      && px[4 * (Math.floor(h / 2) * w + Math.floor(w / 2)) + 3] === 255;
                  if (opaque) { decoded++; }
                } catch (err) {
                  window.specfaultErrors.push('chart ' + img.alt + ': ' + err);
                }
              });
              var el = document.getElementById('selfcheck');
              el.setAttribute('data-charts', String(imgs.length));
              el.setAttribute('data-decoded', String(decoded));
              el.setAttribute('data-errors', String(window.specfaultErrors.length));
              el.setAttribute('data-status', 'done');
              el.textContent = 'Page self-check: ' + decoded + ' of ' + imgs.length + ' charts decoded, '
                  + window.specfaultErrors.length + ' errors' + (window.specfaultErrors.length
                  ? ' (' + window.specfaultErrors.join('; ') + ')' : '') + '.';
            });
            """;

    /** The page; {@code vs} are the run's violations (the comparison's and the warm-up's), one line each. */
    public static String page(Comparison c, List<Target> targets, List<Charts.Chart> charts, Context ctx,
                              List<String> vs) {
        final StringBuilder b = new StringBuilder(64 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>specfault compare</title>\n<style>").append(CSS).append("</style>\n")
                .append("<script>").append(SCRIPT).append("</script>\n</head>\n<body>\n")
                .append("<h1>specfault compare</h1>\n")
                .append("<p>Designs ").append(esc(String.join(", ", c.designs().stream().map(d -> d.cliName()).toList())))
                .append(", side by side on the same emulated machine, run interleaved (every design of a group in turn, ")
                .append("round after round, on the same seed) so that drift of the host cancels.</p>\n")
                .append("<p>Command: <code>").append(esc(ctx.commandLine())).append("</code></p>\n");
        b.append("<table class=\"machine\">\n");
        ctx.machine().forEach((k, v) -> b.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v))
                .append("</td></tr>\n"));
        b.append("</table>\n");
        b.append("<h2>Violations</h2>\n");
        if (vs.isEmpty()) {
            b.append("<p>None: every invariant check of every cell held.</p>\n");
        } else {
            b.append("<ul>\n");
            vs.forEach(v -> b.append("<li class=\"violation\">VIOLATION ").append(esc(v)).append("</li>\n"));
            b.append("</ul>\n");
        }
        b.append("<h2>Results</h2>\n<p>").append(esc(ctx.aggregation())).append("</p>\n").append(Table.html(c));
        final String share = Table.designShare(c);
        if (!share.isEmpty()) {
            b.append("<p>The writers' cost through the design (pages/s with the writers in the space over pages/s with"
                    + " them in spaces of their own):</p>\n<pre>").append(esc(share)).append("</pre>\n");
        }
        b.append("<h2>Targets</h2>\n<p>The issue's performance targets, evaluated on this run (informational).</p>\n")
                .append("<table class=\"targets\">\n<thead><tr><th>status</th><th>target</th><th>measured</th></tr></thead>\n<tbody>\n");
        for (Target t : targets) {
            b.append("<tr><td class=\"").append(t.status() == Target.Status.NA ? "na" : t.status().name()).append("\">")
                    .append(t.status().text()).append("</td><td>").append(esc(t.goal())).append("</td><td>")
                    .append(esc(t.measured())).append("</td></tr>\n");
        }
        b.append("</tbody></table>\n<h2>Charts</h2>\n");
        if (charts.isEmpty()) {
            b.append("<p>No charts (--no-charts).</p>\n");
        }
        for (Charts.Chart ch : charts) {
            b.append("<figure><img class=\"chart\" alt=\"").append(esc(ch.title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(ch.png())).append("\">\n<figcaption>")
                    .append(esc(ch.title())).append(" (").append(esc(ch.name())).append(".png, ")
                    .append(esc(ch.name())).append(".svg)</figcaption></figure>\n");
        }
        b.append("<p id=\"selfcheck\" data-status=\"pending\">Page self-check: pending.</p>\n</body>\n</html>\n");
        return b.toString();
    }

    /** {@code s} escaped for HTML text and attribute values. */
    static String esc(String s) {
        final StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            final char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
