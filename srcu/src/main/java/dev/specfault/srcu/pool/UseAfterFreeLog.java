package dev.specfault.srcu.pool;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where use-after-free detections go: a count, the first {@value #KEPT} reports in full, and a
 * count and the first report of each kind — the text before a report's first {@code ':'} (who
 * detected it: {@code use after free of a VMA record}, {@code use after free in VmaTree}, ...), so
 * that a long run can say which checks fired, not only the first few reports. One log may serve
 * several pools (a whole address space, a stress run).
 *
 * <pre>
 * Locks used to protect members:
 *   [a] atomic
 *   [this] synchronized on the log
 * </pre>
 */
public final class UseAfterFreeLog {
    static final int KEPT = 32;

    private final AtomicLong count = new AtomicLong();                       // [a]
    private final List<String> reports = new ArrayList<>();                 // [this]
    /** Per kind, in order of first appearance: the count and the first report. */
    private final Map<String, long[]> kindCounts = new LinkedHashMap<>();   // [this]
    private final Map<String, String> kindFirst = new LinkedHashMap<>();    // [this]

    /** Records one detection. */
    public void report(String what) {
        final String kind = kindOf(what);
        synchronized (this) {
            if (reports.size() < KEPT) {
                reports.add(what);
            }
            kindCounts.computeIfAbsent(kind, k -> new long[1])[0]++;
            kindFirst.putIfAbsent(kind, what);
            // Counted last, under the lock: a reader that sees the count and then takes the lock
            // finds the report (counted first, a poll between the two saw a count with no text).
            count.incrementAndGet();
        }
    }

    /** A report's kind: the text before its first ':' (all of it if none). */
    public static String kindOf(String report) {
        final int c = report.indexOf(':');
        return c < 0 ? report : report.substring(0, c);
    }

    /** Detections so far. */
    public long count() {
        return count.get();
    }

    /** The first reports, in order. */
    public synchronized List<String> reports() {
        return List.copyOf(reports);
    }

    /** Detections so far by kind ({@link #kindOf}), in order of each kind's first appearance. */
    public synchronized Map<String, Long> countsByKind() {
        final Map<String, Long> m = new LinkedHashMap<>();
        kindCounts.forEach((k, n) -> m.put(k, n[0]));
        return m;
    }

    /** The first report of each kind, in order of first appearance. */
    public synchronized List<String> firstOfEachKind() {
        return List.copyOf(kindFirst.values());
    }

    @Override
    public String toString() {
        return "UseAfterFreeLog[count=" + count() + "]";
    }
}
