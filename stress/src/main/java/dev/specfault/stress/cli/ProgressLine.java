package dev.specfault.stress.cli;

import dev.specfault.stress.run.Cell;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The progress line of a running cell on a terminal: elapsed time and the running rate, rewritten
 * in place with a carriage return on standard error. Off a terminal (a pipe, a file, a test) there
 * is none, so logs hold no control characters.
 */
final class ProgressLine implements Cell.Progress {
    private final PrintStream err;
    private final String label;
    private long lastPages;  // confined to the thread that runs the cell (it calls update)
    private long lastNanos;  // likewise

    private ProgressLine(PrintStream err, String label) {
        this.err = err;
        this.label = label;
    }

    /** A progress line for {@code label} if standard output and error are a terminal, else {@code null}. */
    static Cell.Progress forTerminal(String label) {
        return System.console() != null ? new ProgressLine(System.err, label) : null;
    }

    @Override
    public void update(long elapsedNanos, long pages) {
        final double dt = (elapsedNanos - lastNanos) / 1e9;
        final double rate = dt > 0 ? (pages - lastPages) / dt : 0;
        lastPages = pages;
        lastNanos = elapsedNanos;
        err.print(String.format(Locale.ROOT, "\r\033[K%s  %5.1f s  %,12.0f pages/s", label, elapsedNanos / 1e9, rate));
        err.flush();
    }

    /** Clears the line (call after the cell). */
    static void clear() {
        if (System.console() != null) {
            System.err.print("\r\033[K");
            System.err.flush();
        }
    }
}
