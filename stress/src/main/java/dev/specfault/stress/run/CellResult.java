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
 * @param timeline   one sample per second of the run ({@link Second})
 */
public record CellResult(CellSpec spec, Map<String, Object> row, List<String> violations, Histogram latency,
                         List<Second> timeline) {

    /**
     * One second of a run, from samples every 20 ms.
     *
     * @param second      seconds since the start (this sample covers [second-1, second))
     * @param backlogMean the space's SRCU callbacks waiting for a grace period, mean
     * @param backlogMax  the same, largest sample
     * @param framesMean  frames in use on the machine, mean
     * @param framesMax   the same, largest sample
     * @param pages       pages touched in this second
     * @param writerOps   the writer threads' steps in this second (mmap_churn: mmap, touch, munmap)
     * @param callbacks   SRCU callbacks the space queued in this second (what the backlog follows)
     * @param gcMillis    the JVM's collectors' time in this second (ms, every collector summed; the
     *                    whole JVM's, not the cell's alone)
     * @param jitMillis   the JIT compilers' time in this second (ms; -1 where the JVM does not
     *                    measure it)
     */
    public record Second(int second, double backlogMean, long backlogMax, double framesMean, long framesMax,
                         long pages, long writerOps, long callbacks, long gcMillis, long jitMillis) {
    }

    public double pagesPerSec() {
        return ((Number) row.get("pages_per_sec")).doubleValue();
    }

    public long p99() {
        return ((Number) row.get("p99_ns")).longValue();
    }
}
