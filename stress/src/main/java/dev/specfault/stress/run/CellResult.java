package dev.specfault.stress.run;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one cell measured and found.
 *
 * @param spec       the cell
 * @param row        the result row (the columns of {@code results.json}/{@code .csv}, then the
 *                   space's counters by cause)
 * @param violations broken invariants, one line each
 * @param latency    the touch latencies (ns)
 */
public record CellResult(CellSpec spec, Map<String, Object> row, List<String> violations, Histogram latency) {

    public double pagesPerSec() {
        return ((Number) row.get("pages_per_sec")).doubleValue();
    }

    public long p99() {
        return ((Number) row.get("p99_ns")).longValue();
    }
}
