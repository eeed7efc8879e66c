package dev.specfault.pmap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a table page freed with entries still in it is reported (Linux's
 * {@code CONFIG_PAGE_TABLE_CHECK} and its "bad rss-counter" messages: a page-table page must be
 * empty when it goes back to the allocator). The frames its entries mapped leak, and nothing walks
 * to them any more (P6). It cannot fire on a correct machine: a table is unlinked only when it is
 * empty under its PTL ({@link Pmap#freeTables}), and exit zaps every leaf and clears every upper
 * entry before it frees the tables; only an install into an unlinked table (the seeded
 * {@code skip-table-linked-check}) can leave an entry there. A count and the first
 * {@value #KEPT} reports, one machine each.
 *
 * <pre>
 * Locks used to protect members:
 *   [a] atomic
 *   [this] synchronized on the check
 * </pre>
 */
public final class PageTableCheck {
    static final int KEPT = 32;

    private final AtomicLong count = new AtomicLong();         // [a]
    private final List<String> reports = new ArrayList<>();   // [this]

    PageTableCheck() {
    }

    void report(String what) {
        synchronized (this) {
            if (reports.size() < KEPT) {
                reports.add(what);
            }
            count.incrementAndGet(); // last, under the lock: who sees the count finds the report
        }
    }

    /** Tables freed with entries in them so far. */
    public long count() {
        return count.get();
    }

    /** The first reports, in order. */
    public synchronized List<String> reports() {
        return List.copyOf(reports);
    }

    @Override
    public String toString() {
        return "PageTableCheck[count=" + count() + "]";
    }
}
