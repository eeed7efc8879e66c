package dev.specfault.srcu.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where use-after-free detections go: a count and the first {@value #KEPT} reports in full. One
 * log may serve several pools (a whole address space, a stress run).
 */
public final class UseAfterFreeLog {
    static final int KEPT = 32;

    private final AtomicLong count = new AtomicLong();              // [a]
    private final List<String> reports = new ArrayList<>();        // [this] synchronized

    /** Records one detection. */
    public void report(String what) {
        count.incrementAndGet();
        synchronized (this) {
            if (reports.size() < KEPT) {
                reports.add(what);
            }
        }
    }

    /** Detections so far. */
    public long count() {
        return count.get();
    }

    /** The first reports, in order. */
    public synchronized List<String> reports() {
        return List.copyOf(reports);
    }

    @Override
    public String toString() {
        return "UseAfterFreeLog[count=" + count() + "]";
    }
}
