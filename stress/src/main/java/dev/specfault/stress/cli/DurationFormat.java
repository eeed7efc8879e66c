package dev.specfault.stress.cli;

import java.time.Duration;
import java.util.Locale;

/** Human-readable durations for reports: 850 ns, 12.3 µs, 4.56 ms, 3.00 s. */
public final class DurationFormat {
    private DurationFormat() {
    }

    public static String nanos(long ns) {
        if (ns < 1_000) {
            return ns + " ns";
        }
        if (ns < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f µs", ns / 1e3);
        }
        if (ns < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", ns / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", ns / 1e9);
    }

    public static String of(Duration d) {
        return nanos(d.toNanos());
    }
}
